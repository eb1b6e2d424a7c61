// A client in another language (Node 20, plain fetch, no packages): create, poll, download, and a 429.
// Usage: node coverage_client.mjs BASE_URL. Prints nothing on success; exits 1 on a surprise.
const base = process.argv[2];
const auth = { Authorization: "Bearer sk_node", "Content-Type": "application/json" };
const body = JSON.stringify({ model: "seedance2.0-std", prompt: "a paper boat on a river", duration: 5 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  let answer = await fetch(`${base}/api/open-api/v1/seedance/videos`, {
    method: "POST", headers: { ...auth, "X-Seedance-Mock": "complete" }, body,
  });
  if (answer.status !== 200) throw new Error(`create answered ${answer.status}`);
  const taskId = (await answer.json()).data.task_id;
  let task;
  for (;;) {
    answer = await fetch(`${base}/api/open-api/v1/videos/${taskId}`, { headers: auth });
    task = (await answer.json()).data;
    if (task.status === "completed" || task.status === "failed") break;
    await sleep(1100);
  }
  const video = await fetch(task.result.video_url);
  if (video.status !== 200 || (await video.arrayBuffer()).byteLength < 100) throw new Error("no video");
  answer = await fetch(`${base}/api/open-api/v1/seedance/videos`, {
    method: "POST", headers: { ...auth, "X-Seedance-Mock": "fault=429" }, body,
  });
  if (answer.status !== 429) throw new Error(`expected 429, got ${answer.status}`);
  await sleep(1000 * Number(answer.headers.get("retry-after")) + 50);
}

main().catch((error) => { console.error(error); process.exit(1); });

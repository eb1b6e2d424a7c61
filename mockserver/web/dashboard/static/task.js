/* Task page: timeline, answers and video kept live from GET /_mock/ui/api/tasks/<id>; force fail / complete. */
"use strict";
(function () {
  const { boot, api, el, setText, fullTime, renderTimeline, badge, journalRow, journalDetail, showClock, poll, toast } = window.Dash;
  const id = boot.task.task_id;
  const answers = document.querySelector("#answers tbody");
  const entries = new Map();
  let cursor = boot.cursor;

  function showVideo(task) {
    const box = document.getElementById("video-box");
    if (task.status === "completed" && !box.querySelector("video")) {
      box.replaceChildren(el("video", { id: "video", controls: true, muted: true, preload: "auto", src: box.dataset.src }));
    } else if (task.status === "failed") {
      setText(box.querySelector("p") || box, "No video: the task failed.");
    }
  }

  function showTask(task, now) {
    const holder = document.getElementById("task-status");
    if (!holder.querySelector(`.s-${task.status}`)) holder.replaceChildren(badge(task.status));
    renderTimeline(document.getElementById("task-timeline"), task, now, true);
    setText(document.getElementById("at-processing"),
      task.skip_processing ? "never (failed in the queue)" : fullTime(task.processing_at));
    setText(document.getElementById("at-finished"), fullTime(task.finished_at));
    setText(document.getElementById("task-error"), task.error ? `${task.error.code}: ${task.error.message}` : "—");
    const finished = task.status === "completed" || task.status === "failed";
    setText(document.getElementById("finish-label"), finished ? "Finished" : "Finishes");
    document.getElementById("fail-btn").disabled = finished;
    document.getElementById("complete-btn").disabled = finished;
    document.getElementById("force-card").hidden = finished || task.forced;
    showVideo(task);
  }

  function addEntries(list) {
    for (const entry of list) {
      entries.set(String(entry.seq), entry);
      if (!answers.querySelector(`tr[data-seq="${entry.seq}"]`)) {
        const row = journalRow(entry);
        row.classList.add("fresh");
        answers.append(row);
      }
    }
    if (list.length) {
      document.getElementById("last-answer").hidden = false;
      setText(document.getElementById("last-answer-body"), list[list.length - 1].response.body);
    }
  }

  async function refresh() {
    const data = await api("GET", `/_mock/ui/api/tasks/${encodeURIComponent(id)}?after=${cursor}`);
    showClock({ now: data.now });
    showTask(data.task, data.now);
    addEntries(data.entries);
    cursor = data.next;
  }

  answers.addEventListener("click", (event) => {
    const button = event.target.closest("button.linkish");
    if (!button) return;
    const row = button.closest("tr");
    const open = button.getAttribute("aria-expanded") === "true";
    if (open) row.nextElementSibling.remove();
    else if (entries.has(button.dataset.seq)) row.after(journalDetail(entries.get(button.dataset.seq), 8));
    else return;
    button.setAttribute("aria-expanded", open ? "false" : "true");
  });

  document.getElementById("fail-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    try {
      const task = await api("POST", `/_mock/tasks/${encodeURIComponent(id)}/fail`,
        { reason: form.reason.value, at: form.at.value });
      const reason = task.error ? task.error.message : form.reason.value;
      toast(form.at.value === "now" ? `Task failed: “${reason}”` : `Task will fail at ${form.at.value}: “${reason}”`);
      await refresh();
    } catch (err) { toast(err.message, true); }
  });

  document.getElementById("complete-btn").addEventListener("click", async () => {
    try {
      await api("POST", `/_mock/tasks/${encodeURIComponent(id)}/complete`);
      toast("Task completed");
      await refresh();
    } catch (err) { toast(err.message, true); }
  });

  (boot.entries || []).forEach((e) => entries.set(String(e.seq), e));
  window.Dash.onChange = refresh;
  poll(refresh, boot.poll_ms);
})();

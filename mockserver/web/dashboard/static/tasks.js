/* Tasks page: rows are updated in place from GET /_mock/tasks every second (no reload, no layout jump). */
"use strict";
(function () {
  const { boot, api, el, setText, clockText, fullTime, renderTimeline, badge, showClock, poll } = window.Dash;
  const body = document.querySelector("#tasks tbody");
  const form = document.getElementById("task-filters");
  const filters = boot.filters;

  form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => form.requestSubmit()));

  function newRow(task) {
    return el("tr", { dataset: { id: task.task_id } }, [
      el("td", { class: "mono" }, el("a", { href: `/_mock/ui/tasks/${encodeURIComponent(task.task_id)}` }, task.task_id)),
      el("td", { class: "mono token" }, task.token),
      el("td", { class: "mono" }, task.model),
      el("td", {}, badge(task.status)),
      el("td", { class: "tl-cell" }),
      el("td", { class: "mono num", title: fullTime(task.created_at) }, clockText(task.created_at)),
    ]);
  }

  function update(row, task, now) {
    const b = row.querySelector(".badge");
    if (!b.classList.contains(`s-${task.status}`)) b.replaceWith(badge(task.status));
    renderTimeline(row.querySelector(".tl-cell"), task, now, false);
  }

  async function refresh() {
    const query = new URLSearchParams({ limit: String(boot.limit) });
    if (filters.status) query.set("status", filters.status);
    if (filters.model) query.set("model", filters.model);
    if (filters.owner) query.set("token", filters.owner);
    const data = await api("GET", `/_mock/tasks?${query}`);
    showClock({ now: data.now });
    const existing = new Map([...body.querySelectorAll("tr[data-id]")].map((r) => [r.dataset.id, r]));
    let previous = null;
    for (const task of data.tasks) {
      let row = existing.get(task.task_id);
      if (row) existing.delete(task.task_id);
      else { row = newRow(task); row.classList.add("fresh"); }
      update(row, task, data.now);
      const expected = previous ? previous.nextSibling : body.firstChild;
      if (expected !== row) body.insertBefore(row, expected);
      previous = row;
    }
    existing.forEach((row) => row.remove());
    setText(document.getElementById("tasks-count"), `${data.tasks.length} shown · ${data.count} stored (at most ${data.max_tasks})`);
    document.getElementById("tasks-empty").hidden = data.tasks.length > 0;
  }

  window.Dash.onChange = refresh;
  poll(refresh, boot.poll_ms);
})();

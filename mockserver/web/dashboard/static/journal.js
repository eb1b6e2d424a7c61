/* Journal page: new entries are prepended as they arrive (GET /_mock/journal?after=<cursor> every second). */
"use strict";
(function () {
  const { boot, api, journalRow, journalDetail, poll, toast } = window.Dash;
  const body = document.querySelector("#journal tbody");
  const form = document.getElementById("journal-filters");
  const entries = new Map((boot.entries || []).map((e) => [String(e.seq), e]));
  const MAX_ROWS = 500;
  let cursor = boot.cursor;

  async function refresh() {
    const query = new URLSearchParams({ after: String(cursor), limit: "200" });
    for (const [key, param] of [["status", "status"], ["rule", "rule"], ["owner", "token"]]) {
      if (boot.filters[key]) query.set(param, boot.filters[key]);
    }
    const data = await api("GET", `/_mock/journal?${query}`);
    for (const entry of data.entries) {
      entries.set(String(entry.seq), entry);
      const row = journalRow(entry);
      row.classList.add("fresh");
      body.prepend(row);
    }
    cursor = Math.max(cursor, data.next);
    const rows = body.querySelectorAll("tr[data-seq]");
    for (let i = MAX_ROWS; i < rows.length; i += 1) {
      entries.delete(rows[i].dataset.seq);
      const next = rows[i].nextElementSibling;
      if (next && next.classList.contains("detail")) next.remove();
      rows[i].remove();
    }
    document.getElementById("journal-empty").hidden = body.querySelector("tr") !== null;
  }

  body.addEventListener("click", (event) => {
    const button = event.target.closest("button.linkish");
    if (!button || !entries.has(button.dataset.seq)) return;
    const row = button.closest("tr");
    const open = button.getAttribute("aria-expanded") === "true";
    if (open) row.nextElementSibling.remove();
    else row.after(journalDetail(entries.get(button.dataset.seq), 8));
    button.setAttribute("aria-expanded", open ? "false" : "true");
  });

  document.getElementById("journal-clear").addEventListener("click", async () => {
    try {
      await api("DELETE", "/_mock/journal");
      body.replaceChildren();
      entries.clear();
      document.getElementById("journal-empty").hidden = false;
      toast("Journal cleared");
    } catch (err) { toast(err.message, true); }
  });

  form.querySelectorAll("input").forEach((i) => i.addEventListener("change", () => form.requestSubmit()));
  window.Dash.onChange = refresh;
  poll(refresh, boot.poll_ms);
})();

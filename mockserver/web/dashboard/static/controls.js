/* Controls page: faults, limits, clock, usage and reset, all through the control API. */
"use strict";
(function () {
  const { api, el, span, fullTime, showClock, clockHooks, poll, toast, setText } = window.Dash;
  const intOrNull = (v) => (v === "" ? null : Number.parseInt(v, 10));

  function fill(id, rows, cells) {
    document.querySelector(`#${id} tbody`).replaceChildren(...rows.map((r) => el("tr", {}, cells(r))));
    document.getElementById(`${id}-empty`).hidden = rows.length > 0;
  }
  const showFaults = (faults) => fill("faults", faults, (f) => [
    el("td", {}, el("span", { class: `code c${"45".includes(f.kind[0]) ? f.kind[0] : 0}` }, f.kind)),
    el("td", {}, f.operation), el("td", { class: "num" }, String(f.count)),
    el("td", { class: "mono token" }, f.token || "every token"),
    el("td", { class: "num" }, `${f.retry_after} s`), el("td", { class: "num" }, `${f.delay} s`)]);
  const showLimits = (limits) => fill("limits", Object.entries(limits), ([owner, l]) => [
    el("td", { class: "mono token" }, owner === "*" ? "every token" : owner),
    el("td", { class: "num" }, l.rate_per_minute ?? "—"), el("td", { class: "num" }, l.max_in_flight ?? "—")]);
  const showUsage = (usage) => fill("usage", usage, (u) => [
    el("td", { class: "mono token" }, u.token), el("td", { class: "mono" }, u.model), el("td", {}, u.resolution || "—"),
    el("td", { class: "num" }, String(u.tasks)), el("td", { class: "num" }, String(u.failed)),
    el("td", { class: "num" }, String(u.billable_seconds))]);

  clockHooks.push((clock) => {
    if (clock.now !== undefined) setText(document.getElementById("clock-full"), fullTime(clock.now));
    if (clock.offset !== undefined) setText(document.getElementById("clock-offset-full"), `${span(clock.offset)}`);
    if (clock.speed !== undefined) setText(document.getElementById("clock-speed-full"), `×${clock.speed}`);
  });

  async function refresh() {
    const [faults, limits, usage, clock] = await Promise.all([
      api("GET", "/_mock/faults"), api("GET", "/_mock/limits"), api("GET", "/_mock/usage"), api("GET", "/_mock/clock")]);
    showFaults(faults.faults);
    showLimits(limits.limits);
    showUsage(usage.usage);
    showClock(clock);
  }

  function onSubmit(id, action) {
    document.getElementById(id).addEventListener("submit", async (event) => {
      event.preventDefault();
      try { toast(await action(event.target)); await refresh(); } catch (err) { toast(err.message, true); }
    });
  }

  onSubmit("fault-form", async (f) => {
    const body = { kind: f.kind.value, operation: f.operation.value, count: intOrNull(f.count.value) ?? 1,
      retry_after: intOrNull(f.retry_after.value) ?? 1, delay: Number(f.delay.value || 0) };
    if (f.token.value.trim()) body.token = f.token.value.trim();
    await api("POST", "/_mock/faults", body);
    return `Queued: the next ${body.count} ${body.operation === "any" ? "" : `${body.operation} `}request(s) get ${body.kind}`;
  });
  onSubmit("limit-form", async (f) => {
    const body = { token: f.token.value.trim() || null, rate_per_minute: intOrNull(f.rate_per_minute.value),
      max_in_flight: intOrNull(f.max_in_flight.value) };
    await api("POST", "/_mock/limits", body);
    return "Limits set";
  });
  onSubmit("advance-form", async (f) => {
    const seconds = Number(f.seconds.value);
    await api("POST", "/_mock/clock/advance", { seconds });
    return `Clock advanced by ${span(seconds)}`;
  });
  onSubmit("speed-form", async (f) => {
    const data = await api("POST", "/_mock/clock", { speed: Number(f.speed.value) });
    return `New tasks run ×${data.speed}`;
  });

  document.getElementById("faults-clear").addEventListener("click", async () => {
    try { showFaults((await api("DELETE", "/_mock/faults")).faults); toast("Faults cleared"); } catch (err) { toast(err.message, true); }
  });

  const dialog = document.getElementById("reset-dialog");
  document.getElementById("reset-open").addEventListener("click", () => { dialog.returnValue = ""; dialog.showModal(); });
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "reset") return;
    try { await api("POST", "/_mock/reset"); toast("Emulator reset"); await refresh(); } catch (err) { toast(err.message, true); }
  });

  window.Dash.onChange = refresh;
  poll(refresh, 3000);
})();

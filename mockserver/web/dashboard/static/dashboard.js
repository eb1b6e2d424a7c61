/* Seedance mock dashboard: shared helpers (plain JavaScript, no build step). Every page script uses `Dash`. */
"use strict";
(function () {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const SVG = "http://www.w3.org/2000/svg";

  /** Call the control API; resolves to the envelope's `data`, rejects with its message. */
  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let envelope = null;
    try { envelope = await response.json(); } catch (err) { envelope = null; }
    if (!response.ok) {
      const id = envelope && envelope.data ? envelope.data.error : response.status;
      throw new Error(`${id}: ${envelope ? envelope.msg : response.statusText}`);
    }
    return envelope.data;
  }

  /** Build an element: el("td", {class: "mono", title: "x"}, "text" | [nodes]). */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of [].concat(children === undefined ? [] : children)) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setText(node, text) {
    if (node && node.textContent !== text) node.textContent = text;
  }

  const pad = (n) => String(n).padStart(2, "0");
  function clockText(seconds) {
    const d = new Date(seconds * 1000);
    return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  }
  function fullTime(seconds) {
    const d = new Date(seconds * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clockText(seconds)} UTC`;
  }
  function span(seconds) {
    const s = Math.abs(seconds);
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    if (s < 129600) return `${Math.round(s / 3600)} h`;
    return `${Math.round(s / 86400)} d`;
  }

  /** Mirrors present.timeline() in Python. */
  function timeline(task, now) {
    const total = Math.max(task.finished_at - task.created_at, 1e-9);
    const clamp = (v) => Math.min(100, Math.max(0, v));
    const q = task.skip_processing ? 100 : clamp((task.processing_at - task.created_at) / total * 100);
    const n = clamp((now - task.created_at) / total * 100);
    let label;
    const ends = task.outcome === "failed" ? "fails" : "ends";
    if (task.status === "queued" && task.skip_processing) label = `fails in the queue in ${span(task.finished_at - now)}`;
    else if (task.status === "queued") label = `starts in ${span(task.processing_at - now)} · ${ends} in ${span(task.finished_at - now)}`;
    else if (task.status === "processing") label = `${ends} in ${span(task.finished_at - now)}`;
    else label = `${task.status} ${span(now - task.finished_at)} ago`;
    return { q, n, done: Math.max(0, n - q), label,
      title: `queued ${fullTime(task.created_at)} · processing ${fullTime(task.processing_at)} · ends ${fullTime(task.finished_at)}` };
  }

  function rect(cls) {
    const r = document.createElementNS(SVG, "rect");
    r.setAttribute("class", cls);
    r.setAttribute("y", "0");
    r.setAttribute("height", "100%");
    return r;
  }

  /** Create or update (in place) the timeline bar inside `holder`. */
  function renderTimeline(holder, task, now, big) {
    const t = timeline(task, now);
    let wrap = holder.querySelector(".tl-wrap");
    if (!wrap) {
      const svg = document.createElementNS(SVG, "svg");
      svg.setAttribute("width", "100%");
      svg.setAttribute("height", big ? "18" : "10");
      svg.setAttribute("role", "img");
      svg.append(document.createElementNS(SVG, "title"));
      for (const cls of ["tl-q", "tl-p", "tl-qd", "tl-pd", "tl-now"]) svg.append(rect(cls));
      wrap = el("div", { class: big ? "tl-wrap big" : "tl-wrap" }, [svg, el("span", { class: "tl-label" })]);
      holder.replaceChildren(wrap);
    }
    const svg = wrap.querySelector("svg");
    svg.setAttribute("class", `tl s-${task.status}`);
    svg.setAttribute("aria-label", t.label);
    setText(svg.querySelector("title"), t.title);
    const set = (cls, x, w) => {
      const r = svg.querySelector(`.${cls}`);
      r.setAttribute("x", `${x}%`);
      if (w !== null) r.setAttribute("width", `${w}%`);
    };
    set("tl-q", 0, t.q);
    set("tl-p", t.q, 100 - t.q);
    set("tl-qd", 0, Math.min(t.n, t.q));
    set("tl-pd", t.q, t.done);
    set("tl-now", t.n, null);
    svg.querySelector(".tl-now").setAttribute("width", "2");
    setText(wrap.querySelector(".tl-label"), t.label);
  }

  function badge(status) {
    return el("span", { class: `badge s-${status}` }, status);
  }
  function statusCode(code) {
    return el("span", { class: `code c${code ? Math.floor(code / 100) : 0}` }, code ? String(code) : "drop");
  }
  function rulesCell(entry) {
    const quotes = boot.quotes || {};
    const chips = (entry.rules || []).map((rule) =>
      el("span", { class: "rule", title: `${rule}: ${quotes[rule] || "no quote in the spec"}` }, rule));
    if (!chips.length && entry.error) chips.push(el("span", { class: "rule plain", title: "error id (not a body rule)" }, entry.error));
    if (entry.mismatch && entry.mismatch.length) {
      chips.push(el("span", { class: "rule mismatch", title: `the real service differs from the spec: ${entry.mismatch.join(", ")} (GET /_mock/fidelity)` }, "mismatch"));
    }
    return chips;
  }

  /** One journal row, like the Jinja macro journal_row. */
  function journalRow(entry) {
    const path = entry.task_id
      ? el("a", { href: `/_mock/ui/tasks/${encodeURIComponent(entry.task_id)}` }, entry.path) : entry.path;
    return el("tr", { dataset: { seq: entry.seq } }, [
      el("td", { class: "mono num" }, el("button", { type: "button", class: "linkish", "data-seq": entry.seq,
        "aria-expanded": "false", title: `${fullTime(entry.time)}: show request and answer` }, clockText(entry.time))),
      el("td", { class: "mono method" }, entry.method),
      el("td", { class: "mono path" }, path),
      el("td", {}, statusCode(entry.status)),
      el("td", { class: "mono num" }, `${Number(entry.duration_ms).toFixed(1)} ms`),
      el("td", { class: "rules" }, rulesCell(entry)),
      el("td", { class: "mono token" }, entry.token || ""),
      el("td", { class: "mono muted" }, entry.instance || ""),
    ]);
  }

  /** The detail row under a journal row: request headers and body, the answer's body. */
  function journalDetail(entry, columns) {
    const headers = Object.entries(entry.request.headers || {}).map(([k, v]) => `${k}: ${v}`).join("\n");
    const pretty = (text) => { try { return JSON.stringify(JSON.parse(text), null, 2); } catch (err) { return text || "(empty)"; } };
    return el("tr", { class: "detail" }, el("td", { colspan: columns }, el("div", { class: "detail-grid" }, [
      el("div", {}, [el("h3", {}, "Request"), el("pre", { class: "code-block", tabindex: "0" }, `${entry.method} ${entry.path}\n${headers}\n\n${pretty(entry.request.body)}`)]),
      el("div", {}, [el("h3", {}, `Answer ${entry.status}`), el("pre", { class: "code-block", tabindex: "0" }, pretty(entry.response.body))]),
    ])));
  }

  let toastTimer = 0;
  function toast(message, bad) {
    const node = document.getElementById("toast");
    node.textContent = message;
    node.className = bad ? "toast show bad" : "toast show";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.className = "toast"; }, 3500);
  }

  /** Run `fn` now and every `ms` while the tab is visible; a failed poll marks #live and retries. */
  function poll(fn, ms) {
    let timer = 0;
    let running = false;
    const live = document.getElementById("live");
    async function tick() {
      clearTimeout(timer);
      if (document.hidden) { if (live) live.className = "live paused"; return; }
      if (!running) {
        running = true;
        try { await fn(); if (live) { live.className = "live"; live.textContent = "live"; } }
        catch (err) { if (live) { live.className = "live error"; live.textContent = "offline"; } }
        finally { running = false; }
      }
      timer = setTimeout(tick, ms);
    }
    document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
    timer = setTimeout(tick, ms);
    return tick;
  }

  /** Header clock: shown from any answer with `now`, advanced by its buttons. */
  const hooks = [];
  function showClock(clock) {
    if (clock.now !== undefined) {
      setText(document.getElementById("clock-now"), `${clockText(clock.now)} UTC`);
      document.getElementById("clock-now").title = fullTime(clock.now);
    }
    if (clock.offset !== undefined) setText(document.getElementById("clock-offset"), `+${span(clock.offset)}`);
    if (clock.speed !== undefined) setText(document.getElementById("clock-speed"), `×${clock.speed}`);
    hooks.forEach((hook) => hook(clock));
  }
  async function refreshClock() { showClock(await api("GET", "/_mock/clock")); }
  async function advance(seconds) {
    await api("POST", "/_mock/clock/advance", { seconds });
    await refreshClock();
    toast(`Clock advanced by ${span(seconds)}`);
    if (window.Dash.onChange) await window.Dash.onChange();
  }
  document.querySelectorAll("[data-advance]").forEach((button) => {
    button.addEventListener("click", () => advance(Number(button.dataset.advance)).catch((err) => toast(err.message, true)));
  });
  showClock(boot.clock);
  poll(refreshClock, 5000);

  window.Dash = { boot, api, el, setText, clockText, fullTime, span, timeline, renderTimeline, badge, statusCode,
    journalRow, journalDetail, toast, poll, showClock, advance, clockHooks: hooks, onChange: null };
})();

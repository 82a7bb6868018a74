/**
 * The page's inline stylesheet and its small vanilla-JS app. They are plain text inlined into the HTML:
 * no external resource, no template literal in the script (it lives in a String.raw), and every piece of
 * trace data reaches the DOM through `textContent` or attribute setters, never through HTML parsing.
 *
 * @since 0.1.0
 */

/**
 * The stylesheet (light, and dark with `prefers-color-scheme`).
 *
 * @since 0.1.0
 */
export const CSS = String.raw`
:root {
  --bg: #f6f7f9; --panel: #ffffff; --panel-2: #f9fafb; --border: #e3e6ea; --border-strong: #d0d5dc;
  --text: #1c2430; --muted: #6b7482; --faint: #9aa3af; --accent: #4f46e5; --accent-soft: #eef0ff;
  --sel: #e9edff; --hover: #f3f5f8; --error: #d92d20; --error-soft: #fdecea; --ok: #12875a;
  --k0: #94a3b8; --k1: #64748b; --k2: #2563eb; --k3: #7c3aed; --k4: #d97706; --k5: #0d9488;
  --grid: #eef0f3; --mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1318; --panel: #161b22; --panel-2: #1b2129; --border: #2a313b; --border-strong: #38414d;
    --text: #e6e9ee; --muted: #9aa4b2; --faint: #6b7482; --accent: #8b93ff; --accent-soft: #23264a;
    --sel: #232a45; --hover: #1e242d; --error: #f87171; --error-soft: #3a1d1d; --ok: #4ade80;
    --grid: #222831; color-scheme: dark;
  }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
  color: var(--text); background: var(--bg); display: flex; flex-direction: column; overflow: hidden;
}
button { font: inherit; color: inherit; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: -2px; }
.mono { font-family: var(--mono); font-size: 12px; }
.muted { color: var(--muted); }

/* Header */
.topbar {
  display: flex; align-items: center; gap: 16px; padding: 0 18px; height: 50px; flex: none;
  background: var(--panel); border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: 10px; font-weight: 650; font-size: 15px; letter-spacing: -0.01em; }
.logo {
  width: 24px; height: 24px; border-radius: 6px; display: grid; place-items: center; color: #fff;
  background: linear-gradient(135deg, #6366f1, #0ea5e9); font-size: 13px; font-weight: 700;
}
.brand .sub { color: var(--muted); font-weight: 500; }
.source { color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; min-width: 0; }
.stats { margin-left: auto; display: flex; gap: 8px; flex: none; }
.stat {
  border: 1px solid var(--border); border-radius: 999px; padding: 2px 10px; color: var(--muted); background: var(--panel-2);
  font-size: 12px; white-space: nowrap;
}
.stat b { color: var(--text); font-weight: 600; }
.stat.bad { color: var(--error); border-color: color-mix(in srgb, var(--error) 35%, transparent); background: var(--error-soft); }
.stat.bad b { color: var(--error); }

/* Layout */
.layout { flex: 1; display: grid; grid-template-columns: 330px minmax(0, 1fr) 380px; min-height: 0; }
.pane { min-height: 0; display: flex; flex-direction: column; background: var(--panel); }
.pane + .pane { border-left: 1px solid var(--border); }
.pane-head { padding: 12px 14px; border-bottom: 1px solid var(--border); flex: none; }
.scroll { overflow: auto; flex: 1; min-height: 0; }

/* Trace list */
.search { position: relative; display: block; }
.search input {
  width: 100%; height: 34px; padding: 0 10px 0 32px; border: 1px solid var(--border-strong); border-radius: 8px;
  background: var(--panel); color: var(--text); font: inherit; outline: none;
}
.search input:focus { border-color: var(--accent); box-shadow: 0 0 0 3px var(--accent-soft); }
.search svg { position: absolute; left: 10px; top: 10px; width: 14px; height: 14px; color: var(--faint); }
.list-tools { display: flex; align-items: center; justify-content: space-between; margin-top: 9px; gap: 8px; }
.list-tools select {
  font: inherit; font-size: 12px; color: var(--text); background: var(--panel); border: 1px solid var(--border);
  border-radius: 6px; padding: 2px 4px;
}
#trace-count { color: var(--muted); font-size: 12px; }
#trace-list { list-style: none; margin: 0; padding: 6px; }
.trace-item {
  display: block; width: 100%; text-align: left; border: 1px solid transparent; background: none; cursor: pointer;
  border-radius: 8px; padding: 9px 10px 9px 12px; position: relative; margin-bottom: 2px;
}
.trace-item:hover { background: var(--hover); }
.trace-item[aria-selected="true"] { background: var(--sel); border-color: color-mix(in srgb, var(--accent) 30%, transparent); }
.trace-item.has-error::before {
  content: ""; position: absolute; left: 3px; top: 10px; bottom: 10px; width: 3px; border-radius: 2px; background: var(--error);
}
.ti-row { display: flex; align-items: baseline; gap: 8px; min-width: 0; }
.ti-name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; min-width: 0; }
.ti-dur { font-family: var(--mono); font-size: 12px; color: var(--text); flex: none; }
.ti-meta { color: var(--muted); font-size: 12px; margin-top: 2px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.ti-meta .sep { color: var(--faint); margin: 0 5px; }
.ti-mini { height: 3px; border-radius: 2px; background: var(--grid); margin-top: 7px; overflow: hidden; }
.ti-mini span { display: block; height: 100%; background: var(--accent); opacity: .55; border-radius: 2px; }
.trace-item.has-error .ti-mini span { background: var(--error); }
.badge {
  display: inline-flex; align-items: center; gap: 4px; font-size: 11px; font-weight: 600; padding: 0 7px; border-radius: 999px;
  line-height: 18px; flex: none;
}
.badge.error { color: var(--error); background: var(--error-soft); }
.badge.remote { color: var(--muted); background: var(--panel-2); border: 1px solid var(--border); }
.more { display: block; margin: 6px auto 12px; border: 1px solid var(--border); background: var(--panel-2); border-radius: 6px; padding: 4px 12px; cursor: pointer; }
.empty { padding: 28px 18px; color: var(--muted); text-align: center; }

/* Trace header */
#trace-view { display: flex; flex-direction: column; min-height: 0; flex: 1; }
.trace-head { padding: 14px 18px 12px; border-bottom: 1px solid var(--border); flex: none; }
.trace-title { display: flex; align-items: center; gap: 10px; }
.trace-title h1 { font-size: 17px; margin: 0; font-weight: 650; letter-spacing: -0.01em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.facts { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-top: 6px; color: var(--muted); font-size: 12px; }
.facts b { color: var(--text); font-weight: 600; }
.legend { display: flex; gap: 12px; margin-top: 8px; font-size: 11px; color: var(--muted); flex-wrap: wrap; }
.legend span { display: inline-flex; align-items: center; gap: 5px; }
.legend i { width: 10px; height: 10px; border-radius: 3px; display: inline-block; }

/* Waterfall */
.wf-head, .row { display: grid; grid-template-columns: minmax(230px, 38%) minmax(0, 1fr); }
.wf-head {
  position: sticky; top: 0; z-index: 2; background: var(--panel-2); border-bottom: 1px solid var(--border);
  font-size: 11px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; height: 30px;
}
.wf-head > div { display: flex; align-items: center; padding: 0 12px; }
.wf-head .ticks { position: relative; padding: 0; margin: 0 60px 0 12px; }
.tick { position: absolute; top: 0; bottom: 0; display: flex; align-items: center; text-transform: none; letter-spacing: 0; font-family: var(--mono); font-size: 11px; }
.tick span { transform: translateX(-50%); white-space: nowrap; }
.tick:first-child span { transform: none; }
.tick:last-child span { transform: translateX(-100%); }
@media (max-width: 1380px) { .tick.quarter { display: none; } }
#waterfall { position: relative; }
.row { height: 30px; border-bottom: 1px solid var(--grid); cursor: pointer; position: relative; }
.row:hover { background: var(--hover); }
.row[aria-selected="true"] { background: var(--sel); }
.row[aria-selected="true"]::after { content: ""; position: absolute; left: 0; top: 0; bottom: 0; width: 3px; background: var(--accent); }
.row.match .span-name { background: color-mix(in srgb, #facc15 35%, transparent); border-radius: 3px; }
.name-cell { display: flex; align-items: center; gap: 6px; min-width: 0; padding-right: 10px; border-right: 1px solid var(--border); white-space: nowrap; }
.guide { align-self: stretch; width: 16px; flex: none; position: relative; }
.guide::before { content: ""; position: absolute; left: 7px; top: 0; bottom: 0; border-left: 1px solid var(--border-strong); }
.toggle {
  width: 16px; height: 16px; flex: none; border: none; background: none; padding: 0; cursor: pointer; color: var(--muted);
  display: grid; place-items: center; border-radius: 3px; font-size: 10px;
}
.toggle:hover { background: var(--border); }
.toggle.leaf { visibility: hidden; }
.kind {
  flex: none; font-size: 9.5px; font-weight: 700; letter-spacing: .03em; color: #fff; border-radius: 4px; padding: 0 4px;
  line-height: 16px; min-width: 30px; text-align: center; font-family: var(--mono);
}
.k0 { background: var(--k0); } .k1 { background: var(--k1); } .k2 { background: var(--k2); }
.k3 { background: var(--k3); } .k4 { background: var(--k4); } .k5 { background: var(--k5); }
.span-name { overflow: hidden; text-overflow: ellipsis; min-width: 0; padding: 0 2px; }
.row.error .span-name { color: var(--error); font-weight: 600; }
.err-icon {
  flex: none; width: 15px; height: 15px; border-radius: 50%; background: var(--error); color: #fff; font-size: 10px; font-weight: 800;
  display: grid; place-items: center;
}
.svc { flex: none; color: var(--faint); font-size: 11px; }
.orphan { flex: none; font-size: 10px; color: var(--muted); border: 1px dashed var(--border-strong); border-radius: 4px; padding: 0 4px; }
.bar-cell { position: relative; margin: 0 60px 0 12px; }
.gridline { position: absolute; top: 0; bottom: 0; border-left: 1px solid var(--grid); }
.bar {
  position: absolute; top: 8px; height: 14px; min-width: 2px; border-radius: 3px; background: var(--k1);
  box-shadow: inset 0 0 0 1px rgba(0,0,0,.06);
}
.bar.k0 { background: var(--k0); } .bar.k2 { background: var(--k2); } .bar.k3 { background: var(--k3); }
.bar.k4 { background: var(--k4); } .bar.k5 { background: var(--k5); }
.row.error .bar { background: repeating-linear-gradient(135deg, var(--error) 0 6px, color-mix(in srgb, var(--error) 80%, #000) 6px 8px); }
.bar-label { position: absolute; top: 7px; font-family: var(--mono); font-size: 11px; color: var(--muted); white-space: nowrap; padding-left: 6px; }
.row.error .bar-label { color: var(--error); }
.bar-label.inside, .row.error .bar-label.inside { color: #fff; padding: 0 6px 0 0; text-shadow: 0 0 2px rgba(0,0,0,.35); }
.mark { position: absolute; top: 5px; width: 2px; height: 20px; background: var(--text); opacity: .55; border-radius: 1px; }
.mark.exception { background: var(--error); opacity: 1; width: 3px; }

/* Details */
#details .pane-head h2 { font-size: 13px; margin: 0; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.d-body { padding: 14px 16px 24px; }
.d-title { font-size: 15px; font-weight: 650; word-break: break-word; margin: 0 0 8px; }
.d-chips { display: flex; flex-wrap: wrap; gap: 6px; margin-bottom: 12px; align-items: center; }
.status { font-size: 11px; font-weight: 700; padding: 0 8px; border-radius: 999px; line-height: 18px; }
.status.s0 { color: var(--muted); background: var(--panel-2); border: 1px solid var(--border); }
.status.s1 { color: var(--ok); background: color-mix(in srgb, var(--ok) 12%, transparent); }
.status.s2 { color: var(--error); background: var(--error-soft); }
.status-msg { border-left: 3px solid var(--error); background: var(--error-soft); padding: 6px 10px; border-radius: 0 6px 6px 0; margin: 0 0 12px; word-break: break-word; }
section.d-sec { margin-top: 16px; }
section.d-sec h3 {
  font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 6px; font-weight: 650;
  display: flex; justify-content: space-between;
}
table.kv { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.kv th, table.kv td { text-align: left; vertical-align: top; padding: 4px 0; border-bottom: 1px solid var(--grid); }
table.kv th { width: 44%; font-weight: 500; color: var(--muted); padding-right: 10px; word-break: break-all; font-family: var(--mono); font-size: 11.5px; }
table.kv td { word-break: break-word; font-family: var(--mono); font-size: 11.5px; white-space: pre-wrap; }
table.kv td .type { color: var(--faint); font-size: 10px; margin-left: 6px; }
.event { border: 1px solid var(--border); border-radius: 8px; padding: 8px 10px; margin-bottom: 8px; background: var(--panel-2); }
.event.exception { border-color: color-mix(in srgb, var(--error) 40%, transparent); background: var(--error-soft); }
.ev-head { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; }
.ev-head .mono { color: var(--muted); font-weight: 400; }
.event.exception .ev-head > span:first-child { color: var(--error); }
.ex-msg { margin: 4px 0; word-break: break-word; }
pre.stack {
  margin: 6px 0 0; padding: 8px; background: var(--panel); border: 1px solid var(--border); border-radius: 6px; overflow: auto;
  max-height: 260px; font-size: 11px; line-height: 1.5; font-family: var(--mono); white-space: pre;
}
.event table.kv { margin-top: 4px; }
.linkish { background: none; border: none; padding: 0; color: var(--accent); cursor: pointer; font-family: var(--mono); font-size: 11.5px; text-align: left; word-break: break-all; }
.linkish:hover { text-decoration: underline; }
.none { color: var(--faint); font-style: italic; }
details.res summary { cursor: pointer; color: var(--muted); font-size: 12px; }
kbd { font-family: var(--mono); font-size: 11px; border: 1px solid var(--border-strong); border-bottom-width: 2px; border-radius: 4px; padding: 0 4px; background: var(--panel-2); }
.hint { color: var(--faint); font-size: 11px; margin-top: 10px; }
`

/**
 * The app: reads the embedded JSON and renders the trace list, the waterfall and the details panel.
 *
 * @since 0.1.0
 */
export const APP = String.raw`
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("trace-data").textContent);
  var meta = DATA.meta;
  var traces = DATA.traces;
  var KINDS = [
    { short: "UNS", label: "Unspecified" }, { short: "INT", label: "Internal" }, { short: "SRV", label: "Server" },
    { short: "CLI", label: "Client" }, { short: "PRD", label: "Producer" }, { short: "CON", label: "Consumer" }
  ];
  var STATUS = ["UNSET", "OK", "ERROR"];
  var PAGE = 500;

  var state = { query: "", sort: "start-asc", filtered: [], shown: PAGE, trace: -1, span: -1, collapsed: {} };
  var byId = {};
  traces.forEach(function (t, i) { byId[t.id] = i; });

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }

  function num(x) { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2).replace(/\.?0+$/, ""); }
  function fmtDur(ns) {
    if (ns < 1e3) return Math.round(ns) + " ns";
    if (ns < 1e6) return num(ns / 1e3) + " \u00b5s";
    if (ns < 1e9) return num(ns / 1e6) + " ms";
    if (ns < 60e9) return num(ns / 1e9) + " s";
    var s = Math.round(ns / 1e9), m = Math.floor(s / 60);
    if (m < 60) return m + "m " + (s % 60) + "s";
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = "0" + n; return n; }
  function fmtTime(ms) {
    var d = new Date(ms);
    if (isNaN(d.getTime())) return "?";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + pad(d.getHours()) + ":" +
      pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }
  function fmtClock(ms) { return fmtTime(ms).slice(11); }
  function short(id) { return id ? id.slice(0, 8) : ""; }

  // Search: every term must appear in the trace id, a service, or some span's name, ids, attributes or events.
  function spanText(t, s) {
    if (s._text === undefined) {
      var parts = [s.name, s.id, s.parent, KINDS[s.kind].label, STATUS[s.status]];
      if (s.statusMessage) parts.push(s.statusMessage);
      s.attributes.forEach(function (a) { parts.push(a[0] + "=" + a[2]); });
      s.events.forEach(function (e) { parts.push(e.name); e.attributes.forEach(function (a) { parts.push(a[0] + "=" + a[2]); }); });
      s.links.forEach(function (l) { parts.push(l.traceId, l.spanId); });
      parts.push(service(s));
      s._text = parts.join("\n").toLowerCase();
    }
    return s._text;
  }
  function terms(q) { return q.toLowerCase().split(/\s+/).filter(Boolean); }
  function traceMatches(t, ts) {
    if (!ts.length) return true;
    return ts.every(function (term) {
      if (t.id.indexOf(term) >= 0) return true;
      for (var i = 0; i < t.spans.length; i++) if (spanText(t, t.spans[i]).indexOf(term) >= 0) return true;
      return false;
    });
  }
  function spanMatches(t, s, ts) {
    if (!ts.length) return false;
    var text = spanText(t, s);
    return ts.some(function (term) { return text.indexOf(term) >= 0; });
  }
  function service(s) {
    var r = meta.resources[s.resource] || [];
    for (var i = 0; i < r.length; i++) if (r[i][0] === "service.name") return r[i][2];
    return "";
  }

  var SORTS = {
    "start-asc": function (a, b) { return a.startMs - b.startMs; },
    "start-desc": function (a, b) { return b.startMs - a.startMs; },
    "dur-desc": function (a, b) { return b.duration - a.duration; },
    "errors": function (a, b) { return b.errors - a.errors || a.startMs - b.startMs; }
  };

  function applyFilter() {
    var ts = terms(state.query);
    state.filtered = [];
    for (var i = 0; i < traces.length; i++) if (traceMatches(traces[i], ts)) state.filtered.push(i);
    var cmp = SORTS[state.sort];
    state.filtered.sort(function (a, b) { return cmp(traces[a], traces[b]) || a - b; });
    state.shown = PAGE;
    renderList();
    if (state.trace >= 0) renderWaterfall();
  }

  var maxDuration = traces.reduce(function (m, t) { return Math.max(m, t.duration); }, 1);

  function renderList() {
    var list = $("trace-list");
    clear(list);
    var n = state.filtered.length;
    $("trace-count").textContent = n === traces.length ? n + (n === 1 ? " trace" : " traces") : n + " of " + traces.length + " traces";
    if (!n) {
      add(list, el("li", "empty", traces.length ? "No trace matches \u201c" + state.query + "\u201d." : "No spans in this file."));
      return;
    }
    var limit = Math.min(n, state.shown);
    for (var k = 0; k < limit; k++) list.appendChild(traceItem(state.filtered[k]));
    if (limit < n) {
      var more = el("button", "more", "Show " + Math.min(PAGE, n - limit) + " more (" + (n - limit) + " hidden)");
      more.type = "button";
      more.addEventListener("click", function () { state.shown += PAGE; renderList(); });
      add(list, add(el("li"), more));
    }
  }

  function traceItem(i) {
    var t = traces[i];
    var li = el("li");
    var b = el("button", "trace-item" + (t.errors ? " has-error" : ""));
    b.type = "button";
    b.setAttribute("role", "option");
    b.setAttribute("aria-selected", String(i === state.trace));
    b.dataset.traceId = t.id;
    b.dataset.index = String(i);
    var row1 = add(el("div", "ti-row"), el("span", "ti-name", t.rootName || "(unnamed)"));
    if (t.errors) add(row1, el("span", "badge error", t.errors === 1 ? "1 error" : t.errors + " errors"));
    if (t.missingParent) {
      var rb = add(el("span", "badge remote"), document.createTextNode("↳ remote"));
      rb.title = "Continued from a parent span that is not in this file";
      add(row1, rb);
    }
    add(row1, el("span", "ti-dur", fmtDur(t.duration)));
    var metaRow = el("div", "ti-meta");
    add(metaRow, el("span", "ti-service", t.service || "unknown service"), el("span", "sep", "\u00b7"),
      el("span", "ti-spans", t.spans.length + (t.spans.length === 1 ? " span" : " spans")), el("span", "sep", "\u00b7"),
      el("span", "ti-time", fmtClock(t.startMs)));
    metaRow.title = "Started " + fmtTime(t.startMs);
    var mini = el("div", "ti-mini");
    var fill = el("span");
    fill.style.width = Math.max(2, Math.round(100 * t.duration / maxDuration)) + "%";
    add(mini, fill);
    add(b, row1, metaRow, mini);
    b.title = "Trace " + t.id;
    b.addEventListener("click", function () { selectTrace(i, -1, true); });
    b.addEventListener("keydown", listKey);
    return add(li, b);
  }

  function listKey(ev) {
    var items = Array.prototype.slice.call(document.querySelectorAll(".trace-item"));
    var at = items.indexOf(ev.currentTarget), to = -1;
    if (ev.key === "ArrowDown" || ev.key === "j") to = Math.min(items.length - 1, at + 1);
    else if (ev.key === "ArrowUp" || ev.key === "k") to = Math.max(0, at - 1);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = items.length - 1;
    else if (ev.key === "ArrowRight") { ev.preventDefault(); focusRow(0); return; }
    else return;
    ev.preventDefault();
    if (to >= 0 && items[to]) { items[to].focus(); selectTrace(Number(items[to].dataset.index), -1, false); }
  }

  function selectTrace(i, spanIndex, focusRows) {
    if (i !== state.trace) state.collapsed = {};
    state.trace = i;
    state.span = spanIndex >= 0 ? spanIndex : 0;
    var items = document.querySelectorAll(".trace-item");
    for (var k = 0; k < items.length; k++) items[k].setAttribute("aria-selected", String(Number(items[k].dataset.index) === i));
    renderTrace();
    updateHash();
    if (focusRows) focusRow(-1);
  }

  function updateHash() {
    var t = traces[state.trace];
    if (!t) return;
    var s = t.spans[state.span];
    var h = "#trace=" + t.id + (s ? "&span=" + s.id : "");
    try { history.replaceState(null, "", h); } catch (e) { /* file:// in some browsers */ }
  }

  function renderTrace() {
    var t = traces[state.trace];
    var view = $("trace-view");
    clear(view);
    if (!t) { add(view, el("div", "empty", traces.length ? "Select a trace." : "No spans in this file.")); renderDetails(); return; }
    var head = el("div", "trace-head");
    var title = add(el("div", "trace-title"), el("h1", null, t.rootName || "(unnamed)"));
    if (t.errors) add(title, el("span", "badge error", t.errors === 1 ? "1 error" : t.errors + " errors"));
    if (t.missingParent) {
      var rp = el("span", "badge remote", "continued from remote parent");
      rp.title = "A root span's parent is not in this file: the trace started in another process (or its parent was lost).";
      add(title, rp);
    }
    var facts = el("div", "facts");
    function fact(label, value, cls) { var f = add(el("span"), document.createTextNode(label + " "), el("b", cls, value)); add(facts, f); return f; }
    fact("Trace", t.id, "mono");
    fact("Start", fmtTime(t.startMs));
    fact("Duration", fmtDur(t.duration));
    fact("Spans", String(t.spans.length));
    var services = {};
    t.spans.forEach(function (s) { var n = service(s); if (n) services[n] = 1; });
    fact(Object.keys(services).length === 1 ? "Service" : "Services", Object.keys(services).join(", ") || "unknown");
    var legend = el("div", "legend");
    var kinds = {};
    t.spans.forEach(function (s) { kinds[s.kind] = 1; });
    Object.keys(kinds).sort().forEach(function (k) {
      var sw = el("i", "k" + k);
      add(legend, add(el("span"), sw, document.createTextNode(KINDS[k].label)));
    });
    if (t.errors) { var ei = el("i"); ei.style.background = "var(--error)"; add(legend, add(el("span"), ei, document.createTextNode("Error"))); }
    add(head, title, facts, legend);

    var scroller = el("div", "scroll");
    scroller.id = "waterfall-scroll";
    var wfHead = el("div", "wf-head");
    var ticks = el("div", "ticks");
    [0, 0.25, 0.5, 0.75, 1].forEach(function (f) {
      var tk = add(el("div", "tick" + (f === 0.25 || f === 0.75 ? " quarter" : "")), el("span", null, fmtDur(t.duration * f)));
      tk.style.left = (f * 100) + "%";
      add(ticks, tk);
    });
    add(wfHead, el("div", null, "Span"), ticks);
    var wf = el("div");
    wf.id = "waterfall";
    wf.setAttribute("role", "tree");
    wf.setAttribute("aria-label", "Spans of trace " + t.id);
    add(scroller, wfHead, wf);
    add(view, head, scroller);
    renderWaterfall();
    renderDetails();
  }

  function visibleSpans(t) {
    var out = [], hideBelow = -1;
    for (var i = 0; i < t.spans.length; i++) {
      var s = t.spans[i];
      if (hideBelow >= 0 && s.depth > hideBelow) continue;
      hideBelow = state.collapsed[s.id] ? s.depth : -1;
      out.push(i);
    }
    return out;
  }

  function renderWaterfall() {
    var t = traces[state.trace];
    var wf = $("waterfall");
    if (!t || !wf) return;
    clear(wf);
    var total = Math.max(t.duration, 1);
    var ts = terms(state.query);
    var frag = document.createDocumentFragment();
    visibleSpans(t).forEach(function (i) {
      var s = t.spans[i];
      var row = el("div", "row" + (s.status === 2 ? " error" : "") + (spanMatches(t, s, ts) ? " match" : ""));
      row.setAttribute("role", "treeitem");
      row.setAttribute("aria-level", String(s.depth + 1));
      row.setAttribute("aria-selected", String(i === state.span));
      if (s.children) row.setAttribute("aria-expanded", String(!state.collapsed[s.id]));
      row.tabIndex = i === state.span ? 0 : -1;
      row.dataset.index = String(i);
      row.dataset.spanId = s.id;
      row.dataset.depth = String(s.depth);
      if (s.status === 2) row.dataset.status = "error";

      var name = el("div", "name-cell");
      name.style.paddingLeft = "8px";
      for (var d = 0; d < s.depth; d++) add(name, el("span", "guide"));
      var tg = el("button", "toggle" + (s.children ? "" : " leaf"), state.collapsed[s.id] ? "\u25b6" : "\u25bc");
      tg.type = "button";
      tg.tabIndex = -1;
      tg.setAttribute("aria-label", state.collapsed[s.id] ? "Expand" : "Collapse");
      if (s.children) tg.addEventListener("click", function (ev) { ev.stopPropagation(); toggle(s.id); });
      var chip = el("span", "kind k" + s.kind, KINDS[s.kind].short);
      chip.title = KINDS[s.kind].label;
      add(name, tg, chip);
      if (s.status === 2) { var ic = el("span", "err-icon", "!"); ic.title = "Error"; add(name, ic); }
      var nm = el("span", "span-name", s.name || "(unnamed)");
      nm.title = s.name;
      add(name, nm);
      if (s.missingParent) { var o = el("span", "orphan", "\u21b3 remote"); o.title = "Parent " + s.parent + " is not in this file"; add(name, o); }
      if (s.children && state.collapsed[s.id]) add(name, el("span", "svc", "+" + descendants(t, i)));
      var svc = service(s);
      if (svc && svc !== t.service) add(name, el("span", "svc", svc));

      var cell = el("div", "bar-cell");
      [0.25, 0.5, 0.75].forEach(function (f) { var g = el("div", "gridline"); g.style.left = (f * 100) + "%"; add(cell, g); });
      var left = 100 * s.offset / total, width = 100 * s.duration / total;
      var bar = el("div", "bar k" + s.kind);
      bar.style.left = left + "%";
      bar.style.width = width + "%";
      bar.title = s.name + " \u2014 " + fmtDur(s.duration);
      add(cell, bar);
      s.events.forEach(function (e) {
        var m = el("div", "mark" + (e.name === "exception" ? " exception" : ""));
        m.style.left = Math.min(100, Math.max(0, 100 * e.offset / total)) + "%";
        m.title = e.name + " at +" + fmtDur(Math.max(0, e.offset - s.offset));
        add(cell, m);
      });
      var label = el("div", "bar-label", fmtDur(s.duration));
      if (left + width <= 82) label.style.left = (left + width) + "%";
      else if (width >= 14) { label.className += " inside"; label.style.right = (100 - left - width) + "%"; }
      else { label.style.right = (100 - left) + "%"; label.style.paddingRight = "6px"; label.style.paddingLeft = "0"; }
      add(cell, label);

      add(row, name, cell);
      row.addEventListener("click", function () { selectSpan(i, false); });
      row.addEventListener("keydown", rowKey);
      frag.appendChild(row);
    });
    wf.appendChild(frag);
  }

  function descendants(t, i) {
    var n = 0, d = t.spans[i].depth;
    for (var k = i + 1; k < t.spans.length && t.spans[k].depth > d; k++) n++;
    return n;
  }

  function toggle(id) {
    state.collapsed[id] = !state.collapsed[id];
    renderWaterfall();
  }

  function selectSpan(i, focus) {
    state.span = i;
    var rows = document.querySelectorAll("#waterfall .row");
    for (var k = 0; k < rows.length; k++) {
      var on = Number(rows[k].dataset.index) === i;
      rows[k].setAttribute("aria-selected", String(on));
      rows[k].tabIndex = on ? 0 : -1;
      if (on && focus) { rows[k].focus(); }
    }
    renderDetails();
    updateHash();
  }

  function focusRow(index) {
    var row = document.querySelector(index >= 0 ? "#waterfall .row:nth-child(" + (index + 1) + ")" : "#waterfall .row[aria-selected=true]");
    if (row) { row.focus(); selectSpan(Number(row.dataset.index), true); }
  }

  function rowKey(ev) {
    var t = traces[state.trace];
    var rows = Array.prototype.slice.call(document.querySelectorAll("#waterfall .row"));
    var at = rows.indexOf(ev.currentTarget);
    var i = Number(ev.currentTarget.dataset.index), s = t.spans[i];
    var to = -1;
    if (ev.key === "ArrowDown" || ev.key === "j") to = Math.min(rows.length - 1, at + 1);
    else if (ev.key === "ArrowUp" || ev.key === "k") to = Math.max(0, at - 1);
    else if (ev.key === "Home") to = 0;
    else if (ev.key === "End") to = rows.length - 1;
    else if (ev.key === "ArrowRight") {
      if (s.children && state.collapsed[s.id]) { toggle(s.id); focusRow(visibleSpans(t).indexOf(i)); }
      else if (s.children) to = Math.min(rows.length - 1, at + 1);
    } else if (ev.key === "ArrowLeft") {
      if (s.children && !state.collapsed[s.id]) { toggle(s.id); focusRow(visibleSpans(t).indexOf(i)); }
      else if (s.depth > 0) { for (var k = at - 1; k >= 0; k--) if (Number(rows[k].dataset.depth) < s.depth) { to = k; break; } }
      else { var item = document.querySelector(".trace-item[aria-selected=true]"); if (item) item.focus(); }
    } else if (ev.key === "Enter" || ev.key === " ") { if (s.children) { toggle(s.id); focusRow(visibleSpans(t).indexOf(i)); } }
    else return;
    ev.preventDefault();
    if (to >= 0) { rows[to].focus(); selectSpan(Number(rows[to].dataset.index), true); }
  }

  function kvTable(list) {
    var table = el("table", "kv");
    var body = el("tbody");
    list.forEach(function (a) {
      var td = el("td", null, a[2]);
      if (a[1] !== "string") add(td, el("span", "type", a[1]));
      add(body, add(el("tr"), el("th", null, a[0]), td));
    });
    return add(table, body);
  }
  function section(title, count) {
    var sec = el("section", "d-sec");
    var h = add(el("h3"), el("span", null, title));
    if (count !== undefined) add(h, el("span", null, String(count)));
    return add(sec, h);
  }
  function attr(list, key) { for (var i = 0; i < list.length; i++) if (list[i][0] === key) return list[i][2]; return undefined; }

  function renderDetails() {
    var body = $("details-body");
    clear(body);
    var t = traces[state.trace], s = t && t.spans[state.span];
    if (!s) { add(body, el("div", "empty", "Select a span to see its attributes, events and links.")); return; }
    add(body, el("h2", "d-title", s.name || "(unnamed)"));
    var chips = el("div", "d-chips");
    var kc = el("span", "kind k" + s.kind, KINDS[s.kind].short);
    add(chips, kc, el("span", null, KINDS[s.kind].label), el("span", "status s" + s.status, STATUS[s.status]));
    add(chips, el("span", "muted", fmtDur(s.duration) + " \u00b7 at +" + fmtDur(s.offset)));
    add(body, chips);
    if (s.status === 2 && s.statusMessage) add(body, el("div", "status-msg", s.statusMessage));

    var at = section("Attributes", s.attributes.length);
    add(at, s.attributes.length ? kvTable(s.attributes) : el("div", "none", "No attributes"));
    if (s.dropped[0]) add(at, el("div", "muted", s.dropped[0] + " attribute(s) dropped"));
    add(body, at);

    var ev = section("Events", s.events.length);
    if (!s.events.length) add(ev, el("div", "none", "No events"));
    s.events.forEach(function (e) {
      var exc = e.name === "exception";
      var box = el("div", "event" + (exc ? " exception" : ""));
      add(box, add(el("div", "ev-head"), el("span", null, e.name || "(unnamed)"), el("span", "mono", "+" + fmtDur(Math.max(0, e.offset - s.offset)))));
      var rest = e.attributes;
      if (exc) {
        var type = attr(e.attributes, "exception.type"), msg = attr(e.attributes, "exception.message"), stack = attr(e.attributes, "exception.stacktrace");
        if (type || msg) add(box, add(el("div", "ex-msg"), el("b", null, type ? type + ": " : ""), document.createTextNode(msg || "")));
        if (stack) add(box, el("pre", "stack", stack));
        rest = e.attributes.filter(function (a) {
          return a[0] !== "exception.stacktrace" && !((a[0] === "exception.type" || a[0] === "exception.message") && (type || msg));
        });
      }
      if (rest.length) add(box, kvTable(rest));
      add(ev, box);
    });
    if (s.dropped[1]) add(ev, el("div", "muted", s.dropped[1] + " event(s) dropped"));
    add(body, ev);

    var ln = section("Links", s.links.length);
    if (!s.links.length) add(ln, el("div", "none", "No links"));
    s.links.forEach(function (l) {
      var box = el("div", "event");
      var target = byId[l.traceId];
      var label = "trace " + l.traceId + " \u00b7 span " + l.spanId;
      if (target !== undefined) {
        var b = el("button", "linkish", label);
        b.type = "button";
        b.addEventListener("click", function () {
          var tt = traces[target], si = 0;
          for (var k = 0; k < tt.spans.length; k++) if (tt.spans[k].id === l.spanId) si = k;
          selectTrace(target, si, true);
        });
        add(box, b);
      } else add(box, el("div", "mono", label + " (not in this file)"));
      if (l.attributes.length) add(box, kvTable(l.attributes));
      add(ln, box);
    });
    add(body, ln);

    var ids = section("Span");
    var table = el("table", "kv"), tb = el("tbody");
    function row(k, v) { var td = el("td"); if (typeof v === "string") td.textContent = v; else add(td, v); add(tb, add(el("tr"), el("th", null, k), td)); }
    row("trace id", t.id);
    row("span id", s.id);
    if (s.parent) {
      var pi = -1;
      for (var k = 0; k < t.spans.length; k++) if (t.spans[k].id === s.parent) pi = k;
      if (pi >= 0) {
        var pb = el("button", "linkish", s.parent + " (" + t.spans[pi].name + ")");
        pb.type = "button";
        pb.addEventListener("click", function () { revealSpan(pi); });
        row("parent id", pb);
      } else row("parent id", s.parent + "  (not in this file: remote parent)");
    } else row("parent id", "\u2014 (root)");
    row("start", fmtTime(t.startMs + s.offset / 1e6));
    row("duration", fmtDur(s.duration));
    if (s.traceState) row("tracestate", s.traceState);
    var svc = service(s);
    if (svc) row("service", svc);
    var sc = meta.scopes[s.scope];
    if (sc && sc[0]) row("scope", sc[0] + (sc[1] ? " " + sc[1] : ""));
    add(ids, add(table, tb));
    add(body, ids);

    var res = meta.resources[s.resource] || [];
    if (res.length) {
      var rs = section("Resource", res.length);
      var det = add(el("details", "res"), el("summary", null, "Show resource attributes"), kvTable(res));
      add(rs, det);
      add(body, rs);
    }
  }

  function revealSpan(i) {
    var t = traces[state.trace];
    // Expand collapsed ancestors so that the span has a row.
    var d = t.spans[i].depth;
    for (var k = i - 1; k >= 0 && d > 0; k--) if (t.spans[k].depth < d) { delete state.collapsed[t.spans[k].id]; d = t.spans[k].depth; }
    renderWaterfall();
    selectSpan(i, true);
    var row = document.querySelector("#waterfall .row[aria-selected=true]");
    if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
  }

  // Header
  $("source").textContent = meta.source;
  $("source").title = meta.source;
  var stats = $("stats");
  function stat(label, value, bad) { add(stats, add(el("span", "stat" + (bad ? " bad" : "")), el("b", null, value), document.createTextNode(" " + label))); }
  stat(traces.length === 1 ? "trace" : "traces", String(traces.length));
  stat(meta.spanCount === 1 ? "span" : "spans", String(meta.spanCount));
  var errs = traces.reduce(function (n, t) { return n + (t.errors ? 1 : 0); }, 0);
  if (errs) stat(errs === 1 ? "failed trace" : "failed traces", String(errs), true);
  if (meta.malformedLines) stat(meta.malformedLines === 1 ? "malformed line skipped" : "malformed lines skipped", String(meta.malformedLines), true);
  if (meta.invalidSpans) stat(meta.invalidSpans === 1 ? "invalid span skipped" : "invalid spans skipped", String(meta.invalidSpans), true);

  var search = $("search");
  var pending = 0;
  search.addEventListener("input", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { state.query = search.value.trim(); applyFilter(); }, traces.length > 2000 ? 150 : 0);
  });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { search.value = ""; state.query = ""; applyFilter(); }
    else if (ev.key === "ArrowDown" || ev.key === "Enter") {
      var first = document.querySelector(".trace-item");
      if (first) { ev.preventDefault(); first.focus(); selectTrace(Number(first.dataset.index), -1, false); }
    }
  });
  $("sort").addEventListener("change", function (ev) { state.sort = ev.target.value; applyFilter(); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "/" && document.activeElement !== search) { ev.preventDefault(); search.focus(); search.select(); }
  });

  applyFilter();
  var hash = /trace=([0-9a-f]+)(?:&span=([0-9a-f]+))?/.exec(location.hash);
  var start = hash && byId[hash[1]] !== undefined ? byId[hash[1]] : state.filtered.length ? state.filtered[0] : -1;
  var startSpan = -1;
  if (hash && start >= 0 && hash[2]) traces[start].spans.forEach(function (s, k) { if (s.id === hash[2]) startSpan = k; });
  if (start >= 0) selectTrace(start, startSpan, false); else renderTrace();
  document.body.dataset.ready = "true";
})();
`

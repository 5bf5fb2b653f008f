"use strict";
// The seedance-mock dashboard: polls the /_mock/ feeds once a second and drives the control plane.
// Every value from the server reaches the DOM as text (textContent), never as markup.

const POLL_MS = 1000;
const PAGE_ROWS = 500; // newest tasks listed; the filters reach the others
const TOKEN_KEY = "seedance-mock-admin-token";
const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const ui = {
  tab: "tasks",
  selected: null, // task id shown in the detail panel
  selectedSig: "", // its status and status time when the detail was fetched
  journalSelected: null,
  feed: null, // the last task feed, its URL, ETag and when it arrived
  feedUrl: "",
  feedTag: "",
  feedAt: 0,
  journal: [],
  lastScale: 1, // the scale Resume goes back to
  finishSeconds: 0,
  callbacksMissing: false, // GET /_mock/callbacks answered 404: this server has no deliveries to show
  online: true,
};

// -- talking to the control plane ---------------------------------------------------------------------
let tokenAsk = null;

function askToken() {
  // With --admin-token every /_mock/ request but this page needs X-Admin-Token: ask once, keep it for the tab.
  if (!tokenAsk) {
    tokenAsk = new Promise((resolve) => {
      const form = $("#token-form");
      form.hidden = false;
      $("#token-input").focus();
      form.onsubmit = (event) => {
        event.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, $("#token-input").value);
        $("#token-input").value = "";
        form.hidden = true;
        tokenAsk = null;
        resolve();
      };
    });
  }
  return tokenAsk;
}

async function api(method, path, body, extraHeaders) {
  for (let attempt = 0; ; attempt++) {
    const headers = { Accept: "application/json", ...(extraHeaders || {}) };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers["X-Admin-Token"] = token;
    const init = { method, headers, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      // State-changing control requests must be JSON (the CSRF rule): send {} when there is nothing to say.
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body === undefined ? {} : body);
    }
    const resp = await fetch(path, init);
    if (resp.status === 401 && attempt < 3) {
      await askToken();
      continue;
    }
    let data = null;
    try {
      data = await resp.json();
    } catch (_) {
      data = null;
    }
    return { status: resp.status, ok: resp.ok, data, etag: resp.headers.get("ETag") };
  }
}

function errorText(result) {
  const err = result.data && (result.data.error || result.data);
  return `${result.status}: ${(err && err.message) || "request failed"}`;
}

let flashTimer = null;
function flash(text, isError) {
  // A toast that says what the last action did; errors stay until the next message.
  const box = $("#flash");
  box.textContent = text;
  box.classList.toggle("error", Boolean(isError));
  clearTimeout(flashTimer);
  if (!isError) flashTimer = setTimeout(() => { box.textContent = ""; }, 6000);
}

async function act(label, method, path, body) {
  // One control action: call, report, refresh what it changed.
  const result = await api(method, path, body);
  if (!result.ok) {
    flash(`${label} failed — ${errorText(result)}`, true);
    return null;
  }
  flash(`${label}: done`);
  await poll();
  return result.data;
}

// -- formatting ---------------------------------------------------------------------------------------
function clockText(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19);
}
function timeText(seconds) {
  return clockText(seconds).slice(11);
}
function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
function statusBadge(status, familyStatus) {
  const word = familyStatus && familyStatus !== status ? `${status} (${familyStatus})` : status;
  return el("span", { class: `status s-${status}`, "data-status": status, text: word });
}

// -- tasks --------------------------------------------------------------------------------------------
function setOptions(select, values, labels) {
  // Keep the user's choice; rebuild only when the list changed.
  const want = ["", ...values];
  const have = Array.from(select.options).map((o) => o.value);
  if (want.length === have.length && want.every((v, i) => v === have[i])) {
    want.forEach((v, i) => { if (labels) select.options[i].textContent = labels(v); });
    return;
  }
  const chosen = select.value;
  select.replaceChildren(...want.map((v) => el("option", { value: v, text: labels ? labels(v) : v || "all" })));
  select.value = want.includes(chosen) ? chosen : "";
}

// A row's video shows its last frame once the row is on screen: one image per visible task, not per task.
const posters = new IntersectionObserver((entries) => {
  for (const entry of entries) {
    if (!entry.isIntersecting) continue;
    entry.target.poster = entry.target.dataset.poster;
    posters.unobserve(entry.target);
  }
});

function taskRow(task) {
  const video = task.video_url
    ? el("video", { class: "mini", src: task.video_url, preload: "none", muted: true, title: "play", "data-id": task.id,
      "data-poster": task.last_frame_url })
    : "";
  if (video) posters.observe(video);
  const family = task.family === "ark" ? "ark" : `predictions · ${task.op}`;
  const tr = el(
    "tr",
    { "data-id": task.id, "data-status": task.status, onclick: () => select(task.id) },
    el("td", { text: timeText(task.created_at) }),
    el("td", {}, el("div", { class: "mono", text: task.id }), el("div", { class: "muted", text: family })),
    el("td", { class: "mono", text: task.key }),
    el("td", {}, el("div", { text: task.model }),
      el("div", { class: "muted", text: `${task.scenario} · ${task.resolution} · ${task.ratio} · ${task.duration} s` })),
    el("td", {}, statusBadge(task.status, task.family_status), el("div", { class: "muted", text: timeText(task.status_time) })),
    el("td", {}, video),
  );
  if (video) {
    video.addEventListener("click", (event) => {
      event.stopPropagation();
      if (video.paused) video.play(); else video.pause();
    });
  }
  tr.dataset.sig = `${task.status}|${task.status_time}|${task.video_url || ""}`;
  if (task.id === ui.selected) tr.classList.add("selected");
  return tr;
}

function renderTasks(feed) {
  const tbody = $("#tasks tbody");
  const existing = new Map(Array.from(tbody.children).map((tr) => [tr.dataset.id, tr]));
  const wanted = new Set(feed.items.map((t) => t.id));
  const drop = (tr) => {
    const video = tr.querySelector("video");
    if (video) posters.unobserve(video);
  };
  for (const [id, tr] of existing) {
    if (!wanted.has(id)) {
      drop(tr);
      tr.remove();
    }
  }
  // Rows that did not change stay in place, so a video playing in one keeps playing.
  let position = tbody.firstElementChild;
  for (const task of feed.items) {
    let tr = existing.get(task.id);
    const sig = `${task.status}|${task.status_time}|${task.video_url || ""}`;
    if (tr && tr.dataset.sig !== sig) {
      const fresh = taskRow(task);
      drop(tr);
      tr.replaceWith(fresh);
      if (position === tr) position = fresh;
      tr = fresh;
    } else if (!tr) {
      tr = taskRow(task);
    }
    if (tr === position) position = position.nextElementSibling;
    else tbody.insertBefore(tr, position);
  }
  const all = Object.values(feed.counts).reduce((a, b) => a + b, 0);
  $("#tasks-count").textContent = String(all);
  $("#tasks-empty").hidden = feed.items.length > 0;
  $("#tasks-shown").textContent =
    feed.items.length < feed.total ? `newest ${feed.items.length} of ${feed.total}` : `${feed.total} shown of ${all}`;
  setOptions($("#filter-status"), Object.keys(feed.counts), (v) => (v ? `${v} (${feed.counts[v]})` : "all"));
  setOptions($("#filter-model"), feed.models);
  setOptions($("#filter-key"), feed.keys);
}

function renderClock(now, scale) {
  $("#clock-now").textContent = `${clockText(now)} UTC`;
  $("#clock-scale").textContent = scale === 0 ? "frozen" : `×${scale}`;
  $("#clock-scale").classList.toggle("s-queued", scale === 0);
  if (scale > 0) ui.lastScale = scale;
}

async function refreshTasks() {
  const query = new URLSearchParams();
  for (const [name, id] of [["status", "#filter-status"], ["model", "#filter-model"], ["key", "#filter-key"]]) {
    if ($(id).value) query.set(name, $(id).value);
  }
  query.set("limit", String(PAGE_ROWS));
  const url = `/_mock/tasks?${query}`;
  // Unchanged since the last poll: the server answers 304 and the clock runs on here.
  const result = await api("GET", url, undefined, ui.feed && ui.feedUrl === url ? { "If-None-Match": ui.feedTag } : {});
  if (result.status === 304) {
    const elapsed = (performance.now() - ui.feedAt) / 1000;
    renderClock(ui.feed.now + elapsed * ui.feed.time_scale, ui.feed.time_scale);
    if (ui.selected) await refreshCallbacks(ui.selected);
    return;
  }
  if (!result.ok) throw new Error(errorText(result));
  const feed = result.data;
  Object.assign(ui, { feed, feedUrl: url, feedTag: result.etag, feedAt: performance.now() });
  renderClock(feed.now, feed.time_scale);
  ui.finishSeconds = feed.finish_seconds;
  $("#finish").disabled = feed.finish_seconds <= 0;
  renderTasks(feed);
  if (ui.selected) {
    const row = feed.items.find((t) => t.id === ui.selected);
    const sig = row ? `${row.status}|${row.status_time}` : ui.selectedSig;
    if (sig !== ui.selectedSig) await showTask(ui.selected);
    else await refreshCallbacks(ui.selected);
  }
}

// -- one task -----------------------------------------------------------------------------------------
function jsonView(value, indent) {
  // A JSON rendering where data: URIs the server summarised appear as chips with their thumbnail.
  indent = indent || "";
  if (value && typeof value === "object" && !Array.isArray(value) && value.data_uri === true) {
    const label = `data:${value.mime || "?"} · ${value.bytes !== undefined ? sizeText(value.bytes) : `${value.chars} chars`}`;
    const dims = value.width ? ` · ${value.width}×${value.height}` : "";
    return el("span", { class: "datauri" },
      // Only the server's own JPEG thumbnails become images; a body that imitates a summary stays text.
      typeof value.thumbnail === "string" && value.thumbnail.startsWith("data:image/jpeg;base64,")
        ? el("img", { src: value.thumbnail, alt: "image thumbnail" }) : "", label + dims);
  }
  const frag = document.createDocumentFragment();
  if (Array.isArray(value)) {
    if (!value.length) { frag.append("[]"); return frag; }
    frag.append("[\n");
    value.forEach((item, i) => {
      frag.append(indent + "  ", jsonView(item, indent + "  "), i < value.length - 1 ? ",\n" : "\n");
    });
    frag.append(indent + "]");
    return frag;
  }
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) { frag.append("{}"); return frag; }
    frag.append("{\n");
    keys.forEach((k, i) => {
      frag.append(`${indent}  ${JSON.stringify(k)}: `, jsonView(value[k], indent + "  "), i < keys.length - 1 ? ",\n" : "\n");
    });
    frag.append(indent + "}");
    return frag;
  }
  frag.append(JSON.stringify(value));
  return frag;
}

function section(title, open, ...content) {
  return el("details", { open }, el("summary", { text: title }), ...content);
}

async function select(id) {
  ui.selected = id;
  for (const tr of document.querySelectorAll("#tasks tbody tr")) tr.classList.toggle("selected", tr.dataset.id === id);
  await showTask(id);
}

async function showTask(id) {
  const panel = $("#detail");
  const result = await api("GET", `/_mock/tasks/${encodeURIComponent(id)}`);
  if (ui.selected !== id) return; // another task was clicked meanwhile
  if (!result.ok) {
    panel.replaceChildren(el("p", { class: "muted", text: `Task ${id}: ${errorText(result)}` }));
    ui.selectedSig = "";
    return;
  }
  const d = result.data;
  const t = d.task;
  ui.selectedSig = `${t.status}|${t.status_time}`;
  const fields = el("dl", { class: "fields" });
  const add = (name, value) => fields.append(el("dt", { text: name }), el("dd", { text: value }));
  add("status", `${t.status}${t.family_status !== t.status ? ` (${t.family_status})` : ""} since ${clockText(t.status_time)}`);
  add("family", t.family === "ark" ? "ark" : `predictions · ${t.op}`);
  add("key", t.key);
  add("model", t.model === t.model_id ? t.model : `${t.model} → ${t.model_id}`);
  add("scenario", t.scenario);
  add("output", `${t.resolution} · ${t.ratio}${t.ratio !== t.actual_ratio ? ` (${t.actual_ratio})` : ""} · ${t.duration} s`);
  add("created", clockText(t.created_at));
  if (t.outcome !== "succeed") add("marker", `[mock:${t.outcome}]`);

  const media = el("div", { class: "media" });
  if (d.video_url) {
    media.append(
      el("figure", {}, el("video", { id: "player", src: d.video_url, controls: true, preload: "metadata", "data-id": t.id }),
        el("figcaption", {}, el("a", { href: d.video_url, target: "_blank", rel: "noopener", text: "video" }))),
      el("figure", {}, el("img", { id: "last-frame", src: d.last_frame_url, alt: "last frame" }),
        el("figcaption", { text: "last frame" })),
    );
  }
  const body = d.body === null
    ? el("p", { class: "muted", text: "The create request is no longer in the journal." })
    : el("pre", {}, jsonView(d.body));
  const callbacks = el("div", { id: "callbacks" });
  panel.replaceChildren(
    el("h2", {}, el("span", { class: "mono", text: t.id }), statusBadge(t.status, t.family_status)),
    fields,
    media,
    section(`Create request${d.request ? ` · POST ${d.request.path}` : ""}`, true, body,
      d.request ? el("p", { class: "muted", text: `request id ${d.request.request_id}` }) : ""),
    section("Ark: GET /api/v3/contents/generations/tasks/{id}", t.family === "ark", el("pre", { text: JSON.stringify(d.ark, null, 2) })),
    section("Predictions: GET /api/v3/predictions/{id}/result", t.family === "predictions",
      el("pre", { text: JSON.stringify(d.prediction, null, 2) })),
    callbacks,
  );
  await refreshCallbacks(id);
}

async function refreshCallbacks(id) {
  // Deliveries of Ark callbacks and predictions webhooks, where this server makes them.
  const box = document.getElementById("callbacks");
  if (!box) return;
  if (ui.callbacksMissing) {
    box.dataset.state = "unavailable";
    return;
  }
  const result = await api("GET", `/_mock/callbacks?task_id=${encodeURIComponent(id)}`);
  if (result.status === 404 && !(result.data && Array.isArray(result.data.items))) {
    ui.callbacksMissing = true;
    box.dataset.state = "unavailable";
    return;
  }
  if (!result.ok || ui.selected !== id) return;
  const items = (result.data.items || []).filter((d) => !d.task_id || d.task_id === id);
  const sig = JSON.stringify(items);
  if (box.dataset.sig === sig) return;
  box.dataset.sig = sig;
  if (!items.length) {
    box.replaceChildren(section("Callbacks", false, el("p", { class: "muted", text: "No deliveries for this task." })));
    return;
  }
  // The fields of a delivery attempt that say what happened; any other record shape is shown whole.
  const preferred = ["attempt", "event", "kind", "url", "outcome", "status_code", "error", "mock_time"];
  let columns = preferred.filter((k) => items.some((item) => k in item));
  if (!columns.length) {
    for (const item of items) for (const k of Object.keys(item)) if (k !== "task_id" && !columns.includes(k)) columns.push(k);
  }
  const cell = (v) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  const shown = (item, k) => (k === "mock_time" && typeof item[k] === "number" ? timeText(item[k]) : cell(item[k]));
  box.replaceChildren(section(`Callbacks (${items.length})`, true,
    el("div", { class: "list" }, el("table", {},
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { text: c })))),
      el("tbody", {}, ...items.map((item) => el("tr", {}, ...columns.map((c) => el("td", { text: shown(item, c) })))))))));
}

// -- journal ------------------------------------------------------------------------------------------
async function refreshJournal() {
  const result = await api("GET", "/_mock/requests?limit=300");
  if (!result.ok) throw new Error(errorText(result));
  const items = result.data.items.slice().reverse(); // newest first
  const sig = items.length ? `${items[0].seq}|${items.length}` : "";
  const tbody = $("#journal tbody");
  if (tbody.dataset.sig === sig) return;
  tbody.dataset.sig = sig;
  ui.journal = items;
  tbody.replaceChildren(...items.map((e) => el("tr", { "data-seq": e.seq, onclick: () => showRequest(e.seq), class: e.seq === ui.journalSelected ? "selected" : "" },
    el("td", { text: e.seq }),
    el("td", { text: timeText(e.time) }),
    el("td", { text: e.method }),
    el("td", { class: "path", text: e.path + (Object.keys(e.query || {}).length ? "?…" : "") }),
    el("td", { class: e.status === null ? "http-x" : `http-${String(e.status)[0]}`, text: e.status === null ? "dropped" : e.status }),
    el("td", { class: "mono", text: e.request_id || "" }),
    el("td", { class: "mono", text: e.key || "" }),
  )));
}

function queryText(query) {
  const pairs = Object.entries(query || {}).flatMap(([k, values]) => values.map((v) => [k, v]));
  return pairs.length ? `?${new URLSearchParams(pairs)}` : "";
}

function showRequest(seq) {
  ui.journalSelected = seq;
  const e = ui.journal.find((x) => x.seq === seq);
  for (const tr of document.querySelectorAll("#journal tbody tr")) tr.classList.toggle("selected", Number(tr.dataset.seq) === seq);
  if (!e) return;
  $("#journal-detail").replaceChildren(
    el("h2", {}, `${e.method} ${e.path}`),
    el("dl", { class: "fields" },
      el("dt", { text: "status" }), el("dd", { text: e.status === null ? "dropped" : e.status }),
      el("dt", { text: "time" }), el("dd", { text: clockText(e.time) }),
      el("dt", { text: "request id" }), el("dd", { text: e.request_id || "" }),
      el("dt", { text: "key" }), el("dd", { text: e.key || "" }),
      el("dt", { text: "query" }), el("dd", { text: queryText(e.query) })),
    el("pre", { text: e.body === null ? "(no body)" : JSON.stringify(e.body, null, 2) }),
  );
}

// -- faults and keys ----------------------------------------------------------------------------------
async function refreshFaults() {
  const result = await api("GET", "/_mock/faults");
  if (!result.ok) throw new Error(errorText(result));
  const rules = result.data.items;
  $("#faults-count").textContent = String(rules.length);
  const tbody = $("#faults tbody");
  const sig = JSON.stringify(rules);
  if (tbody.dataset.sig === sig) return;
  tbody.dataset.sig = sig;
  const v = (x) => (x === null || x === undefined ? "—" : String(x));
  tbody.replaceChildren(...rules.map((r) => el("tr", { "data-rule": r.id },
    el("td", { text: r.id }), el("td", { text: v(r.method) }), el("td", { text: v(r.path) }), el("td", { text: v(r.model) }),
    el("td", { text: v(r.status) }), el("td", { text: v(r.code) }), el("td", { text: r.times === null ? "∞" : r.times }),
    el("td", { text: r.delay }), el("td", { text: r.drop ? "yes" : "" }), el("td", { text: r.hits }))));
}

function faultFromForm(form) {
  const f = new FormData(form);
  const rule = {};
  for (const name of ["method", "path", "model", "code", "message"]) if (f.get(name)) rule[name] = f.get(name);
  for (const name of ["status", "retry_after"]) if (f.get(name) !== "") rule[name] = Number(f.get(name));
  const times = f.get("times") === "" ? 1 : Number(f.get("times"));
  rule.times = times === 0 ? null : times;
  if (Number(f.get("delay"))) rule.delay = Number(f.get("delay"));
  if (f.get("drop")) rule.drop = true;
  return rule;
}

function keyPatchFromForm(form) {
  const f = new FormData(form);
  const patch = {};
  if (f.get("balance") !== "") patch.balance = Number(f.get("balance"));
  const rpm = String(f.get("rpm")).trim();
  if (rpm) patch.rpm = rpm.toLowerCase() === "none" ? null : Number(rpm);
  const models = String(f.get("models")).trim();
  if (models) patch.models = models === "*" ? null : models.split(",").map((m) => m.trim()).filter(Boolean);
  if (f.get("valid")) patch.valid = f.get("valid") === "true";
  return patch;
}

// -- wiring -------------------------------------------------------------------------------------------
function showTab(name) {
  ui.tab = name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  for (const s of document.querySelectorAll("main > .tab")) s.hidden = s.id !== `tab-${name}`;
  poll();
}

let polling = null;
async function poll() {
  // One refresh of what is on screen; concurrent callers share it.
  if (polling) return polling;
  polling = (async () => {
    try {
      await refreshTasks();
      if (ui.tab === "journal") await refreshJournal();
      await refreshFaults();
      if (!ui.online) flash("connected again");
      ui.online = true;
    } catch (err) {
      ui.online = false;
      flash(`cannot reach the mock: ${err.message || err}`, true);
    }
  })();
  try { await polling; } finally { polling = null; }
}

function loop() {
  poll().finally(() => setTimeout(loop, document.hidden ? POLL_MS * 5 : POLL_MS));
}

function armed(button, run) {
  // A destructive button asks for a second click within 3 s instead of a blocking confirm().
  button.addEventListener("click", async () => {
    if (!button.classList.contains("armed")) {
      button.classList.add("armed");
      const label = button.textContent;
      button.textContent = "Click again to confirm";
      button.dataset.label = label;
      setTimeout(() => { button.classList.remove("armed"); button.textContent = button.dataset.label; }, 3000);
      return;
    }
    button.classList.remove("armed");
    button.textContent = button.dataset.label;
    await run();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  for (const id of ["#filter-status", "#filter-model", "#filter-key"]) $(id).addEventListener("change", () => poll());
  $("#freeze").addEventListener("click", () => act("Clock frozen", "PUT", "/_mock/clock", { time_scale: 0 }));
  $("#resume").addEventListener("click", () => act(`Clock at ×${ui.lastScale}`, "PUT", "/_mock/clock", { time_scale: ui.lastScale }));
  $("#set-scale").addEventListener("click", () => act(`Clock at ×${$("#scale").value}`, "PUT", "/_mock/clock", { time_scale: Number($("#scale").value) }));
  $("#advance").addEventListener("click", () => act(`Advanced ${$("#advance-seconds").value} s`, "POST", "/_mock/clock/advance", { seconds: Number($("#advance-seconds").value) }));
  $("#finish").addEventListener("click", () => act(`Advanced ${ui.finishSeconds} s: every task finished`, "POST", "/_mock/clock/advance", { seconds: ui.finishSeconds }));
  armed($("#reset"), async () => {
    ui.selected = null;
    $("#detail").replaceChildren(el("p", { class: "muted", text: "Reset: no tasks." }));
    await act("Reset", "POST", "/_mock/reset");
  });
  $("#fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rule = await act("Fault rule added", "POST", "/_mock/faults", faultFromForm(event.target));
    if (rule) flash(`Fault rule ${rule.id} added`);
  });
  $("#clear-faults").addEventListener("click", () => act("Fault rules cleared", "DELETE", "/_mock/faults"));
  $("#key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = new FormData(event.target).get("key");
    const data = await act(`Key ${key} saved`, "PUT", `/_mock/keys/${encodeURIComponent(key)}`, keyPatchFromForm(event.target));
    if (data) $("#key-result").textContent = JSON.stringify(data, null, 2);
  });
  $("#key-lookup").addEventListener("click", async () => {
    const key = new FormData($("#key-form")).get("key");
    if (!key) return;
    const result = await api("GET", `/_mock/keys/${encodeURIComponent(key)}`);
    $("#key-result").textContent = result.ok ? JSON.stringify(result.data, null, 2) : errorText(result);
  });
  loop();
});

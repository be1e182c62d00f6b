// The dashboard of novita-mock: every view reads the control plane (/__mock/…) and every
// control calls it, with the admin token when the server has one. Live updates poll the open
// tab once a second while the page is visible: when nobody watches, nothing runs.

const TOKEN_KEY = "novita-mock-admin-token";
const TRY_KEY = "novita-mock-try-key";
const PAGE_SIZE = 50;
const POLL_MS = 1000;

// ---------------------------------------------------------------- helpers

/** An element with attributes (on* as listeners) and children (strings become text). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name in element && typeof value !== "string") element[name] = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's children, skipping empty ones and flattening lists. */
function put(element, ...children) {
  element.replaceChildren(...children.flat(2).filter((c) => c !== null && c !== undefined && c !== false));
}

const $ = (selector) => document.querySelector(selector);
const shortStatus = (status) => (status || "").replace("TASK_STATUS_", "");
const pretty = (value) => JSON.stringify(value, null, 2);

function timeOf(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toISOString().slice(11, 23);
}

function duration(ms) {
  if (ms === undefined || ms === null) return "—";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 6000);
}

// ---------------------------------------------------------------- the control plane

class HTTPError extends Error {
  constructor(status, body) {
    const reason = body && body.reason ? `${body.reason}: ${body.message || ""}` : JSON.stringify(body);
    super(`HTTP ${status} — ${reason}`);
    this.status = status;
    this.body = body;
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

let tokenPrompt = null;

/** Shows the token dialog once; every call waiting for it resumes when a token is given. */
function askForToken(rejected) {
  if (!tokenPrompt) {
    tokenPrompt = new Promise((resolve) => {
      const dialog = $("#token-dialog");
      $("#token-error").textContent = rejected ? "That token was refused." : "";
      dialog.addEventListener("close", function done() {
        dialog.removeEventListener("close", done);
        const value = dialog.querySelector("input[name=token]").value.trim();
        if (value) sessionStorage.setItem(TOKEN_KEY, value);
        tokenPrompt = null;
        resolve();
      });
      dialog.showModal();
    });
  }
  return tokenPrompt;
}

/** A control-plane call; JSON in and out. Asks for the admin token on 401 and tries again. */
async function api(method, path, body) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const headers = { ...authHeaders() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    });
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = { message: text }; }
    if (response.status === 401 && path.startsWith("/__mock/")) {
      await askForToken(attempt > 0 || Boolean(sessionStorage.getItem(TOKEN_KEY)));
      continue;
    }
    if (!response.ok) throw new HTTPError(response.status, json);
    return json;
  }
  throw new Error("the admin token was not accepted");
}

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// ---------------------------------------------------------------- outputs (thumbnails, clips)

/** Object URLs of task outputs, fetched once through the control plane (so the previews never
 * show up in the journal or meet a fault rule), the oldest revoked beyond 300. */
const outputs = new Map();

function outputURL(taskID, index) {
  const key = `${taskID}/${index}`;
  if (!outputs.has(key)) {
    const promise = fetch(`/__mock/tasks/${encodeURIComponent(taskID)}/output/${index}`, { headers: authHeaders() })
      .then((response) => {
        if (!response.ok) throw new Error(`output ${index} of ${taskID}: HTTP ${response.status}`);
        return response.blob();
      })
      .then((blob) => URL.createObjectURL(blob));
    promise.catch(() => outputs.delete(key));
    outputs.set(key, promise);
    if (outputs.size > 300) {
      const [oldest, first] = outputs.entries().next().value;
      outputs.delete(oldest);
      first.then((url) => URL.revokeObjectURL(url), () => {});
    }
  }
  return outputs.get(key);
}

function outputElement(task, output, large) {
  const label = `${output.kind} ${output.index + 1} of task ${task.task_id}`;
  const element = output.kind === "video"
    ? h("video", { class: large ? "" : "thumb", muted: true, loop: true, playsInline: true, controls: large,
                   preload: "metadata", "aria-label": label })
    : h("img", { class: large ? "" : "thumb", alt: label, decoding: "async" });
  if (!large && output.kind === "video") {
    element.addEventListener("mouseenter", () => element.play().catch(() => {}));
    element.addEventListener("mouseleave", () => element.pause());
  }
  outputURL(task.task_id, output.index).then(
    (url) => { element.src = url; },
    (error) => { element.replaceWith(h("span", { class: "thumb placeholder", title: error.message }, "!")); });
  return element;
}

// ---------------------------------------------------------------- tabs

const views = {};
let currentTab = "tasks";

function selectTab(name, focus) {
  currentTab = name;
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.id === `tab-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !selected;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `#${name}`);
  refresh();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab.id.slice(4)));
    tab.addEventListener("keydown", (event) => {
      const index = tabs.indexOf(tab);
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = tabs[(moves[event.key] + tabs.length) % tabs.length];
      selectTab(next.id.slice(4), true);
    });
  }
}

// ---------------------------------------------------------------- tasks

const tasksState = { offset: 0, filters: {}, selected: null, rows: new Map(), total: 0 };

function outputSummary(list) {
  if (!list.length) return "";
  const kind = list[0].kind;
  return `${list.length} ${kind}${list.length > 1 ? "s" : ""} · ${list[0].type}`;
}

function taskRow(task) {
  let row = tasksState.rows.get(task.task_id);
  if (!row) {
    row = h("tr", { "data-task": task.task_id },
      h("td", { class: "thumb-cell" }),
      h("td", {}, h("button", { type: "button", class: "link", title: task.task_id,
                                onclick: () => selectTask(task.task_id) }, task.task_id.slice(0, 8) + "…")),
      h("td", { class: "type" }), h("td", { class: "mono tenant" }), h("td", { class: "state" }),
      h("td", { class: "progress nowrap" }), h("td", { class: "nowrap submitted" }), h("td", { class: "num took" }));
    row.addEventListener("click", (event) => { if (event.target.tagName !== "BUTTON") selectTask(task.task_id); });
    tasksState.rows.set(task.task_id, row);
  }
  const status = shortStatus(task.status);
  if (row.dataset.status !== status || row.dataset.progress !== String(task.progress_percent)) {
    row.dataset.status = status;
    row.dataset.progress = String(task.progress_percent);
    row.querySelector(".type").textContent = task.task_type;
    row.querySelector(".tenant").textContent = task.api_key;
    row.querySelector(".state").replaceChildren(
      h("span", { class: `status ${status}`, title: task.reason || undefined }, status.toLowerCase()));
    const progress = status === "PROCESSING"
      ? [h("progress", { max: 100, value: task.progress_percent, "aria-label": "progress" }),
         h("span", { class: "sub" }, ` ${task.progress_percent}%`)]
      : status === "QUEUED" ? h("span", { class: "sub" }, `eta ${task.eta} s`)
      : status === "FAILED" ? h("span", { class: "sub fail", title: task.reason }, task.reason.slice(0, 40))
      : h("span", { class: "sub" }, outputSummary(task.outputs || []));
    row.querySelector(".progress").replaceChildren(...[progress].flat());
    row.querySelector(".submitted").textContent = timeOf(task.submitted_at);
    row.querySelector(".took").textContent = task.finished_at ? duration(task.duration_ms) : "—";
    const cell = row.querySelector(".thumb-cell");
    const first = (task.outputs || [])[0];
    cell.replaceChildren(first ? outputElement(task, first, false) : h("span", { class: "thumb placeholder", "aria-hidden": "true" }, "◌"));
  }
  row.classList.toggle("selected", tasksState.selected === task.task_id);
  return row;
}

async function loadTasks() {
  const data = await api("GET", "/__mock/tasks" + query({
    ...tasksState.filters, order: "newest", offset: tasksState.offset, limit: PAGE_SIZE }));
  tasksState.total = data.total;
  const rows = data.tasks.map(taskRow);
  const shown = new Set(data.tasks.map((task) => task.task_id));
  for (const id of tasksState.rows.keys()) if (!shown.has(id)) tasksState.rows.delete(id);
  $("#tasks-table tbody").replaceChildren(...rows);
  $("#tasks-empty").hidden = rows.length > 0;
  $("#count-tasks").textContent = data.total ? String(data.total) : "";
  const first = data.total ? tasksState.offset + 1 : 0;
  const last = tasksState.offset + rows.length;
  $("#tasks-page").textContent = `${first}–${last} of ${data.total}`;
  $("#tasks-prev").disabled = tasksState.offset === 0;
  $("#tasks-next").disabled = last >= data.total;
  if (tasksState.selected && shown.has(tasksState.selected)) {
    const task = data.tasks.find((t) => t.task_id === tasksState.selected);
    const panel = $("#task-detail");
    if (panel.dataset.status !== task.status || panel.dataset.progress !== String(task.progress_percent)) {
      await showTask(tasksState.selected);
    }
  }
}

async function selectTask(id) {
  tasksState.selected = id;
  for (const row of tasksState.rows.values()) row.classList.toggle("selected", row.dataset.task === id);
  await showTask(id).catch((error) => toast(error.message));
  $("#task-detail").focus();
}

async function showTask(id) {
  const task = await api("GET", `/__mock/tasks/${encodeURIComponent(id)}`);
  const panel = $("#task-detail");
  panel.dataset.status = task.status;
  panel.dataset.progress = String(task.progress_percent);
  const status = shortStatus(task.status);
  const finished = status === "SUCCEED" || status === "FAILED";
  const force = async (action) => {
    const body = action === "fail" ? { reason: "failed from the dashboard" } : undefined;
    try { await api("POST", `/__mock/tasks/${encodeURIComponent(id)}/${action}`, body); }
    catch (error) { toast(error.message); }
    await refresh();
  };
  put(panel,
    h("h2", {}, "Task ", h("span", { class: `status ${status}` }, status.toLowerCase())),
    h("dl", {},
      h("dt", {}, "id"), h("dd", { class: "mono" }, task.task_id),
      h("dt", {}, "type"), h("dd", {}, task.task_type),
      h("dt", {}, "tenant"), h("dd", { class: "mono" }, task.api_key),
      h("dt", {}, "submitted"), h("dd", {}, timeOf(task.submitted_at)),
      h("dt", {}, "started"), h("dd", {}, timeOf(task.started_at)),
      h("dt", {}, "finished"), h("dd", {}, timeOf(task.finished_at)),
      h("dt", {}, "duration"), h("dd", {}, duration(task.duration_ms)),
      finished ? null : [h("dt", {}, "progress"), h("dd", {}, `${task.progress_percent}% (eta ${task.eta} s)`)],
      task.reason ? [h("dt", {}, "reason"), h("dd", {}, task.reason)] : null),
    finished ? null : h("div", { class: "actions" },
      h("button", { type: "button", onclick: () => force("complete") }, "Force success"),
      h("button", { type: "button", class: "danger", onclick: () => force("fail") }, "Force failure")),
    task.outputs && task.outputs.length
      ? [h("h3", {}, "Outputs"), h("div", { class: "outputs" }, task.outputs.map((o) => outputElement(task, o, true)))]
      : null,
    h("h3", {}, "Request (images elided)"), h("pre", {}, pretty(task.request)),
    h("h3", {}, "Result (as task-result answers)"), h("pre", {}, pretty(task.result)));
}

function setUpTasks() {
  $("#task-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    tasksState.filters = { api_key: form.get("api_key").trim(), status: form.get("status") };
    tasksState.offset = 0;
    refresh();
  });
  $("#tasks-prev").addEventListener("click", () => {
    tasksState.offset = Math.max(0, tasksState.offset - PAGE_SIZE);
    refresh();
  });
  $("#tasks-next").addEventListener("click", () => {
    tasksState.offset += PAGE_SIZE;
    refresh();
  });
}
views.tasks = loadTasks;

// ---------------------------------------------------------------- journal

const journalState = { filters: {}, refusedOnly: false, selected: null, entries: new Map() };

function statusCode(status) {
  return h("span", { class: `code c${String(status)[0]}` }, status === 0 ? "dropped" : String(status));
}

async function loadJournal() {
  const data = await api("GET", "/__mock/requests" + query({ ...journalState.filters, limit: 300 }));
  let entries = data.requests.slice().reverse();
  if (journalState.refusedOnly) entries = entries.filter((entry) => entry.status >= 400 || entry.status === 0);
  journalState.entries = new Map(entries.map((entry) => [entry.sequence, entry]));
  const rows = entries.map((entry) => {
    const outcome = entry.outcome
      ? entry.outcome.task_id ? h("span", { class: "mono" }, entry.outcome.task_id.slice(0, 8) + "…")
        : h("span", {}, entry.outcome.reason || "")
      : "";
    const row = h("tr", { class: [entry.status >= 400 || entry.status === 0 ? "refused" : "",
                                  journalState.selected === entry.sequence ? "selected" : ""].join(" ").trim() },
      h("td", { class: "num" }, h("button", { type: "button", class: "link", onclick: () => selectEntry(entry.sequence) },
                                 String(entry.sequence))),
      h("td", { class: "nowrap" }, timeOf(entry.time)),
      h("td", {}, h("span", { class: "mono" }, `${entry.method} ${entry.path}`)),
      h("td", {}, statusCode(entry.status)),
      h("td", { class: "num" }, duration(entry.latency_ms)),
      h("td", { class: "mono" }, entry.api_key || "—"),
      h("td", { class: "mono" }, entry.test_id || ""),
      h("td", {}, outcome));
    row.addEventListener("click", (event) => { if (event.target.tagName !== "BUTTON") selectEntry(entry.sequence); });
    return row;
  });
  $("#journal-table tbody").replaceChildren(...rows);
  $("#journal-empty").hidden = rows.length > 0;
  $("#count-journal").textContent = data.count ? String(data.count) : "";
}

/** The violations of a refused request, each with its field path marked. */
function violationList(response) {
  const metadata = (response && response.metadata) || {};
  const sentences = metadata.violations ? metadata.violations.split("; ")
    : response && response.message ? [response.message] : [];
  return h("ul", { class: "violations" }, sentences.map((sentence) => {
    const colon = sentence.indexOf(": must be ");
    return colon > 0 ? h("li", {}, h("mark", {}, sentence.slice(0, colon)), sentence.slice(colon))
      : h("li", {}, sentence);
  }));
}

function selectEntry(sequence) {
  journalState.selected = sequence;
  const entry = journalState.entries.get(sequence);
  if (!entry) return;
  for (const row of document.querySelectorAll("#journal-table tbody tr")) {
    row.classList.toggle("selected", row.querySelector("button").textContent === String(sequence));
  }
  const refused = entry.status >= 400 || entry.status === 0;
  const panel = $("#journal-detail");
  put(panel,
    h("h2", {}, `#${entry.sequence} `, h("span", { class: "mono" }, `${entry.method} ${entry.path}`), statusCode(entry.status)),
    h("dl", {},
      h("dt", {}, "time"), h("dd", {}, entry.time),
      h("dt", {}, "tenant"), h("dd", { class: "mono" }, entry.api_key || "—"),
      h("dt", {}, "test id"), h("dd", { class: "mono" }, entry.test_id || "—"),
      h("dt", {}, "latency"), h("dd", {}, duration(entry.latency_ms)),
      Object.keys(entry.query || {}).length ? [h("dt", {}, "query"), h("dd", { class: "mono" }, new URLSearchParams(entry.query).toString())] : null),
    refused ? [h("h3", {}, entry.status === 0 ? "Dropped" : "Refused: what was wrong"),
               violationList(entry.response || entry.outcome)] : null,
    h("h3", {}, "Request headers"), h("pre", {}, pretty(entry.headers)),
    h("h3", {}, "Request body (long strings elided)"), h("pre", {}, entry.body === null ? "(empty)" : pretty(entry.body)),
    h("h3", {}, "Response body"), h("pre", {}, entry.response === null || entry.response === undefined
      ? "(not JSON, or not kept)" : pretty(entry.response)));
  panel.focus();
}

function setUpJournal() {
  $("#journal-filters").addEventListener("submit", (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    journalState.filters = {
      api_key: form.get("api_key").trim(), path: form.get("path").trim(), status: form.get("status").trim(),
      test_id: form.get("test_id").trim(),
    };
    journalState.refusedOnly = form.get("refused") === "on";
    refresh();
  });
  $("#journal-clear").addEventListener("click", async () => {
    if (!confirm("Clear the request journal of every tenant?")) return;
    await api("DELETE", "/__mock/requests").catch((error) => toast(error.message));
    refresh();
  });
}
views.journal = loadJournal;

// ---------------------------------------------------------------- webhooks

async function loadWebhooks() {
  const data = await api("GET", "/__mock/webhooks");
  const byTask = new Map();
  for (const attempt of data.attempts) {
    if (!byTask.has(attempt.task_id)) byTask.set(attempt.task_id, []);
    byTask.get(attempt.task_id).push(attempt);
  }
  const rows = [];
  for (const [taskID, attempts] of [...byTask.entries()].reverse()) {
    attempts.forEach((attempt, index) => {
      rows.push(h("tr", { class: attempt.outcome === "failed" || attempt.outcome === "abandoned" ? "refused" : "" },
        index === 0 ? h("td", { rowSpan: attempts.length, class: "mono" }, taskID.slice(0, 8) + "…",
                        h("div", { class: "sub" }, attempt.api_key)) : null,
        h("td", { class: "mono" }, attempt.url),
        h("td", { class: "num" }, String(attempt.attempt)),
        h("td", { class: "nowrap" }, timeOf(attempt.time)),
        h("td", { class: "num" }, duration(attempt.latency_ms)),
        h("td", {}, attempt.status_code !== null ? statusCode(attempt.status_code) : h("span", { class: "sub" }, attempt.error || "")),
        h("td", {}, attempt.outcome)));
    });
  }
  $("#webhooks-table tbody").replaceChildren(...rows);
  $("#webhooks-empty").hidden = rows.length > 0;
  $("#count-webhooks").textContent = data.attempts.length ? String(data.attempts.length) : "";
}
views.webhooks = loadWebhooks;

// ---------------------------------------------------------------- faults

function describeRule(rule) {
  const matches = [rule.method, rule.route || "every route", rule.api_key ? `tenant ${rule.api_key}` : null,
                   rule.test_id ? `test ${rule.test_id}` : null].filter(Boolean).join(" · ");
  const effects = [];
  if (rule.status) effects.push(`status ${rule.status}` + (rule.retry_after_s ? ` (Retry-After ${rule.retry_after_s})` : ""));
  if (rule.drop_connection) effects.push("drop the connection");
  if (rule.delay_ms) effects.push(`delay ${rule.delay_ms} ms`);
  if (rule.slow_body_bytes_per_s) effects.push(`body at ${rule.slow_body_bytes_per_s} B/s`);
  const left = rule.probability !== undefined && rule.probability !== null ? `p = ${rule.probability}`
    : rule.times !== undefined && rule.times !== null ? `${rule.remaining ?? rule.times} of ${rule.times}` : "until deleted";
  return { matches, effects: effects.join(", "), left };
}

async function loadFaults() {
  const data = await api("GET", "/__mock/faults");
  const rows = data.faults.map((rule) => {
    const { matches, effects, left } = describeRule(rule);
    return h("tr", {},
      h("td", { class: "mono" }, rule.id),
      h("td", { class: "mono" }, matches),
      h("td", {}, effects),
      h("td", {}, left),
      h("td", {}, h("button", { type: "button", class: "danger small", "aria-label": `Delete fault rule ${rule.id}`,
        onclick: async () => {
          await api("DELETE", `/__mock/faults/${encodeURIComponent(rule.id)}`).catch((error) => toast(error.message));
          refresh();
        } }, "Delete")));
  });
  $("#faults-table tbody").replaceChildren(...rows);
  $("#faults-empty").hidden = rows.length > 0;
  $("#count-faults").textContent = rows.length ? String(rows.length) : "";
}

function setUpFaults() {
  $("#fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const rule = {};
    for (const name of ["id", "route", "method", "api_key", "test_id"]) {
      const value = form.elements[name].value.trim();
      if (value) rule[name] = value;
    }
    for (const name of ["status", "retry_after_s", "delay_ms", "slow_body_bytes_per_s", "times", "seed"]) {
      const value = form.elements[name].value.trim();
      if (value) rule[name] = Number.parseInt(value, 10);
    }
    if (form.elements.probability.value.trim()) rule.probability = Number(form.elements.probability.value);
    if (form.elements.drop_connection.checked) rule.drop_connection = true;
    $("#fault-error").textContent = "";
    try {
      await api("POST", "/__mock/faults", rule);
      form.reset();
    } catch (error) {
      $("#fault-error").textContent = error.message;
    }
    refresh();
  });
  $("#faults-clear").addEventListener("click", async () => {
    await api("DELETE", "/__mock/faults").catch((error) => toast(error.message));
    refresh();
  });
}
views.faults = loadFaults;

// ---------------------------------------------------------------- endpoints

let endpointList = null;

/** A small PNG made in the page, for the examples' `<base64 image>` placeholders. */
function samplePNG() {
  const canvas = document.createElement("canvas");
  canvas.width = 64;
  canvas.height = 64;
  const context = canvas.getContext("2d");
  const gradient = context.createLinearGradient(0, 0, 64, 64);
  gradient.addColorStop(0, "#3451b2");
  gradient.addColorStop(1, "#f0b429");
  context.fillStyle = gradient;
  context.fillRect(0, 0, 64, 64);
  context.fillStyle = "#1d2330";
  context.fillRect(22, 22, 20, 20);
  return canvas.toDataURL("image/png").split(",")[1];
}

function exampleBody(example) {
  const image = samplePNG();
  return JSON.stringify(example, (key, value) => (value === "<base64 image>" ? image : value), 2);
}

async function loadEndpoints() {
  if (!endpointList) endpointList = (await api("GET", "/__mock/endpoints")).endpoints;
  const routes = $("#routes");
  if (!routes.children.length) {
    routes.replaceChildren(...endpointList.map((e) => h("option", { value: e.path })),
      h("option", { value: "/faas-output-image/*" }), h("option", { value: "/faas-output-video/*" }));
  }
  const tbody = $("#endpoints-table tbody");
  if (tbody.children.length) return;
  tbody.replaceChildren(...endpointList.map((endpoint) => h("tr", {},
    h("td", {}, h("span", { class: "mono" }, `${endpoint.method} ${endpoint.path}`),
      endpoint.summary ? h("div", { class: "sub" }, endpoint.summary) : null),
    h("td", {}, endpoint.mode),
    h("td", { class: "mono" }, endpoint.task_type || ""),
    h("td", { class: "mono sub" }, endpoint.file),
    h("td", {}, h("button", { type: "button", "aria-label": `Try ${endpoint.method} ${endpoint.path}`,
                              onclick: () => tryEndpoint(endpoint) }, "Try it")))));
  $("#count-endpoints").textContent = String(endpointList.length);
}

function tryEndpoint(endpoint) {
  const panel = $("#endpoint-detail");
  const isGet = endpoint.method === "GET";
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "form-grid wide" },
    h("label", {}, "API key", h("input", { name: "key", value: sessionStorage.getItem(TRY_KEY) || "dashboard-key",
                                          autocomplete: "off", required: true })),
    h("label", {}, "X-Test-Id", h("input", { name: "test_id", autocomplete: "off", placeholder: "optional" })),
    isGet ? h("label", {}, "Query", h("input", { name: "query", placeholder: endpoint.path.endsWith("task-result") ? "task_id=…" : "" }))
      : h("label", {}, "Body (the documented example)",
          h("textarea", { name: "body", rows: 14, spellcheck: "false" }, exampleBody(endpoint.example || {}))),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, `Send ${endpoint.method}`)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const key = form.elements.key.value.trim();
    sessionStorage.setItem(TRY_KEY, key);
    const headers = { Authorization: `Bearer ${key}` };
    if (form.elements.test_id.value.trim()) headers["X-Test-Id"] = form.elements.test_id.value.trim();
    let url = endpoint.path;
    const init = { method: endpoint.method, headers };
    if (isGet) {
      const text = form.elements.query.value.trim();
      if (text) url += `?${text.replace(/^\?/, "")}`;
    } else {
      headers["Content-Type"] = "application/json";
      init.body = form.elements.body.value;
    }
    result.replaceChildren(h("p", { class: "sub" }, "sending…"));
    try {
      const response = await fetch(url, init);
      const text = await response.text();
      let shown = text;
      let json = null;
      try { json = JSON.parse(text); shown = pretty(json); } catch { /* not JSON: shown as text */ }
      const taskID = json && json.task_id;
      put(result,
        h("h3", {}, "Answer ", statusCode(response.status)),
        taskID ? h("p", {}, "Task ", h("button", { type: "button", class: "link",
          onclick: () => { selectTab("tasks"); selectTask(taskID); } }, taskID)) : null,
        response.status >= 400 && json ? violationList(json) : null,
        h("pre", {}, shown.length > 20000 ? shown.slice(0, 20000) + "\n…" : shown));
    } catch (error) {
      result.replaceChildren(h("p", { class: "error" }, String(error.message)));
    }
  });
  put(panel,
    h("h2", {}, h("span", { class: "mono" }, `${endpoint.method} ${endpoint.path}`)),
    endpoint.summary ? h("p", { class: "note" }, endpoint.summary) : null,
    form, result);
  panel.focus();
}
views.endpoints = loadEndpoints;

// ---------------------------------------------------------------- controls and the header

async function loadClock() {
  try {
    const clock = await api("GET", "/__mock/clock");
    $("#clock-now").textContent = clock.now.replace("T", " ").replace("Z", "");
    $("#clock-mode").textContent = clock.mode + (clock.scale && clock.scale !== 1 ? ` ×${clock.scale}` : "");
    $("#health").textContent = "connected";
    $("#health").className = "pill ok";
  } catch (error) {
    $("#health").textContent = error instanceof HTTPError ? `error ${error.status}` : "unreachable";
    $("#health").className = "pill bad";
    throw error;
  }
}

async function advanceClock(ms) {
  await api("POST", "/__mock/clock", { advance_ms: ms });
  await refresh();
}

function formAction(selector, errorSelector, action) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $(errorSelector);
    error.textContent = "";
    error.classList.remove("ok-text");
    try {
      const answer = await action(event.target);
      error.textContent = `done: ${JSON.stringify(answer)}`;
      error.classList.add("ok-text");
    } catch (failure) {
      error.textContent = failure.message;
    }
    refresh();
  });
}

function setUpControls() {
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => advanceClock(Number(button.dataset.advance)).catch((e) => toast(e.message)));
  }
  formAction("#clock-form", "#clock-error", (form) => {
    const body = { mode: form.elements.mode.value };
    if (form.elements.scale.value) body.scale = Number(form.elements.scale.value);
    return api("POST", "/__mock/clock", body);
  });
  $("#clock-advance").addEventListener("click", () =>
    advanceClock(Number.parseInt($("#clock-form").elements.advance_ms.value, 10) || 0)
      .catch((error) => { $("#clock-error").textContent = error.message; }));
  formAction("#reset-form", "#reset-error", (form) => {
    const key = form.elements.api_key.value.trim();
    if (!confirm(key ? `Reset tenant ${key}?` : "Reset every tenant?")) return Promise.resolve("cancelled");
    tasksState.rows.clear();
    return api("POST", "/__mock/reset" + query({ api_key: key }));
  });
  formAction("#balance-form", "#balance-error", (form) => {
    let body;
    try { body = JSON.parse(form.elements.body.value); } catch (error) {
      return Promise.reject(new Error(`the body is not JSON: ${error.message}`));
    }
    return api("POST", `/__mock/tenants/${encodeURIComponent(form.elements.prefix.value.trim())}/balance`, body);
  });
}

// ---------------------------------------------------------------- the live loop

let refreshing = null;

/** Reloads the header and the open tab (one at a time: a slow answer never piles up calls). */
function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      try {
        await loadClock();
        const view = views[currentTab];
        if (view) await view();
      } catch (error) {
        if (!(error instanceof HTTPError && error.status === 401)) toast(error.message);
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

function live() {
  if (!document.hidden && $("#live").checked && !$("#token-dialog").open) refresh();
  setTimeout(live, POLL_MS);
}

setUpTabs();
setUpTasks();
setUpJournal();
setUpFaults();
setUpControls();
const first = location.hash.slice(1);
selectTab(document.getElementById(`tab-${first}`) ? first : "tasks");
setTimeout(live, POLL_MS);
window.dashboardReady = true;

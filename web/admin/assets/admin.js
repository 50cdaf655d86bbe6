// @ts-check
/**
 * The operator page: lists the event log of the admin API with filters, refreshes it, shows one entry and
 * replays inbound ones. Plain JavaScript served as it is (no build step); checked by tsc through JSDoc
 * (web/admin/tsconfig.json). Everything shown is set as text, never as HTML.
 */

/**
 * @typedef {{
 *   id: number, at: string, direction: "in" | "out", type: string, providerId: string,
 *   conversationId: string | null, handoverId: string | null, sessionId: string | null, eventId: string | null,
 *   status: string, outcome: string, durationMs: number, attempt: number, errorCode: string | null,
 *   method: string | null, path: string | null, bodyBytes: number | null, bodyTruncated: boolean,
 *   hasBody: boolean, replayOf: number | null, replayable: boolean
 * }} LogEvent
 * @typedef {LogEvent & { body: string | null }} LogEventDetail
 * @typedef {{ events: LogEvent[], nextCursor: string | null }} EventsPage
 * @typedef {{ outcome: string, eventType: string, eventId: string, replayOf: number, force: boolean }} ReplayResult
 * @typedef {{ code?: string, message?: string, field?: string, expected?: string, reason?: string }} ApiProblem
 */

const keyName = "baton.adminKey";
const refreshMs = 3000;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page has no #${id}`);
  return found;
}

const ui = {
  keyForm: element("key-form", HTMLFormElement),
  keyInput: element("admin-key", HTMLInputElement),
  forgetKey: element("forget-key", HTMLButtonElement),
  problem: element("problem", HTMLParagraphElement),
  log: element("log", HTMLElement),
  filters: element("filters", HTMLFormElement),
  direction: element("f-direction", HTMLSelectElement),
  type: element("f-type", HTMLInputElement),
  conversation: element("f-conversation", HTMLInputElement),
  status: element("f-status", HTMLInputElement),
  auto: element("f-auto", HTMLInputElement),
  rows: element("events", HTMLTableSectionElement),
  empty: element("empty", HTMLParagraphElement),
  more: element("more", HTMLButtonElement),
  detail: element("detail", HTMLElement),
  detailTitle: element("d-title", HTMLHeadingElement),
  detailFields: element("d-fields", HTMLDListElement),
  detailBodyTitle: element("d-body-title", HTMLHeadingElement),
  detailBody: element("d-body", HTMLPreElement),
  replay: element("d-replay", HTMLDivElement),
  force: element("d-force", HTMLInputElement),
  replayButton: element("d-replay-button", HTMLButtonElement),
  replayResult: element("d-replay-result", HTMLParagraphElement),
};

/**
 * What is shown: the entries (newest first), where the next older page starts, whether older pages were
 * loaded below the first one, the entry open in the detail pane, the auto-refresh timer.
 * @type {{ events: LogEvent[], nextCursor: string | null, olderLoaded: boolean, selected: number | undefined, timer: number | undefined }}
 */
const state = { events: [], nextCursor: null, olderLoaded: false, selected: undefined, timer: undefined };

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {ApiProblem} problem
   */
  constructor(status, problem) {
    super(problem.message ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/**
 * One call of the admin API with the key from sessionStorage.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<unknown>}
 */
async function api(path, init = {}) {
  const key = sessionStorage.getItem(keyName) ?? "";
  const response = await fetch(path, {
    ...init,
    headers: { ...init.headers, accept: "application/json", authorization: `Bearer ${key}` },
  });
  /** @type {unknown} */
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, problemOf(body));
  return body;
}

/**
 * @param {unknown} body
 * @returns {ApiProblem}
 */
function problemOf(body) {
  if (typeof body === "object" && body !== null && "error" in body) {
    const error = body.error;
    if (typeof error === "object" && error !== null) return /** @type {ApiProblem} */ (error);
  }
  return {};
}

/** The filters as query parameters (empty ones left out). */
function filterQuery() {
  const params = new URLSearchParams();
  const set = (/** @type {string} */ name, /** @type {string} */ value) => {
    if (value.trim() !== "") params.set(name, value.trim());
  };
  set("direction", ui.direction.value);
  set("type", ui.type.value);
  set("conversationId", ui.conversation.value);
  set("status", ui.status.value);
  return params;
}

/**
 * @param {URLSearchParams} params
 * @returns {Promise<EventsPage>}
 */
async function fetchPage(params) {
  return /** @type {EventsPage} */ (await api(`/api/v1/events?${params.toString()}`));
}

/**
 * The first page again; older pages loaded with "Older entries" stay below it.
 * @returns {Promise<void>}
 */
async function refresh() {
  const page = await fetchPage(filterQuery());
  const last = page.events.at(-1);
  if (state.olderLoaded && last !== undefined) {
    state.events = [...page.events, ...state.events.filter((event) => isOlder(event, last))];
  } else {
    state.events = page.events;
    state.nextCursor = page.nextCursor;
    state.olderLoaded = false;
  }
  render();
}

/**
 * @param {LogEvent} event
 * @param {LogEvent} than
 */
function isOlder(event, than) {
  return event.at < than.at || (event.at === than.at && event.id < than.id);
}

async function loadOlder() {
  if (state.nextCursor === null) return;
  const params = filterQuery();
  params.set("cursor", state.nextCursor);
  const page = await fetchPage(params);
  const known = new Set(state.events.map((event) => event.id));
  state.events = [...state.events, ...page.events.filter((event) => !known.has(event.id))];
  state.nextCursor = page.nextCursor;
  state.olderLoaded = true;
  render();
}

function render() {
  ui.rows.replaceChildren(...state.events.map(row));
  ui.empty.hidden = state.events.length > 0;
  ui.more.hidden = state.nextCursor === null;
}

/**
 * @param {LogEvent} event
 * @returns {HTMLTableRowElement}
 */
function row(event) {
  const tr = document.createElement("tr");
  tr.dataset["id"] = String(event.id);
  tr.dataset["direction"] = event.direction;
  tr.tabIndex = 0;
  if (event.id === state.selected) tr.classList.add("selected");
  const cells = [
    [timeOf(event.at), "time"],
    [event.direction, `dir dir-${event.direction}`],
    [event.type, "type"],
    [event.conversationId ?? "", "conversation"],
    [event.status, `status ${statusClass(event.status)}`],
    [outcomeText(event), "outcome"],
    [String(event.durationMs), "num"],
    [String(event.attempt), "num"],
  ];
  for (const [text, className] of cells) {
    const td = document.createElement("td");
    td.textContent = text ?? "";
    td.className = className ?? "";
    tr.append(td);
  }
  tr.querySelector(".time")?.setAttribute("title", event.at);
  const open = () => {
    select(event.id).catch(showProblem);
  };
  tr.addEventListener("click", open);
  tr.addEventListener("keydown", (key) => {
    if (key.key === "Enter") open();
  });
  return tr;
}

/** @param {LogEvent} event */
function outcomeText(event) {
  const parts = [event.outcome];
  if (event.errorCode !== null) parts.push(event.errorCode);
  if (event.replayOf !== null) parts.push(`replay of #${event.replayOf}`);
  return parts.join(" · ");
}

/** @param {string} iso */
function timeOf(iso) {
  const at = new Date(iso);
  const pad = (/** @type {number} */ n, width = 2) => String(n).padStart(width, "0");
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

/** @param {string} status */
function statusClass(status) {
  if (/^2\d\d$/.test(status)) return "ok";
  if (/^4\d\d$/.test(status)) return "warn";
  return "bad";
}

/** @param {number} id */
async function select(id) {
  state.selected = id;
  for (const tr of ui.rows.querySelectorAll("tr"))
    tr.classList.toggle("selected", tr.dataset["id"] === String(id));
  const event = /** @type {LogEventDetail} */ (await api(`/api/v1/events/${id}`));
  showDetail(event);
}

/** @param {LogEventDetail} event */
function showDetail(event) {
  ui.detail.hidden = false;
  ui.detailTitle.textContent = `#${event.id} ${event.direction === "in" ? "←" : "→"} ${event.type}`;
  /** @type {[string, string | number | boolean | null][]} */
  const fields = [
    ["at", event.at],
    ["provider", event.providerId],
    ["conversation", event.conversationId],
    ["handover", event.handoverId],
    ["session", event.sessionId],
    ["event id", event.eventId],
    ["status", event.status],
    ["outcome", event.outcome],
    ["error code", event.errorCode],
    ["duration", `${event.durationMs} ms`],
    ["attempt", event.attempt],
    ["request", event.method === null ? null : `${event.method} ${event.path ?? ""}`],
    [
      "body size",
      event.bodyBytes === null ? null : `${event.bodyBytes} bytes${event.bodyTruncated ? " (cut)" : ""}`,
    ],
    ["replay of", event.replayOf === null ? null : `#${event.replayOf}`],
  ];
  ui.detailFields.replaceChildren(
    ...fields
      .filter(([, value]) => value !== null)
      .flatMap(([name, value]) => {
        const dt = document.createElement("dt");
        dt.textContent = name;
        const dd = document.createElement("dd");
        dd.textContent = String(value);
        return [dt, dd];
      }),
  );
  ui.detailBodyTitle.hidden = event.body === null;
  ui.detailBody.hidden = event.body === null;
  ui.detailBody.textContent = event.body === null ? "" : pretty(event.body);
  ui.replay.hidden = !event.replayable;
  ui.replay.dataset["id"] = String(event.id);
  ui.force.checked = false;
  ui.replayResult.textContent = "";
}

/** @param {string} body */
function pretty(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

async function replaySelected() {
  const id = ui.replay.dataset["id"];
  if (id === undefined) return;
  ui.replayButton.disabled = true;
  try {
    const result = /** @type {ReplayResult} */ (
      await api(`/api/v1/events/${id}/replay`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ force: ui.force.checked }),
      })
    );
    ui.replayResult.textContent = describeReplay(result);
    await refresh();
  } catch (error) {
    ui.replayResult.textContent = error instanceof ApiError ? problemText(error) : String(error);
  } finally {
    ui.replayButton.disabled = false;
  }
}

/** @param {ReplayResult} result */
function describeReplay(result) {
  switch (result.outcome) {
    case "accepted":
      return `accepted: handed on again as ${result.eventId}`;
    case "duplicate":
      return "duplicate: this event was stored before, so nothing was handed on (tick force to hand it on again)";
    default:
      return `${result.outcome}: stored as ${result.eventId}, nothing for Baton to do with it`;
  }
}

/** @param {ApiError} error */
function problemText(error) {
  const { code, message, reason, field } = error.problem;
  return [code, message, reason, field === undefined ? undefined : `(${field})`].filter(Boolean).join(" ");
}

/** @param {unknown} error */
function showProblem(error) {
  if (error instanceof ApiError && error.status === 401) {
    sessionStorage.removeItem(keyName);
    askForKey("That key was refused. Enter the admin key (server.adminKey).");
    return;
  }
  ui.problem.textContent = error instanceof ApiError ? problemText(error) : String(error);
  ui.problem.hidden = false;
}

/** @param {string} [message] */
function askForKey(message) {
  stopRefreshing();
  ui.log.hidden = true;
  ui.forgetKey.hidden = true;
  ui.keyForm.hidden = false;
  ui.problem.textContent = message ?? "";
  ui.problem.hidden = message === undefined;
  ui.keyInput.focus();
}

async function open() {
  ui.keyForm.hidden = true;
  ui.forgetKey.hidden = false;
  ui.problem.hidden = true;
  await refresh();
  ui.log.hidden = false;
  scheduleRefresh();
}

function scheduleRefresh() {
  stopRefreshing();
  if (!ui.auto.checked) return;
  state.timer = window.setInterval(() => {
    refresh().then(
      () => {
        ui.problem.hidden = true;
      },
      (/** @type {unknown} */ error) => showProblem(error),
    );
  }, refreshMs);
}

function stopRefreshing() {
  if (state.timer !== undefined) window.clearInterval(state.timer);
  state.timer = undefined;
}

ui.keyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(keyName, ui.keyInput.value);
  ui.keyInput.value = "";
  open().catch(showProblem);
});
ui.forgetKey.addEventListener("click", () => {
  sessionStorage.removeItem(keyName);
  askForKey();
});
ui.filters.addEventListener("submit", (event) => {
  event.preventDefault();
  state.nextCursor = null;
  state.olderLoaded = false;
  state.events = [];
  refresh().catch(showProblem);
  scheduleRefresh();
});
ui.auto.addEventListener("change", scheduleRefresh);
ui.more.addEventListener("click", () => {
  loadOlder().catch(showProblem);
});
ui.replayButton.addEventListener("click", () => {
  replaySelected().catch(showProblem);
});

if (sessionStorage.getItem(keyName) === null) askForKey();
else open().catch(showProblem);

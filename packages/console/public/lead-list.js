import { getJson, keyUrl, poll, serverNow, tickCountdowns } from "./console-api.js";
import { h } from "./elements.js";
import { statusCell, statusLabel } from "./lead-status.js";
import { ago, countdown, formatCount, formatDuration, formatUtc, isoOf } from "./time-format.js";

const form = document.getElementById("filters");
const flowInput = document.getElementById("flow");
const statusInput = document.getElementById("status");
const queryInput = document.getElementById("q");
const pageSizeInput = document.getElementById("pageSize");
const table = document.getElementById("leads");
const tbody = document.getElementById("rows");
const caption = document.getElementById("caption");
const empty = document.getElementById("empty");
const message = document.getElementById("message");
const pageInfo = document.getElementById("page-info");
const newer = document.getElementById("newer");
const older = document.getElementById("older");
const live = document.getElementById("live");

const params = new URLSearchParams(location.search);
const view = {
  flow: params.get("flow") ?? "",
  status: params.get("status") ?? "",
  q: params.get("q") ?? "",
  pageSize: params.get("pageSize") ?? "50",
  cursor: params.get("cursor") ?? "",
  /** Cursors of the pages before this one, for "Newer". */
  previous: [],
  next: undefined,
};
flowInput.value = view.flow;
statusInput.value = view.status;
queryInput.value = view.q;
pageSizeInput.value = view.pageSize;

/** flow/name → { signature, element }: rows that did not change keep their element (and focus). */
const rendered = new Map();

/** One flow's execution in a key's row: its flow, status and what came of it. */
function flowResult(row) {
  const detail =
    row.status === "failed" || row.status === "timed-out" || row.status === "aborted"
      ? [row.state ? `${row.state}: ` : "", row.error ?? ""].join("")
      : "";
  return h(
    "span",
    {
      class: "flow-result",
      "data-flow": row.flow,
      "data-execution": row.name,
      "data-status": row.status,
    },
    h("span", { class: `flow-tag flow-${row.flow}` }, row.flow),
    " ",
    ...statusCell(row),
    row.story.outcome ? [" ", h("span", { class: "outcome" }, row.story.outcome)] : null,
    detail && !row.story.outcome ? [" ", h("span", { class: "detail" }, detail)] : null,
    row.replay ? h("span", { class: "tag" }, "replay") : null,
    row.redriveCount ? h("span", { class: "tag" }, `redriven ×${row.redriveCount}`) : null,
  );
}

/** One row per business key (a lead's announce and triage, a deal's stages), newest first. */
function groupRows(rows) {
  const groups = new Map();
  for (const row of rows) {
    const group = groups.get(row.pageKey) ?? { key: row.pageKey, rows: [] };
    group.rows.push(row);
    groups.set(row.pageKey, group);
  }
  return [...groups.values()];
}

function rowElement(group) {
  const newest = group.rows[0];
  const title = group.rows.map((row) => row.story.title).find(Boolean) ?? group.key;
  const keyCell = h(
    "td",
    { class: "lead" },
    h("a", { href: keyUrl(group.key, newest.flow) }, title),
    h("br"),
    h("code", { class: "id" }, group.key),
    h("span", { class: "muted" }, ` ${newest.keyNoun}`),
  );
  const stopped = group.rows.every((row) => row.stopDate);
  const first = Math.min(...group.rows.map((row) => row.startDate));
  const last = Math.max(...group.rows.map((row) => row.stopDate ?? 0));
  return h(
    "tr",
    {
      "data-key": group.key,
      "data-status": group.rows.map((row) => row.status).join(" "),
    },
    keyCell,
    h("td", { class: "flows" }, ...[...group.rows].reverse().map(flowResult)),
    h(
      "td",
      null,
      h(
        "time",
        {
          datetime: isoOf(newest.startDate),
          title: formatUtc(newest.startDate),
          "data-since": newest.startDate,
        },
        ago(newest.startDate, serverNow()),
      ),
    ),
    h(
      "td",
      { class: "duration" },
      stopped ? formatDuration(last - first) : h("span", { class: "muted" }, "running"),
    ),
  );
}

function renderRows(rows) {
  const seen = new Set();
  const elements = groupRows(rows).map((group) => {
    const id = group.key;
    seen.add(id);
    const signature = JSON.stringify(group.rows);
    const known = rendered.get(id);
    if (known && known.signature === signature) return known.element;
    const element = rowElement(group);
    rendered.set(id, { signature, element });
    return element;
  });
  // Move only what is out of place, so an unchanged row (and a focused link in it) stays put.
  elements.forEach((element, index) => {
    const current = tbody.children[index];
    if (current !== element) tbody.insertBefore(element, current ?? null);
  });
  while (tbody.children.length > elements.length) tbody.lastElementChild?.remove();
  for (const name of rendered.keys()) if (!seen.has(name)) rendered.delete(name);
}

function describeScan(page) {
  if (page.lookup === "direct") return "Found by lead id (execution name), in every flow.";
  if (!view.q && !["waiting", "running", "retrying"].includes(view.status)) return "";
  const limit = page.scanLimitReached
    ? ` Stopped at the limit of ${formatCount(page.scanLimit)} executions per search: “Older →” searches further back.`
    : "";
  return `Searched ${formatCount(page.scanned)} execution${page.scanned === 1 ? "" : "s"} for this page.${limit}`;
}

function emptyText(page) {
  if (view.q)
    return `Nothing matches “${view.q}” in the ${formatCount(page.scanned)} newest executions looked at.`;
  if (view.status)
    return `No ${statusLabel(view.status).toLowerCase()} executions${view.flow ? ` of ${view.flow}` : ""}${view.cursor ? " on this page" : ""}.`;
  return "No executions yet. Send a signed Close webhook to /webhook/close (pnpm leadrelay send), or run pnpm demo for one event of every flow.";
}

async function load() {
  const started = performance.now();
  const query = new URLSearchParams();
  if (view.flow) query.set("flow", view.flow);
  if (view.status) query.set("status", view.status);
  if (view.q) query.set("q", view.q);
  query.set("pageSize", view.pageSize);
  if (view.cursor) query.set("cursor", view.cursor);
  table.setAttribute("aria-busy", "true");
  let page;
  try {
    page = await getJson(`/console/api/leads?${query}`);
  } catch (error) {
    message.textContent = `Could not load executions: ${error.name}: ${error.message}`;
    message.hidden = false;
    table.setAttribute("aria-busy", "false");
    throw error;
  }
  message.hidden = true;
  const rendering = performance.now();
  renderRows(page.rows);
  table.dataset.domMs = String(Math.round(performance.now() - rendering));
  view.next = page.cursor;
  const pageNumber = view.previous.length + 1;
  caption.textContent = `Executions of ${view.flow || "every flow"}, newest first — page ${pageNumber}${view.status ? `, ${statusLabel(view.status).toLowerCase()}` : ""}${view.q ? `, matching “${view.q}”` : ""}`;
  const keys = new Set(page.rows.map((row) => row.pageKey)).size;
  pageInfo.textContent = `Page ${pageNumber} · ${keys} key${keys === 1 ? "" : "s"}, ${page.rows.length} execution${page.rows.length === 1 ? "" : "s"}`;
  document.getElementById("search-note").textContent =
    describeScan(page) ||
    "An execution name is looked up directly; other text is searched in the newest executions, up to 1,000 per search (you can search further).";
  empty.hidden = page.rows.length > 0;
  empty.textContent = page.rows.length > 0 ? "" : emptyText(page);
  newer.disabled = view.previous.length === 0;
  older.disabled = !page.cursor;
  live.textContent = `Updated ${formatUtc(Date.now())}`;
  table.setAttribute("aria-busy", "false");
  table.dataset.rows = String(page.rows.length);
  table.dataset.renderMs = String(Math.round(performance.now() - started));
  table.dataset.loads = String(Number(table.dataset.loads ?? 0) + 1);
}

function remember() {
  const query = new URLSearchParams();
  if (view.flow) query.set("flow", view.flow);
  if (view.status) query.set("status", view.status);
  if (view.q) query.set("q", view.q);
  if (view.pageSize !== "50") query.set("pageSize", view.pageSize);
  if (view.cursor) query.set("cursor", view.cursor);
  history.replaceState(null, "", `/console${query.size ? `?${query}` : ""}`);
}

const refresher = poll(load);

function go() {
  remember();
  rendered.clear();
  tbody.replaceChildren();
  refresher.now().catch(() => {});
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  view.flow = flowInput.value;
  view.status = statusInput.value;
  view.q = queryInput.value.trim();
  view.pageSize = pageSizeInput.value;
  view.cursor = "";
  view.previous = [];
  go();
});
flowInput.addEventListener("change", () => form.requestSubmit());
statusInput.addEventListener("change", () => form.requestSubmit());
pageSizeInput.addEventListener("change", () => form.requestSubmit());
older.addEventListener("click", () => {
  if (!view.next) return;
  view.previous.push(view.cursor);
  view.cursor = view.next;
  go();
});
newer.addEventListener("click", () => {
  if (view.previous.length === 0) return;
  view.cursor = view.previous.pop() ?? "";
  go();
});

tickCountdowns(countdown, () => refresher.now().catch(() => {}));
// "12 s ago" goes stale on a row that did not change.
setInterval(() => {
  const now = serverNow();
  for (const element of tbody.querySelectorAll("[data-since]")) {
    const text = ago(Number(element.dataset.since), now);
    if (element.textContent !== text) element.textContent = text;
  }
}, 5000);
refresher.now().catch(() => {});

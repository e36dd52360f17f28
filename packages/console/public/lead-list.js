import { getJson, keyUrl, poll, serverNow, tickCountdowns } from "./console-api.js";
import { h } from "./elements.js";
import { statusCell, statusLabel } from "./lead-status.js";
import { ago, countdown, formatCount, formatDuration, formatUtc, humanDate, isoOf } from "./time-format.js";

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

const IN_PROGRESS = new Set(["waiting", "running", "retrying"]);

/** An empty owner/funnel: not in the merged record, not looked up yet, or never found. */
function missing(row, text) {
  if (text) return text;
  if (row.lead?.from === "enriched") return "—";
  return h("span", { class: "muted" }, IN_PROGRESS.has(row.status) ? "not known yet" : "none");
}

/** Announce's rows: the lead's owner, funnel and creation date from its records. */
function announceCells(row) {
  return [
    h("td", { class: "owner" }, missing(row, row.lead?.owner)),
    h("td", { class: "funnel" }, missing(row, row.lead?.funnel)),
    h(
      "td",
      null,
      row.lead?.createdAt ? h("time", { datetime: row.lead.createdAt }, humanDate(row.lead.createdAt)) : "—",
    ),
  ];
}

/** Other flows' rows: where the execution is or ended, and its error. */
function flowCells(row) {
  const parts = [];
  if (row.state) parts.push(h("span", null, h("span", { class: "io-label" }, "last state "), row.state));
  if (row.error && row.status !== "retrying")
    parts.push(
      h("span", { class: "error-name" }, row.error),
      row.cause ? h("span", { class: "cause" }, row.cause) : null,
    );
  return [
    h(
      "td",
      { class: "details", colspan: "3" },
      ...(parts.length ? parts : [h("span", { class: "muted" }, "—")]),
    ),
  ];
}

function rowElement(row) {
  const title = row.lead?.name ?? row.key;
  const leadCell = h(
    "td",
    { class: "lead" },
    h("a", { href: keyUrl(row.name, row.flow) }, title),
    row.replay ? h("span", { class: "tag" }, "replay") : null,
    row.redriveCount ? h("span", { class: "tag" }, `redriven ×${row.redriveCount}`) : null,
    h("br"),
    h("code", { class: "id" }, row.name),
  );
  const duration = row.stopDate ? formatDuration(row.stopDate - row.startDate) : null;
  return h(
    "tr",
    { "data-execution": row.name, "data-flow": row.flow, "data-status": row.status },
    leadCell,
    h("td", { class: "flow" }, h("span", { class: `flow-tag flow-${row.flow}` }, row.flow)),
    h("td", { class: "status" }, ...statusCell(row)),
    ...(row.flow === "announce" ? announceCells(row) : flowCells(row)),
    h(
      "td",
      null,
      h(
        "time",
        { datetime: isoOf(row.startDate), title: formatUtc(row.startDate), "data-since": row.startDate },
        ago(row.startDate, serverNow()),
      ),
    ),
    h("td", { class: "duration" }, duration ?? h("span", { class: "muted" }, "running")),
  );
}

function renderRows(rows) {
  const seen = new Set();
  const elements = rows.map((row) => {
    const id = `${row.flow}/${row.name}`;
    seen.add(id);
    const signature = JSON.stringify(row);
    const known = rendered.get(id);
    if (known && known.signature === signature) return known.element;
    const element = rowElement(row);
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
  return "No executions yet. Send a signed Close webhook to /webhook/close (pnpm leadrelay send, or pnpm demo for three).";
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
  pageInfo.textContent = `Page ${pageNumber} · ${page.rows.length} execution${page.rows.length === 1 ? "" : "s"}`;
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

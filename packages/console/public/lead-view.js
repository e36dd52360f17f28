import { getJson, poll, postAction, serverNow, settings, tickCountdowns } from "./console-api.js";
import { h, safeLink } from "./elements.js";
import { statusCell } from "./lead-status.js";
import { slackMessage } from "./slack-preview.js";
import { clockTime, countdown, formatDuration, humanDate, isoOf } from "./time-format.js";

const root = document.getElementById("lead");
const live = document.getElementById("live");
const name = root.dataset.execution;
const api = `/console/api/leads/${encodeURIComponent(name)}`;
let lastText = "";
let flash = "";

const STEP_ICONS = { done: "✓", failed: "✗", running: "…" };

function field(label, value) {
  return [h("dt", null, label), h("dd", null, value ?? h("span", { class: "muted" }, "—"))];
}

function pretty(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function attemptsTable(step) {
  const interesting =
    step.attempts.length > 1 || step.attempts.some((attempt) => attempt.outcome !== "succeeded");
  if (!interesting) return null;
  const failed = step.attempts.filter(
    (attempt) => attempt.outcome === "failed" || attempt.outcome === "timed-out",
  ).length;
  return h(
    "table",
    { class: "attempts" },
    h(
      "caption",
      null,
      `${step.attempts.length} attempt${step.attempts.length === 1 ? "" : "s"}, ${failed} failed`,
    ),
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", { scope: "col" }, "#"),
        h("th", { scope: "col" }, "Waited before"),
        h("th", { scope: "col" }, "Outcome"),
        h("th", { scope: "col" }, "Error"),
        h("th", { scope: "col" }, "Cause"),
        h("th", { scope: "col" }, "Took"),
      ),
    ),
    h(
      "tbody",
      null,
      ...step.attempts.map((attempt, index) =>
        h(
          "tr",
          { class: `attempt attempt-${attempt.outcome}` },
          h("td", null, String(attempt.number)),
          h("td", null, attempt.waitBeforeMs === undefined ? "—" : formatDuration(attempt.waitBeforeMs)),
          h("td", null, attempt.outcome),
          h("td", { class: "error-name" }, attempt.error ?? ""),
          h(
            "td",
            { class: "cause" },
            // Twelve identical causes in a row say less than one.
            index > 0 && attempt.cause && attempt.cause === step.attempts[index - 1].cause
              ? h("span", { class: "muted" }, "same as above")
              : (attempt.cause ?? ""),
          ),
          h("td", null, attempt.endedAt ? formatDuration(attempt.endedAt - attempt.startedAt) : "…"),
        ),
      ),
    ),
  );
}

function stepItem(step, index, detail) {
  const current = detail.execution.status === "RUNNING" && step.status === "running";
  const waitEndsAt = current && step.kind === "Wait" ? detail.row.waitEndsAt : undefined;
  const duration =
    waitEndsAt !== undefined
      ? h("span", { class: "countdown", "data-ends-at": waitEndsAt }, countdown(waitEndsAt - serverNow()))
      : h(
          "span",
          { class: "duration" },
          step.durationMs === undefined ? "in progress" : formatDuration(step.durationMs),
        );
  const io =
    step.inputSummary || step.outputSummary
      ? h(
          "p",
          { class: "io" },
          step.inputSummary ? [h("span", { class: "io-label" }, "in "), step.inputSummary] : null,
          step.inputSummary && step.outputSummary ? h("br") : null,
          step.outputSummary ? [h("span", { class: "io-label" }, "out "), step.outputSummary] : null,
        )
      : null;
  const raw =
    step.input || step.output
      ? h(
          "details",
          { id: `io-${index}` },
          h("summary", null, "Input and output"),
          step.input ? [h("h3", null, "Input"), h("pre", null, pretty(step.input))] : null,
          step.output ? [h("h3", null, "Output"), h("pre", null, pretty(step.output))] : null,
        )
      : null;
  return h(
    "li",
    {
      class: `step step-${step.status} kind-${step.kind.toLowerCase()}`,
      "data-state": step.state,
      "data-status": step.status,
    },
    h(
      "div",
      { class: "step-head" },
      h("span", { class: "step-icon", "aria-hidden": "true" }, STEP_ICONS[step.status] ?? "•"),
      h("strong", { class: "step-name" }, step.state),
      h("span", { class: "kind" }, step.kind),
      h("span", { class: "visually-hidden" }, `, ${step.status === "done" ? "done" : step.status}, `),
      duration,
      h("time", { datetime: isoOf(step.enteredAt), title: isoOf(step.enteredAt) }, clockTime(step.enteredAt)),
    ),
    step.kind === "Fail" && detail.execution.error && index === detail.timeline.steps.length - 1
      ? h("p", { class: "error-line" }, h("strong", { class: "error-name" }, detail.execution.error))
      : null,
    io,
    attemptsTable(step),
    step.explanation && step.status === "failed" ? h("p", { class: "explain" }, step.explanation) : null,
    raw,
  );
}

function timelineSection(detail) {
  const items = [];
  const redrives = [...detail.timeline.redrivenAt];
  detail.timeline.steps.forEach((step, index) => {
    while (redrives.length > 0 && redrives[0] <= step.enteredAt) {
      const at = redrives.shift();
      items.push(
        h(
          "li",
          { class: "redrive" },
          h("strong", null, "Redriven"),
          ` at ${clockTime(at)}: continues from the step that failed`,
        ),
      );
    }
    items.push(stepItem(step, index, detail));
  });
  for (const at of redrives)
    items.push(h("li", { class: "redrive" }, h("strong", null, "Redriven"), ` at ${clockTime(at)}`));
  const t = detail.timeline;
  const total = t.startedAt && t.stoppedAt ? ` in ${formatDuration(t.stoppedAt - t.startedAt)}` : "";
  return h(
    "section",
    { "aria-labelledby": "timeline-heading", class: "panel" },
    h("h2", { id: "timeline-heading" }, "Timeline"),
    h(
      "p",
      { class: "note" },
      `${t.status}${total} · ${t.retries} retr${t.retries === 1 ? "y" : "ies"}${t.redrives ? ` · redriven ${t.redrives}×` : ""} · ${t.events} history events`,
    ),
    h("ol", { class: "timeline", id: "timeline" }, ...items),
  );
}

function slackSection(detail) {
  const { notification, unassignedNotice } = detail.records;
  const parts = [];
  if (notification.message) {
    parts.push(
      slackMessage(notification.message, {
        at: notification.at,
        caption:
          notification.status === "sent"
            ? `Posted and confirmed by Slack ${humanDate(notification.at)} · stored as ${notification.key}`
            : `Post started ${humanDate(notification.at)} and never confirmed (status “${notification.status}”) · ${notification.key}`,
      }),
    );
  }
  if (unassignedNotice.message) {
    parts.push(
      slackMessage(unassignedNotice.message, {
        at: unassignedNotice.at,
        caption: `“Still no owner” notice, ${unassignedNotice.status} ${humanDate(unassignedNotice.at)} · ${unassignedNotice.key}`,
      }),
    );
  }
  if (parts.length === 0) {
    const why =
      detail.row.status === "waiting"
        ? "The lead is held for its owner to be assigned; the message goes out after the hold."
        : (detail.explanation ?? "No message was posted for this lead yet.");
    parts.push(h("p", { class: "muted" }, `Nothing posted to Slack. ${why}`));
  }
  if (detail.slackSink) {
    parts.push(
      h(
        "p",
        { class: "note" },
        detail.slackSink.length === 0
          ? "The local Slack sink received nothing for this lead."
          : `The local Slack sink received ${detail.slackSink.length} message${detail.slackSink.length === 1 ? "" : "s"} for this lead (${detail.slackSink.map((entry) => clockTime(Date.parse(entry.at))).join(", ")}).`,
      ),
    );
  }
  return h(
    "section",
    { "aria-labelledby": "slack-heading", class: "panel", id: "slack" },
    h("h2", { id: "slack-heading" }, "Slack message"),
    ...parts,
  );
}

function recordBlock(id, title, record) {
  if (record.text === undefined)
    return h("p", { class: "muted" }, `${title}: `, h("code", null, record.key), " — not written yet.");
  return h(
    "details",
    { id },
    h(
      "summary",
      null,
      `${title} `,
      h("code", null, record.key),
      ` (${record.text.length.toLocaleString()} characters${record.truncated ? ", truncated" : ""})`,
    ),
    h("pre", null, pretty(record.text)),
  );
}

function recordsSection(detail) {
  return h(
    "section",
    { "aria-labelledby": "records-heading", class: "panel" },
    h("h2", { id: "records-heading" }, "Stored records"),
    recordBlock("record-raw", "Raw webhook", detail.records.raw),
    recordBlock("record-enriched", "Enriched record", detail.records.enriched),
  );
}

function actions(detail) {
  const buttons = [];
  if (detail.actions.redrive) {
    buttons.push(
      h(
        "button",
        { type: "button", id: "redrive", class: "primary", onclick: () => act("redrive") },
        "Redrive",
      ),
    );
  }
  if (detail.actions.replay) {
    buttons.push(
      h("button", { type: "button", id: "replay", onclick: () => act("replay") }, "Replay from raw event"),
    );
  }
  if (detail.links.awsConsole)
    buttons.push(
      safeLink(detail.links.awsConsole, "Open in AWS console ↗", { class: "button", id: "aws-console" }),
    );
  buttons.push(safeLink(detail.links.close, "Open in Close ↗", { class: "button" }));
  return h(
    "div",
    { class: "actions" },
    ...buttons,
    h(
      "p",
      { class: "action-help note" },
      detail.actions.redrive ? "Redrive continues this execution from the step that failed. " : "",
      detail.actions.replay
        ? "Replay starts a new execution from the stored webhook (Slack is not posted twice). "
        : "",
      detail.actions.note ?? "",
    ),
  );
}

async function act(action) {
  if (action === "replay" && !confirm("Start a new execution of this lead from its stored webhook?")) return;
  const button = document.getElementById(action);
  if (button) button.disabled = true;
  try {
    const result = await postAction(`${api}/${action}`);
    if (action === "replay" && result.url) {
      location.assign(result.url);
      return;
    }
    flash = "Redrive started: the execution continues from the step that failed.";
    setTimeout(() => {
      flash = "";
      lastText = "";
    }, 15_000);
    lastText = "";
    await refresher.now();
  } catch (error) {
    flash = `${action === "redrive" ? "Redrive" : "Replay"} refused: ${error.name}: ${error.message}`;
    lastText = "";
    await refresher.now().catch(() => {});
  }
}

function render(detail) {
  const openDetails = new Set([...root.querySelectorAll("details[open]")].map((element) => element.id));
  const focused = document.activeElement?.id;
  const lead = detail.lead;
  const title = lead.name ?? detail.leadId;
  document.title = `${title} · leadrelay console`;
  const started = detail.execution.startDate;
  const stopped = detail.execution.stopDate;
  root.replaceChildren(
    h("h1", { id: "title" }, title),
    h(
      "p",
      { class: "sub" },
      h("code", null, detail.name),
      detail.replayOf
        ? [
            " · replay of ",
            h("a", { href: `/console/lead/${encodeURIComponent(detail.replayOf)}` }, detail.replayOf),
          ]
        : null,
    ),
    h("p", { id: "message", class: "message", role: "status", hidden: !flash }, flash),
    h(
      "section",
      { class: "panel summary", "aria-labelledby": "summary-heading" },
      h("h2", { id: "summary-heading", class: "visually-hidden" }, "Summary"),
      h("div", { class: "status-line", id: "status" }, ...statusCell(detail.row)),
      detail.explanation ? h("p", { class: "explain", id: "explanation" }, detail.explanation) : null,
      detail.execution.cause && detail.row.status !== "notified"
        ? h("p", { class: "cause" }, h("span", { class: "io-label" }, "cause "), detail.execution.cause)
        : null,
      h(
        "dl",
        { class: "facts" },
        ...field("Owner", lead.owner),
        ...field("Funnel", lead.funnel),
        ...field("Created", lead.createdAt ? humanDate(lead.createdAt) : undefined),
        ...field("Close status", lead.statusLabel),
        ...field("Email", lead.email),
        ...field("Received", started ? new Date(started).toLocaleString() : undefined),
        ...field(
          "Finished",
          stopped
            ? `${new Date(stopped).toLocaleString()} (${formatDuration(stopped - started)})`
            : detail.execution.status === "RUNNING"
              ? "in progress"
              : undefined,
        ),
        ...field(
          "Details from",
          lead.from === "enriched"
            ? "enriched record"
            : lead.from === "raw"
              ? "raw webhook (no owner yet)"
              : "nothing stored",
        ),
      ),
      actions(detail),
    ),
    timelineSection(detail),
    slackSection(detail),
    recordsSection(detail),
  );
  for (const id of openDetails) {
    const element = document.getElementById(id);
    if (element) element.open = true;
  }
  if (focused) document.getElementById(focused)?.focus();
  root.setAttribute("aria-busy", "false");
  root.dataset.status = detail.row.status;
  root.dataset.loads = String(Number(root.dataset.loads ?? 0) + 1);
}

async function load() {
  let detail;
  try {
    const text = JSON.stringify(await getJson(api), (key, value) =>
      key === "serverNow" ? undefined : value,
    );
    live.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    if (text === lastText) return;
    lastText = text;
    detail = JSON.parse(text);
  } catch (error) {
    const message =
      document.getElementById("message") ??
      root.appendChild(h("p", { id: "message", class: "message", role: "alert" }));
    message.textContent =
      error.status === 404
        ? `No execution named ${name}.`
        : `Could not load the lead: ${error.name}: ${error.message}`;
    message.hidden = false;
    root.setAttribute("aria-busy", "false");
    throw error;
  }
  render(detail);
}

const refresher = poll(load, settings.pollSeconds);
tickCountdowns(countdown, () => {
  lastText = "";
  refresher.now().catch(() => {});
});
refresher.now().catch(() => {});

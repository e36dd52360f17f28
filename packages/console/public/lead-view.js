import { getJson, keyUrl, poll, postAction, serverNow, settings, tickCountdowns } from "./console-api.js";
import { h, safeLink } from "./elements.js";
import { statusCell } from "./lead-status.js";
import { slackMessage } from "./slack-preview.js";
import {
  clockTime,
  countdown,
  formatCount,
  formatDuration,
  formatUtc,
  humanDate,
  isoOf,
} from "./time-format.js";

/**
 * A business key's page: every flow's executions of the key side by side (for a Close lead:
 * announce and triage, and their replays), each with its status, actions, what its Tasks returned
 * and its timeline; for a lead, its facts, Slack message and stored records.
 */

const root = document.getElementById("lead");
const live = document.getElementById("live");
const name = root.dataset.execution;
const preferredFlow = root.dataset.flow ?? "";
const api = `/console/api/keys/${encodeURIComponent(name)}${preferredFlow ? `?flow=${encodeURIComponent(preferredFlow)}` : ""}`;
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

/** An id for elements of one execution (a flow and a name can hold any of [A-Za-z0-9_-]). */
function idOf(execution, part) {
  return `${part}--${execution.flow}--${execution.name}`;
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

function stepItem(step, index, execution) {
  const current = execution.execution.status === "RUNNING" && step.status === "running";
  const waitEndsAt = current && step.kind === "Wait" ? execution.row.waitEndsAt : undefined;
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
          { id: idOf(execution, `io-${index}`) },
          h("summary", null, "Input and output"),
          step.input ? [h("h4", null, "Input"), h("pre", null, pretty(step.input))] : null,
          step.output ? [h("h4", null, "Output"), h("pre", null, pretty(step.output))] : null,
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
      h("span", { class: "visually-hidden" }, `, ${step.status}, `),
      duration,
      h("time", { datetime: isoOf(step.enteredAt) }, clockTime(step.enteredAt)),
    ),
    step.kind === "Fail" && execution.execution.error && index === execution.timeline.steps.length - 1
      ? h("p", { class: "error-line" }, h("strong", { class: "error-name" }, execution.execution.error))
      : null,
    io,
    attemptsTable(step),
    step.explanation && step.status === "failed" ? h("p", { class: "explain" }, step.explanation) : null,
    raw,
  );
}

/** Retries so far: while one is pending ("Retrying"), the failed attempt waiting for it counts. */
function retriesOf(execution) {
  const pending = execution.row.status === "retrying" ? (execution.row.failedAttempts ?? 1) : 0;
  return Math.max(execution.timeline.retries, pending);
}

function timeline(execution) {
  const items = [];
  const redrives = [...execution.timeline.redrivenAt];
  execution.timeline.steps.forEach((step, index) => {
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
    items.push(stepItem(step, index, execution));
  });
  for (const at of redrives)
    items.push(h("li", { class: "redrive" }, h("strong", null, "Redriven"), ` at ${clockTime(at)}`));
  const t = execution.timeline;
  const total = t.startedAt && t.stoppedAt ? ` in ${formatDuration(t.stoppedAt - t.startedAt)}` : "";
  return [
    h("h4", null, "Timeline"),
    h(
      "p",
      { class: "note" },
      `${t.status}${total} · ${retriesOf(execution)} retr${retriesOf(execution) === 1 ? "y" : "ies"}${t.redrives ? ` · redriven ${t.redrives}×` : ""} · ${formatCount(t.events)} history events`,
    ),
    h("ol", { class: "timeline" }, ...items),
  ];
}

/** A Task's result field: text as text (a sanitized message, a prompt, a raw answer), the rest as JSON. */
function resultValue(value) {
  if (typeof value === "string") return h("pre", { class: "result-text" }, value);
  if (value === null || value === undefined) return h("span", { class: "muted" }, "—");
  if (typeof value !== "object") return h("code", null, String(value));
  return h("pre", null, JSON.stringify(value, null, 2));
}

function results(execution) {
  if (execution.results.length === 0) return null;
  return h(
    "details",
    { id: idOf(execution, "results"), class: "results" },
    h("summary", null, "What the steps returned"),
    ...execution.results.map((result) =>
      h(
        "div",
        { class: "result", "data-state": result.state },
        h("h5", null, result.state),
        h(
          "dl",
          null,
          ...result.fields.flatMap((item) => [
            h("dt", null, item.name),
            h("dd", { "data-field": item.name }, resultValue(item.value)),
          ]),
        ),
      ),
    ),
  );
}

function actions(execution, primary) {
  const buttons = [];
  if (execution.actions.redrive) {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          class: "primary",
          "data-action": "redrive",
          onclick: (event) => act(execution, "redrive", event.currentTarget),
        },
        "Redrive",
      ),
    );
  }
  if (execution.actions.replay) {
    buttons.push(
      h(
        "button",
        {
          type: "button",
          "data-action": "replay",
          onclick: (event) => act(execution, "replay", event.currentTarget),
        },
        "Replay",
      ),
    );
  }
  if (execution.links.awsConsole)
    buttons.push(
      safeLink(execution.links.awsConsole, "Open in AWS console ↗", {
        class: "button aws-console",
        ...(primary ? { id: "aws-console" } : {}),
      }),
    );
  const help = [
    execution.actions.redrive ? "Redrive continues this execution from the step that failed." : "",
    execution.actions.replay
      ? "Replay starts a new execution with this one's input (side effects that happened are not repeated)."
      : "",
    execution.actions.note ?? "",
  ].filter(Boolean);
  if (buttons.length === 0 && help.length === 0) return null;
  return h("div", { class: "actions" }, ...buttons, h("p", { class: "action-help note" }, help.join(" ")));
}

function executionCard(execution, primary) {
  const started = execution.execution.startDate;
  const stopped = execution.execution.stopDate;
  return h(
    "article",
    {
      class: `execution${primary ? " primary" : ""}`,
      "data-flow": execution.flow,
      "data-execution": execution.name,
      "data-status": execution.row.status,
      "aria-labelledby": idOf(execution, "name"),
    },
    h(
      "h3",
      { id: idOf(execution, "name") },
      h("code", null, execution.name),
      execution.replayOf
        ? h(
            "span",
            { class: "tag" },
            "replay of ",
            h("a", { href: keyUrl(execution.replayOf, execution.flow) }, execution.replayOf),
          )
        : null,
      execution.execution.redriveCount
        ? h("span", { class: "tag" }, `redriven ×${execution.execution.redriveCount}`)
        : null,
    ),
    h("div", { class: "status-line", ...(primary ? { id: "status" } : {}) }, ...statusCell(execution.row)),
    execution.explanation
      ? h("p", { class: "explain", ...(primary ? { id: "explanation" } : {}) }, execution.explanation)
      : null,
    execution.execution.cause && execution.execution.status !== "SUCCEEDED"
      ? h("p", { class: "cause" }, h("span", { class: "io-label" }, "cause "), execution.execution.cause)
      : null,
    h(
      "dl",
      { class: "times" },
      ...field("Started", started ? formatUtc(started) : undefined),
      ...field(
        "Finished",
        stopped
          ? `${formatUtc(stopped)} (${formatDuration(stopped - started)})`
          : execution.execution.status === "RUNNING"
            ? "in progress"
            : undefined,
      ),
    ),
    actions(execution, primary),
    results(execution),
    // The step-by-step history is one click away (open while it runs): the story above says what came of it.
    h(
      "details",
      {
        id: idOf(execution, "timeline"),
        class: "timeline-box",
        open: ["waiting", "running", "retrying"].includes(execution.row.status),
      },
      h(
        "summary",
        null,
        `Timeline: ${execution.timeline.steps.length} steps, ${retriesOf(execution)} retr${retriesOf(execution) === 1 ? "y" : "ies"}`,
      ),
      ...timeline(execution),
    ),
  );
}

function flowColumn(flow, detail) {
  return h(
    "section",
    { class: "flow-column", "data-flow": flow.id, "aria-labelledby": `flow--${flow.id}` },
    h(
      "h2",
      { id: `flow--${flow.id}` },
      h("span", { class: `flow-tag flow-${flow.id}` }, flow.id),
      " ",
      flow.title,
    ),
    ...flow.executions.map((execution) =>
      executionCard(execution, detail.primary?.flow === flow.id && detail.primary?.name === execution.name),
    ),
    flow.replaysComplete
      ? null
      : h(
          "p",
          { class: "note" },
          "Replays older than the newest 1,000 executions of this flow were not searched.",
        ),
  );
}

const ACTION_MARKS = { done: "✓", skipped: "⚠", failed: "✗", uncertain: "?", running: "…" };
const ACTION_WORDS = {
  done: "done",
  skipped: "skipped",
  failed: "failed",
  uncertain: "not confirmed",
  running: "in progress",
};
const clip = (text, max = 240) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function actionItem(execution, action) {
  const why =
    action.status === "skipped"
      ? ` — ${action.reason}`
      : action.status === "failed"
        ? ` — ${action.error}${action.cause ? `: ${clip(action.cause)}` : ""}`
        : action.detail
          ? ` — ${action.detail}`
          : "";
  return h(
    "li",
    {
      class: "action",
      "data-flow": execution.flow,
      "data-execution": execution.name,
      "data-action": action.id,
      "data-status": action.status,
    },
    h(
      "span",
      { class: "verdict" },
      `${ACTION_MARKS[action.status] ?? "•"} ${action.title}: ${ACTION_WORDS[action.status] ?? action.status}`,
    ),
    why,
  );
}

/** Who, what happened in every flow, what needs a human: the first screen of a key's page. */
function storySection(detail) {
  const executions = detail.flows.flatMap((flow) => flow.executions);
  const needs = [
    ...new Set(
      executions.flatMap((execution) => [
        ...execution.story.needsHuman,
        ...(execution.story.actions.length === 0 &&
        ["failed", "timed-out", "aborted"].includes(execution.row.status)
          ? [
              `${execution.flow} ${execution.row.status}${execution.row.error ? ` (${execution.row.error})` : ""}: ${execution.explanation ?? "see its timeline"}`,
            ]
          : []),
      ]),
    ),
  ];
  return h(
    "section",
    { class: "panel story", id: "story", "aria-labelledby": "story-heading" },
    h("h2", { id: "story-heading" }, "What happened"),
    ...executions.map((execution) =>
      h(
        "p",
        { class: "outcome-line", "data-flow": execution.flow, "data-execution": execution.name },
        h("span", { class: `flow-tag flow-${execution.flow}` }, execution.flow),
        " ",
        ...statusCell(execution.row),
        execution.story.outcome ? h("strong", { class: "outcome" }, ` ${execution.story.outcome}`) : null,
        " ",
        h("code", { class: "id" }, execution.name),
      ),
    ),
    h(
      "ul",
      { class: "actions-done", id: "actions-done" },
      ...executions.flatMap((execution) =>
        execution.story.actions.map((action) => actionItem(execution, action)),
      ),
    ),
    h("h3", null, "Needs a human"),
    needs.length > 0
      ? h("ul", { class: "needs", id: "needs" }, ...needs.map((line) => h("li", null, clip(line, 400))))
      : h(
          "p",
          { class: "muted", id: "needs" },
          executions.some((execution) => ["waiting", "running", "retrying"].includes(execution.row.status))
            ? "Nothing yet: still in progress."
            : "Nothing: every action was done or turned off on purpose.",
        ),
  );
}

function leadSummary(detail) {
  const { lead, links } = detail.lead;
  return h(
    "section",
    { class: "panel summary", "aria-labelledby": "summary-heading" },
    h("h2", { id: "summary-heading" }, "Lead"),
    h(
      "dl",
      { class: "facts" },
      ...field("Owner", lead.owner),
      ...field("Funnel", lead.funnel),
      ...field("Created", lead.createdAt ? humanDate(lead.createdAt) : undefined),
      ...field("Close status", lead.statusLabel),
      ...field("Email", lead.email),
      ...field(
        "Details from",
        lead.from === "enriched"
          ? "enriched record"
          : lead.from === "raw"
            ? "raw webhook (no owner yet)"
            : "nothing stored",
      ),
    ),
    h("div", { class: "actions" }, safeLink(links.close, "Open in Close ↗", { class: "button" })),
  );
}

function announceOf(detail) {
  const flow = detail.flows.find((item) => item.id === "announce");
  if (!flow) return undefined;
  return (
    flow.executions.find((execution) => execution.name === detail.primary?.name) ?? flow.executions.at(-1)
  );
}

function slackSection(detail) {
  const { notification, unassignedNotice } = detail.lead.records;
  const parts = [];
  if (notification.message) {
    parts.push(
      slackMessage(notification.message, {
        at: notification.at,
        caption:
          notification.status === "sent"
            ? `Posted and confirmed by Slack ${formatUtc(notification.at)} · stored as ${notification.key}`
            : `Post started ${formatUtc(notification.at)} and never confirmed (status “${notification.status}”) · ${notification.key}`,
      }),
    );
  }
  if (unassignedNotice.message) {
    parts.push(
      slackMessage(unassignedNotice.message, {
        at: unassignedNotice.at,
        caption: `“Still no owner” notice, ${unassignedNotice.status} ${formatUtc(unassignedNotice.at)} · ${unassignedNotice.key}`,
      }),
    );
  }
  // Every other message the key caused (triage's urgent post…), as the local Slack stand-in received it.
  const posted = new Set([notification.message?.text, unassignedNotice.message?.text].filter(Boolean));
  for (const entry of detail.lead.slackSink ?? []) {
    if (posted.has(entry.message.text)) continue;
    parts.push(
      slackMessage(entry.message, {
        at: entry.at,
        caption: `Received by the local Slack stand-in ${formatUtc(entry.at)}`,
      }),
    );
  }
  if (parts.length === 0) {
    const announce = announceOf(detail);
    const why =
      announce?.row.status === "waiting"
        ? "The lead is held for its owner to be assigned; the message goes out after the hold."
        : (announce?.explanation ?? "No message was posted for this lead yet.");
    parts.push(h("p", { class: "muted" }, `Nothing posted to Slack. ${why}`));
  }
  const sink = detail.lead.slackSink;
  if (sink) {
    parts.push(
      h(
        "p",
        { class: "note" },
        sink.length === 0
          ? "The local Slack stand-in received nothing for this lead."
          : `The local Slack stand-in received ${sink.length} message${sink.length === 1 ? "" : "s"} for this lead (${sink.map((entry) => formatUtc(entry.at)).join(", ")}).`,
      ),
    );
  }
  return h(
    "section",
    { "aria-labelledby": "slack-heading", class: "panel", id: "slack" },
    h("h2", { id: "slack-heading" }, "Slack messages"),
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
      ` (${formatCount(record.text.length)} characters${record.truncated ? ", truncated" : ""})`,
    ),
    h("pre", null, pretty(record.text)),
  );
}

function recordsSection(detail) {
  return h(
    "section",
    { "aria-labelledby": "records-heading", class: "panel" },
    h("h2", { id: "records-heading" }, "Stored records"),
    recordBlock("record-raw", "Raw webhook", detail.lead.records.raw),
    recordBlock("record-enriched", "Enriched record", detail.lead.records.enriched),
  );
}

async function act(execution, action, button) {
  if (
    action === "replay" &&
    !confirm(
      `Start a new ${execution.flow} execution of ${execution.key} with the input of ${execution.name}?`,
    )
  )
    return;
  if (button) button.disabled = true;
  const path = `/console/api/flows/${encodeURIComponent(execution.flow)}/executions/${encodeURIComponent(execution.name)}/${action}`;
  try {
    const result = await postAction(path);
    if (action === "replay" && result.url) {
      location.assign(result.url);
      return;
    }
    flash = `Redrive of ${execution.flow} ${execution.name} started: it continues from the step that failed.`;
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

/** How to find the focused element again after a re-render: its id, or its action in its execution's card. */
function selectorOf(element) {
  if (!element || element === document.body || !root.contains(element)) return undefined;
  if (element.id) return `#${CSS.escape(element.id)}`;
  const card = element.closest("article.execution");
  if (!card || !element.dataset.action) return undefined;
  return `article.execution[data-flow="${CSS.escape(card.dataset.flow)}"][data-execution="${CSS.escape(card.dataset.execution)}"] [data-action="${CSS.escape(element.dataset.action)}"]`;
}

function render(detail) {
  // Keep what the reader opened or closed, and where the focus was.
  const details = new Map(
    [...root.querySelectorAll("details[id]")].map((element) => [element.id, element.open]),
  );
  const focusSelector = selectorOf(document.activeElement);
  const title =
    detail.flows
      .flatMap((flow) => flow.executions)
      .map((execution) => execution.story.title)
      .find(Boolean) ??
    detail.lead?.lead.name ??
    detail.key;
  document.title = `${title} · leadrelay console`;
  const primary = detail.flows
    .find((flow) => flow.id === detail.primary?.flow)
    ?.executions.find((execution) => execution.name === detail.primary?.name);
  // replaceChildren would write a null as the text "null": leave absent sections out.
  const sections = [
    h("h1", { id: "title" }, title),
    h(
      "p",
      { class: "sub" },
      h("code", null, detail.key),
      detail.requested !== detail.key ? [" · opened at ", h("code", null, detail.requested)] : null,
      ` · ${detail.flows.length} flow${detail.flows.length === 1 ? "" : "s"}`,
    ),
    h("p", { id: "message", class: "message", role: "status", hidden: !flash }, flash),
    storySection(detail),
    detail.lead ? slackSection(detail) : null,
    detail.lead ? leadSummary(detail) : null,
    h(
      "div",
      { class: `flows flows-${Math.min(detail.flows.length, 3)}`, id: "flows" },
      ...detail.flows.map((flow) => flowColumn(flow, detail)),
    ),
    detail.without.length > 0
      ? h(
          "p",
          { class: "note" },
          `No execution of this key in ${detail.without.map((flow) => flow.id).join(", ")}.`,
        )
      : null,
    detail.lead ? recordsSection(detail) : null,
  ];
  root.replaceChildren(...sections.filter(Boolean));

  for (const [id, open] of details) {
    const element = document.getElementById(id);
    if (element) element.open = open;
  }
  if (focusSelector) root.querySelector(focusSelector)?.focus();
  root.setAttribute("aria-busy", "false");
  root.dataset.status = primary?.row.status ?? "";
  root.dataset.loads = String(Number(root.dataset.loads ?? 0) + 1);
}

async function load() {
  let detail;
  try {
    const text = JSON.stringify(await getJson(api), (key, value) =>
      key === "serverNow" ? undefined : value,
    );
    live.textContent = `Updated ${formatUtc(Date.now())}`;
    if (text === lastText) return;
    lastText = text;
    detail = JSON.parse(text);
  } catch (error) {
    const message =
      document.getElementById("message") ??
      root.appendChild(h("p", { id: "message", class: "message", role: "alert" }));
    message.textContent =
      error.status === 404
        ? `No flow has an execution of ${name}.`
        : `Could not load ${name}: ${error.name}: ${error.message}`;
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

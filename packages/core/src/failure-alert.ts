import { createHash } from "node:crypto";
import { displayLine, escapeHtml } from "./display-text";
import { businessKeyOfExecutionName } from "./execution-name";
import { escapeSlack, type SlackMessage } from "./slack-message";

/**
 * The alert a person gets when an execution of any flow ends badly: which flow, which business
 * event (the execution name without a replay suffix), what went wrong, and where to look.
 */

/** The end states an alert is sent for (Step Functions' own status names). */
export const ALERTED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;
export type AlertedStatus = (typeof ALERTED_STATUSES)[number];

export function isAlertedStatus(status: unknown): status is AlertedStatus {
  return (ALERTED_STATUSES as readonly unknown[]).includes(status);
}

export interface ExecutionFailure {
  flow: string;
  executionArn: string;
  /** The execution's name: the business key, plus a suffix for a replay. */
  name: string;
  status: AlertedStatus;
  error?: string | null;
  cause?: string | null;
  /** How often this execution had been redriven when it ended like this (0: its first run). */
  redriveCount?: number;
  /** Where a person looks at the execution (the AWS console, or the local console). */
  link: string;
}

export interface AlertEmail {
  subject: string;
  text: string;
  html: string;
}

export interface FailureAlert {
  businessKey: string;
  slack: SlackMessage;
  email: AlertEmail;
}

/**
 * The cause is shown cut: escaped for Slack (`&` becomes 5 characters) it stays under the 3,000
 * characters of a section's text, and a Lambda's stack trace is in the history anyway.
 */
export const MAX_CAUSE_CHARACTERS = 500;

const STATUS_WORDS: Record<AlertedStatus, string> = {
  FAILED: "failed",
  TIMED_OUT: "timed out",
  ABORTED: "was stopped",
};

/** The execution's page in the AWS console (its region is in the ARN). */
export function executionConsoleUrl(executionArn: string): string {
  const [, partition = "aws", , region = "us-east-1"] = executionArn.split(":");
  const host = partition === "aws-cn" ? `${region}.console.amazonaws.cn` : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * A Lambda's error reaches the Fail state as JSON (`{"errorType","errorMessage","trace"}`): its
 * message says what happened; anything else is shown as it is.
 */
export function causeSummary(cause: string | null | undefined): string | undefined {
  if (cause === null || cause === undefined || cause.trim() === "") return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string" && parsed.errorMessage.trim() !== "")
      return parsed.errorMessage;
  } catch {
    // not JSON: the cause as it is
  }
  return cause;
}

/**
 * Where the alert of one end of one execution is marked as sent: the same execution ARN fails
 * again only after a redrive, which is a new failure worth its own alert. The ARN is hashed: it is
 * long and full of colons, the hash is neither.
 */
export function alertMarkerKey(
  executionArn: string,
  redriveCount = 0,
  channel: "slack" | "email" = "slack",
): string {
  const hash = createHash("sha256").update(executionArn).digest("hex");
  const run = redriveCount > 0 ? `.redrive-${redriveCount}` : "";
  return `alerts/${hash}${run}${channel === "email" ? ".email" : ""}.json`;
}

/** Slack's link syntax: `|` and `>` would end the URL early (percent-encoded); `&` is Slack's escape. */
function slackLink(url: string, label: string): string {
  return `<${url.replace(/[|<>\s]/g, encodeURIComponent).replaceAll("&", "&amp;")}|${label}>`;
}

/** An alert's email: its lines as text, and as an HTML table under a heading; the link last. */
function alertEmail(
  subject: string,
  heading: string,
  lines: ReadonlyArray<[label: string, value: string]>,
  link: { url: string; label: string },
): AlertEmail {
  return {
    subject,
    text: `${lines.map(([label, value]) => `${label}: ${value}`).join("\n")}\n\n${link.label}: ${link.url}\n`,
    html: [
      `<h2>${escapeHtml(heading)}</h2>`,
      "<table>",
      ...lines.map(
        ([label, value]) =>
          `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
      ),
      "</table>",
      `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`,
    ].join("\n"),
  };
}

export function buildFailureAlert(failure: ExecutionFailure): FailureAlert {
  const businessKey = businessKeyOfExecutionName(failure.name);
  const replay = businessKey === failure.name ? undefined : failure.name;
  const what = `${displayLine(failure.flow)} ${STATUS_WORDS[failure.status]}`;
  const error = displayLine(failure.error ?? (failure.status === "TIMED_OUT" ? "States.Timeout" : null));
  const cause = displayLine(causeSummary(failure.cause), MAX_CAUSE_CHARACTERS);
  const redrive = failure.redriveCount ? ` (after redrive ${failure.redriveCount})` : "";
  const fields: Array<[label: string, value: string]> = [
    ["Flow", displayLine(failure.flow)],
    ["Business key", displayLine(businessKey)],
    ["Status", `${failure.status}${redrive}`],
    ["Error", error],
    ...(replay ? ([["Execution", displayLine(replay)]] as Array<[string, string]>) : []),
  ];
  const link = failure.link;

  const slack: SlackMessage = {
    text: escapeSlack(`leadrelay: ${what}: ${displayLine(businessKey)} (${error})`),
    blocks: [
      { type: "header", text: { type: "plain_text", text: `Flow ${what}`.slice(0, 150), emoji: false } },
      {
        type: "section",
        fields: fields.map(([label, value]) => ({
          type: "mrkdwn",
          text: `*${label}*\n${escapeSlack(value)}`,
        })),
      },
      { type: "section", text: { type: "mrkdwn", text: `*Cause*\n${escapeSlack(cause)}` } },
      { type: "section", text: { type: "mrkdwn", text: slackLink(link, "Open the execution") } },
    ],
  };

  const lines = [...fields, ["Cause", cause] as [string, string]];
  const email = alertEmail(
    `[leadrelay] ${what}: ${displayLine(businessKey, 80)} (${displayLine(error, 80)})`,
    `Flow ${what}`,
    lines,
    { url: link, label: "Open the execution" },
  );
  return { businessKey, slack, email };
}

/** An action a Task skipped (a credential or setting missing), alerted with LEADRELAY_ALERT_ON_SKIPPED=true. */
export interface SkippedActionNotice {
  flow: string;
  /** The action's id in its flow (`sms`) and what a person reads ("Text the on-call rep"). */
  action: string;
  title: string;
  /** Why, as the Task said it: the variable or setting ("TWILIO_AUTH_TOKEN is not set"). */
  reason: string;
  /** Where a person finds the flow's executions (the AWS console, or the local console). */
  link: string;
}

/** The prefix of a flow's skipped-action alert markers: under the flow's own keys, so IAM keeps flows apart. */
export const skippedAlertMarkers = (flow: string) => `flows/${flow}/skipped-alerts/`;

/**
 * Where the alert of one skipped action of one Task run is marked as sent: a Task retried or
 * redriven runs with the very same input, so flow, action and that input name it (a Lambda learns
 * neither its execution's ARN nor its name from Step Functions).
 */
export function skippedAlertMarkerKey(flow: string, action: string, taskInput: string): string {
  const hash = createHash("sha256").update(`${action}\u0000${taskInput}`).digest("hex");
  return `${skippedAlertMarkers(flow)}${hash}.json`;
}

/** The same channels and look as a failure alert: the execution still succeeded, without this action. */
export function buildSkippedAlert(notice: SkippedActionNotice): Omit<FailureAlert, "businessKey"> {
  const what = `${displayLine(notice.flow)}: ${displayLine(notice.title, 80)} skipped`;
  const fields: Array<[label: string, value: string]> = [
    ["Flow", displayLine(notice.flow)],
    ["Action", `${displayLine(notice.title)} (${displayLine(notice.action)})`],
    ["Reason", displayLine(notice.reason, MAX_CAUSE_CHARACTERS)],
    ["Execution", "succeeded without this action"],
  ];
  const link = notice.link;
  const slack: SlackMessage = {
    text: escapeSlack(`leadrelay: ${what} (${displayLine(notice.reason, 120)})`),
    blocks: [
      { type: "header", text: { type: "plain_text", text: `Action ${what}`.slice(0, 150), emoji: false } },
      {
        type: "section",
        fields: fields.map(([label, value]) => ({
          type: "mrkdwn",
          text: `*${label}*\n${escapeSlack(value)}`,
        })),
      },
      { type: "section", text: { type: "mrkdwn", text: slackLink(link, "Open the flow's executions") } },
    ],
  };
  const email = alertEmail(
    `[leadrelay] ${what} (${displayLine(notice.reason, 80)})`,
    `Action ${what}`,
    fields,
    {
      url: link,
      label: "Open the flow's executions",
    },
  );
  return { slack, email };
}

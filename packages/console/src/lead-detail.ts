import {
  buildTimeline,
  enrichedKey,
  leadIdOfExecutionName,
  notifiedKey,
  type ObjectStore,
  rawEventKey,
  type Timeline,
  type TimelineStep,
  unassignedNoticeKey,
  unwrapCause,
} from "@leadrelay/core";
import { executionConsoleUrl } from "./aws-console-links";
import type { ReceivedSlackMessage } from "./console-deps";
import { explain } from "./error-explanations";
import { describeExecution, executionHistory, type LeadTarget } from "./lead-operations";
import { emptyFacts, factsFromEnriched, factsFromRaw, type LeadFacts } from "./lead-record";
import { type HoldOf, type RowStatus, runningStatus, stoppedStatus } from "./row-status";
import { parseLoosely, summarizeInput, summarizeOutput } from "./step-summary";

/** Longest stored text sent to the page as is (the raw body is kept byte for byte in S3). */
const MAX_TEXT = 64 * 1024;

interface StoredText {
  key: string;
  /** undefined: the object does not exist. */
  text?: string;
  truncated?: boolean;
}

interface NotificationMarkerView {
  key: string;
  status?: string;
  at?: string;
  message?: { text?: string; blocks?: unknown[] };
}

export interface TimelineStepView extends TimelineStep {
  inputSummary?: string;
  outputSummary?: string;
  /** Explanation of the last attempt's named error. */
  explanation?: string;
}

export interface LeadDetail {
  name: string;
  leadId: string;
  executionArn: string;
  replayOf?: string;
  execution: {
    status: string;
    startDate?: number;
    stopDate?: number;
    error?: string;
    cause?: string;
    redriveCount: number;
    redriveDate?: number;
    redriveStatus?: string;
    input?: unknown;
  };
  /** The list's view of the status (waiting with its end, retrying, notified, failed…). */
  row: RowStatus;
  explanation?: string;
  timeline: Omit<Timeline, "steps"> & { steps: TimelineStepView[]; redrivenAt: number[]; events: number };
  lead: LeadFacts;
  records: {
    raw: StoredText;
    enriched: StoredText;
    notification: NotificationMarkerView;
    unassignedNotice: NotificationMarkerView;
  };
  /** Local runtime only: what the built-in Slack sink received for this lead. */
  slackSink?: ReceivedSlackMessage[];
  links: { awsConsole?: string; close: string };
  /** `note`: why an action is not offered. */
  actions: { redrive: boolean; replay: boolean; note?: string };
}

export interface LeadDetailDeps {
  target: LeadTarget;
  store: ObjectStore;
  holds: () => Promise<HoldOf>;
  mode: "local" | "aws";
  region?: string;
  slackMessages?: () => ReceivedSlackMessage[];
}

const toMs = (value: Date | undefined) => value?.getTime();

function clipText(key: string, text: string | undefined): StoredText {
  if (text === undefined) return { key };
  return text.length > MAX_TEXT ? { key, text: text.slice(0, MAX_TEXT), truncated: true } : { key, text };
}

function marker(key: string, text: string | undefined): NotificationMarkerView {
  if (text === undefined) return { key };
  try {
    const value = JSON.parse(text) as {
      status?: unknown;
      at?: unknown;
      message?: { text?: unknown; blocks?: unknown };
    };
    return {
      key,
      status: typeof value.status === "string" ? value.status : undefined,
      at: typeof value.at === "string" ? value.at : undefined,
      message: {
        text: typeof value.message?.text === "string" ? value.message.text : undefined,
        blocks: Array.isArray(value.message?.blocks) ? value.message.blocks : undefined,
      },
    };
  } catch {
    return { key, status: "unreadable" };
  }
}

const clip = (text: string | undefined) =>
  text !== undefined && text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;

/** Everything the lead view shows, from DescribeExecution, GetExecutionHistory and the lead's S3 objects. */
export async function loadLeadDetail(deps: LeadDetailDeps, name: string): Promise<LeadDetail | undefined> {
  let described: Awaited<ReturnType<typeof describeExecution>>;
  try {
    described = await describeExecution(deps.target, name);
  } catch (error) {
    if (error instanceof Error && error.name === "ExecutionDoesNotExist") return undefined;
    throw error;
  }
  const executionArn = described.executionArn ?? "";
  const leadId = leadIdOfExecutionName(name);
  const [events, holds, rawText, enrichedText, notifiedText, unassignedText] = await Promise.all([
    executionHistory(deps.target, executionArn),
    deps.holds(),
    deps.store.get(rawEventKey(leadId)),
    deps.store.get(enrichedKey(leadId)),
    deps.store.get(notifiedKey(leadId)),
    deps.store.get(unassignedNoticeKey(leadId)),
  ]);

  const timeline = buildTimeline(events);
  const status = described.status ?? "RUNNING";
  const row =
    stoppedStatus(status, described.error, described.cause) ?? runningStatus([...events].reverse(), holds);
  const input = parseLoosely(described.input) as { replayOf?: unknown } | undefined;
  const lead =
    (enrichedText === undefined ? undefined : factsFromEnriched(leadId, enrichedText)) ??
    (rawText === undefined ? undefined : factsFromRaw(leadId, rawText)) ??
    emptyFacts(leadId);
  const stopped = status === "FAILED" || status === "ABORTED" || status === "TIMED_OUT";
  // AWS redrives from the unsuccessful state; after a Catch that is the Fail state, which fails
  // again. The local facade continues at the Task that failed instead (see the README).
  const failState = timeline.steps.at(-1)?.kind === "Fail" ? timeline.steps.at(-1)?.state : undefined;
  const redriveFailsAgain = deps.mode === "aws" && stopped && failState !== undefined;

  return {
    name,
    leadId,
    executionArn,
    replayOf: typeof input?.replayOf === "string" ? input.replayOf : undefined,
    execution: {
      status,
      startDate: toMs(described.startDate),
      stopDate: toMs(described.stopDate),
      error: described.error,
      cause: unwrapCause(described.cause),
      redriveCount: described.redriveCount ?? 0,
      redriveDate: toMs(described.redriveDate),
      redriveStatus: described.redriveStatus,
      input,
    },
    row,
    explanation: explain(row.error),
    timeline: {
      ...timeline,
      events: events.length,
      redrivenAt: events
        .filter((event) => event.type === "ExecutionRedriven")
        .map((event) => toMs(event.timestamp) ?? 0),
      steps: timeline.steps.map((step) => ({
        ...step,
        input: clip(step.input),
        output: clip(step.output),
        inputSummary: summarizeInput(step.input),
        outputSummary: summarizeOutput(step.input, step.output),
        explanation: explain(step.attempts.at(-1)?.error),
      })),
    },
    lead,
    records: {
      raw: clipText(rawEventKey(leadId), rawText),
      enriched: clipText(enrichedKey(leadId), enrichedText),
      notification: marker(notifiedKey(leadId), notifiedText),
      unassignedNotice: marker(unassignedNoticeKey(leadId), unassignedText),
    },
    slackSink: deps.slackMessages?.().filter((entry) => entry.message.text?.includes(`(${leadId})`)),
    links: {
      awsConsole: deps.mode === "aws" ? executionConsoleUrl(executionArn, deps.region) : undefined,
      close: lead.closeUrl,
    },
    actions: {
      redrive: stopped && described.redriveStatus !== "NOT_REDRIVABLE" && !redriveFailsAgain,
      replay: rawText !== undefined,
      note: redriveFailsAgain
        ? `No redrive: in AWS it would restart at the Fail state ${failState} and fail again. Replay starts a new execution from the stored webhook instead.`
        : stopped && described.redriveStatus === "NOT_REDRIVABLE"
          ? `Step Functions will not redrive this execution${described.redriveStatusReason ? `: ${described.redriveStatusReason}` : ""}.`
          : undefined,
    },
  };
}

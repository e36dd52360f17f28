import type { DescribeExecutionCommandOutput } from "@aws-sdk/client-sfn";
import {
  buildTimeline,
  businessKeyOfExecutionName,
  type ObjectStore,
  type Timeline,
  type TimelineStep,
  unwrapCause,
} from "@leadrelay/core";
import { executionConsoleUrl } from "./aws-console-links";
import { BoundedCache } from "./bounded-concurrency";
import { ANNOUNCE, type FlowTarget } from "./console-flows";
import { explain } from "./error-explanations";
import { type ExecutionStory, executionFacts, executionStory, keyNounOf, pageKeyOf } from "./execution-story";
import { executionHistory, inputObjectOf } from "./lead-operations";
import { type HoldOf, type RowStatus, runningStatus, stoppedStatus } from "./row-status";
import {
  parseLoosely,
  type StepResultField,
  stepResults,
  summarizeInput,
  summarizeOutput,
} from "./step-summary";

/** Longest state input/output sent to the page as is. */
const MAX_TEXT = 64 * 1024;

export interface TimelineStepView extends TimelineStep {
  inputSummary?: string;
  outputSummary?: string;
  /** Explanation of the last attempt's named error. */
  explanation?: string;
}

/** One execution of any flow, as the business key's page shows it. */
export interface ExecutionDetail {
  flow: string;
  flowTitle: string;
  name: string;
  /** The execution key: the name without a replay suffix. */
  key: string;
  /** The business key (its page): deal-stage's stages share `deal-{dealId}`. */
  pageKey: string;
  /** What a key of the flow is ("Close lead", "deal"…). */
  keyNoun: string;
  /** How it reads to a person, from its flow's declaration: title, outcome, each action's status. */
  story: ExecutionStory;
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
  /** The list's view of the status (waiting with its end, retrying, succeeded, failed…). */
  row: RowStatus;
  explanation?: string;
  timeline: Omit<Timeline, "steps"> & { steps: TimelineStepView[]; redrivenAt: number[]; events: number };
  /** What each Task added to the state (its ResultPath), field by field. */
  results: Array<{ state: string; fields: StepResultField[] }>;
  links: { awsConsole?: string };
  /** `note`: why an action is not offered. */
  actions: { redrive: boolean; replay: boolean; note?: string };
}

export interface ExecutionDetailDeps {
  mode: "local" | "aws";
  /** The stage's bucket: a flow may name the person from a stored object. */
  store?: ObjectStore;
  region?: string;
  holds: (flow: string) => Promise<HoldOf>;
}

const toMs = (value: Date | undefined) => value?.getTime();
const clip = (text: string | undefined) =>
  text !== undefined && text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;

/**
 * Everything about one execution from DescribeExecution and GetExecutionHistory. A stopped
 * execution does not change until it is redriven, so its detail is kept (key: status and redrive count).
 */
export class ExecutionDetails {
  private readonly stopped = new BoundedCache<string, ExecutionDetail>(2_000);

  constructor(private readonly deps: ExecutionDetailDeps) {}

  async load(flow: FlowTarget, described: DescribeExecutionCommandOutput): Promise<ExecutionDetail> {
    const executionArn = described.executionArn ?? "";
    const status = described.status ?? "RUNNING";
    const cacheKey = `${executionArn}|${status}|${described.redriveCount ?? 0}`;
    const cached = this.stopped.get(cacheKey);
    if (cached) return cached;
    const [events, holds] = await Promise.all([
      executionHistory(flow, executionArn),
      this.deps.holds(flow.id),
    ]);
    const timeline = buildTimeline(events);
    const name = described.name ?? executionArn.split(":").at(-1) ?? "";
    const story = await executionStory(
      flow.id,
      executionFacts({ name, status, input: described.input, output: described.output }, events, timeline),
      this.deps.store,
    );
    const detail = buildDetail(flow, described, events, holds, this.deps, timeline, story);
    if (status !== "RUNNING" && status !== "PENDING_REDRIVE") this.stopped.set(cacheKey, detail);
    return detail;
  }
}

function buildDetail(
  flow: FlowTarget,
  described: DescribeExecutionCommandOutput,
  events: Awaited<ReturnType<typeof executionHistory>>,
  holds: HoldOf,
  deps: ExecutionDetailDeps,
  timeline: Timeline,
  story: ExecutionStory,
): ExecutionDetail {
  const name = described.name ?? described.executionArn?.split(":").at(-1) ?? "";
  const executionArn = described.executionArn ?? "";
  const status = described.status ?? "RUNNING";
  const stopped_ =
    stoppedStatus(
      status,
      described.error,
      described.cause,
      flow.id === ANNOUNCE ? "notified" : "succeeded",
    ) ?? runningStatus([...events].reverse(), holds);
  const row: RowStatus =
    status === "SUCCEEDED" && story.skipped > 0 ? { status: "skipped", skipped: story.skipped } : stopped_;
  const input = parseLoosely(described.input) as { replayOf?: unknown } | undefined;
  const stopped = status === "FAILED" || status === "ABORTED" || status === "TIMED_OUT";
  // AWS redrives from the unsuccessful state; after a Catch that is the Fail state, which fails
  // again. The local facade continues at the Task that failed instead (see the README).
  const failState = timeline.steps.at(-1)?.kind === "Fail" ? timeline.steps.at(-1)?.state : undefined;
  const redriveFailsAgain = deps.mode === "aws" && stopped && failState !== undefined;
  const replayable = status !== "RUNNING" && inputObjectOf(described.input) !== undefined;
  const notes = [
    redriveFailsAgain
      ? `No redrive: in AWS it would restart at the Fail state ${failState} and fail again. Replay starts a new execution with the same input instead.`
      : undefined,
    stopped && described.redriveStatus === "NOT_REDRIVABLE"
      ? `Step Functions will not redrive this execution${described.redriveStatusReason ? `: ${described.redriveStatusReason}` : ""}.`
      : undefined,
    status === "RUNNING" ? "Still running: redrive and replay are offered once it stops." : undefined,
  ].filter(Boolean);

  return {
    flow: flow.id,
    flowTitle: flow.title,
    name,
    key: businessKeyOfExecutionName(name),
    pageKey: pageKeyOf(flow.id, name),
    keyNoun: keyNounOf(flow.id, name),
    story,
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
    results: timeline.steps
      .filter((step) => step.kind === "Task" && step.output !== undefined)
      .map((step) => ({ state: step.state, fields: stepResults(step.input, step.output) }))
      .filter((result) => result.fields.length > 0),
    links: {
      awsConsole: deps.mode === "aws" ? executionConsoleUrl(executionArn, deps.region) : undefined,
    },
    actions: {
      redrive: stopped && described.redriveStatus !== "NOT_REDRIVABLE" && !redriveFailsAgain,
      replay: replayable,
      note: notes.length > 0 ? notes.join(" ") : undefined,
    },
  };
}

import { type HistoryEventLike, unwrapCause } from "@leadrelay/core";

/**
 * What an operator asks about an execution: is it waiting, being retried, done, or stuck. An
 * announce execution that succeeded "notified" Slack; other flows' just "succeeded"; one that
 * succeeded with any of its actions skipped is "skipped" ("Succeeded · N skipped").
 */
export type LeadStatus =
  | "waiting"
  | "running"
  | "retrying"
  | "notified"
  | "succeeded"
  | "skipped"
  | "failed"
  | "aborted"
  | "timed-out";

export const LEAD_STATUSES: readonly LeadStatus[] = [
  "waiting",
  "running",
  "retrying",
  "notified",
  "succeeded",
  "skipped",
  "failed",
  "aborted",
  "timed-out",
];

/** How a flow's success reads: announce's means the lead was announced. */
export type SuccessLabel = "notified" | "succeeded";

export interface RowStatus {
  status: LeadStatus;
  /** The state the execution is in (running), failed in, or ended in (other flows than announce). */
  state?: string;
  /** Epoch ms when the hold ends (waiting). */
  waitEndsAt?: number;
  /** The named error: the last failed attempt (retrying) or the execution's error (failed). */
  error?: string;
  cause?: string;
  /** Failed attempts seen in the recent events (retrying): a lower bound. */
  failedAttempts?: number;
  /** Actions skipped (status "skipped": it succeeded, with this many actions not done). */
  skipped?: number;
}

const ms = (value: HistoryEventLike["timestamp"]) =>
  value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : (value ?? 0);

/** How long a Wait state holds, from the state machine definition; undefined when it is not fixed. */
export type HoldOf = (state: string) => number | undefined;

/**
 * Status of a RUNNING execution from its most recent history events (newest first, as
 * `GetExecutionHistory` with `reverseOrder` returns them): the last state entered decides,
 * and a failed Lambda attempt since then means the state is being retried.
 */
export function runningStatus(recentNewestFirst: readonly HistoryEventLike[], holdOf: HoldOf): RowStatus {
  // Inside a Parallel (or Map) several states run at once: each branch's is named, not only the newest.
  const branches = branchStatus(recentNewestFirst);
  if (branches) return branches;
  let failure: { error?: string; cause?: string } | undefined;
  let failedAttempts = 0;
  for (const event of recentNewestFirst) {
    const type = event.type ?? "";
    if (type === "LambdaFunctionFailed" || type === "LambdaFunctionTimedOut") {
      failedAttempts++;
      failure ??= event.lambdaFunctionFailedEventDetails ??
        event.lambdaFunctionTimedOutEventDetails ?? {
          error: "States.Timeout",
        };
    } else if (type.endsWith("StateEntered")) {
      const state = event.stateEnteredEventDetails?.name;
      if (type === "WaitStateEntered") {
        const hold = state === undefined ? undefined : holdOf(state);
        return {
          status: "waiting",
          state,
          waitEndsAt: hold === undefined ? undefined : ms(event.timestamp) + hold,
        };
      }
      return failure
        ? { status: "retrying", state, error: failure.error, failedAttempts }
        : { status: "running", state };
    } else if (type.endsWith("StateExited") || type === "ExecutionStarted" || type === "ExecutionRedriven") {
      // Between two states (or just started): whatever failed before is not being retried now.
      if (!failure) return { status: "running" };
      break;
    }
  }
  // The window ended inside a long run of retries: the state's entry is older than what we read.
  return failure ? { status: "retrying", error: failure.error, failedAttempts } : { status: "running" };
}

const CONTAINERS = new Set(["ParallelStateEntered", "MapStateEntered"]);
const failureOf = (event: HistoryEventLike) =>
  event.type === "LambdaFunctionFailed"
    ? (event.lambdaFunctionFailedEventDetails ?? {})
    : event.type === "LambdaFunctionTimedOut"
      ? (event.lambdaFunctionTimedOutEventDetails ?? { error: "States.Timeout" })
      : undefined;

/**
 * The states open in several branches at once, from the window's entries and exits (oldest first):
 * undefined unless two or more are (then the plain reading above applies). A failed attempt belongs
 * to the state its branch entered last (`previousEventId` leads back to it; Step Functions links each
 * event to the previous one of its own branch), and makes that state "retrying".
 */
function branchStatus(recentNewestFirst: readonly HistoryEventLike[]): RowStatus | undefined {
  const oldestFirst = [...recentNewestFirst].reverse();
  const byId = new Map(
    oldestFirst.filter((event) => event.id !== undefined).map((event) => [event.id, event]),
  );
  const open = new Map<string, { failures: number; error?: string }>();
  const stateOf = (event: HistoryEventLike): string | undefined => {
    let current: HistoryEventLike | undefined = event;
    for (let hops = 0; current && hops < recentNewestFirst.length; hops++) {
      if (current.type?.endsWith("StateEntered")) return current.stateEnteredEventDetails?.name;
      current = current.previousEventId === undefined ? undefined : byId.get(current.previousEventId);
    }
    return undefined;
  };
  for (const event of oldestFirst) {
    const type = event.type ?? "";
    if (type.endsWith("StateEntered") && !CONTAINERS.has(type)) {
      const name = event.stateEnteredEventDetails?.name;
      if (name) open.set(name, { failures: 0 });
    } else if (type.endsWith("StateExited")) {
      const name = event.stateExitedEventDetails?.name;
      if (name) open.delete(name);
    } else {
      const failure = failureOf(event);
      const state = failure ? stateOf(event) : undefined;
      const entry = state === undefined ? undefined : open.get(state);
      if (failure && entry) {
        entry.failures++;
        entry.error = failure.error;
      }
    }
  }
  if (open.size < 2) return undefined;
  const retrying = [...open].filter(([, entry]) => entry.failures > 0);
  if (retrying.length === 0) return { status: "running", state: [...open.keys()].join(" + ") };
  return {
    status: "retrying",
    state: retrying.map(([name]) => name).join(" + "),
    error: retrying[0]?.[1].error,
    failedAttempts: retrying.reduce((sum, [, entry]) => sum + entry.failures, 0),
  };
}

/** Status of an execution that stopped, from DescribeExecution / ListExecutions fields. */
export function stoppedStatus(
  executionStatus: string,
  error?: string,
  rawCause?: string,
  success: SuccessLabel = "notified",
): RowStatus | undefined {
  // Causes passed on from a Lambda are its JSON error; the message is what a person reads.
  const cause = unwrapCause(rawCause);
  switch (executionStatus) {
    case "SUCCEEDED":
      return { status: success };
    case "FAILED":
      return { status: "failed", error, cause };
    case "ABORTED":
      return { status: "aborted", error, cause };
    case "TIMED_OUT":
      return { status: "timed-out", error: error ?? "States.Timeout", cause };
    default:
      return undefined;
  }
}

/** ListExecutions' statusFilter for a console filter, and whether the rows need a closer look. */
export function executionFilterOf(status: LeadStatus | undefined): {
  statusFilter?: string;
  derived: boolean;
} {
  switch (status) {
    case undefined:
      return { derived: false };
    case "notified":
    case "succeeded":
      return { statusFilter: "SUCCEEDED", derived: false };
    case "skipped":
      // Succeeded with an action skipped: the execution's output tells them apart.
      return { statusFilter: "SUCCEEDED", derived: true };
    case "failed":
      return { statusFilter: "FAILED", derived: false };
    case "aborted":
      return { statusFilter: "ABORTED", derived: false };
    case "timed-out":
      return { statusFilter: "TIMED_OUT", derived: false };
    default:
      // waiting / running / retrying are all RUNNING to Step Functions: the history tells them apart.
      return { statusFilter: "RUNNING", derived: true };
  }
}

export function isLeadStatus(value: unknown): value is LeadStatus {
  return typeof value === "string" && (LEAD_STATUSES as readonly string[]).includes(value);
}

/**
 * A lead's journey read from a Step Functions execution history (GetExecutionHistory events,
 * AWS or local — the same shape): each state, each Lambda attempt with its error and the wait
 * before it, durations. Pure: no SDK types, only the fields it reads.
 */
export interface HistoryEventLike {
  id?: number;
  timestamp?: Date | number | string;
  type?: string;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  lambdaFunctionFailedEventDetails?: { error?: string; cause?: string };
  lambdaFunctionTimedOutEventDetails?: { error?: string; cause?: string };
  lambdaFunctionSucceededEventDetails?: { output?: string };
  executionFailedEventDetails?: { error?: string; cause?: string };
  executionSucceededEventDetails?: { output?: string };
  executionRedrivenEventDetails?: { redriveCount?: number };
}

export interface Attempt {
  number: number;
  startedAt: number;
  endedAt?: number;
  outcome: "running" | "succeeded" | "failed" | "timed-out";
  error?: string;
  /** The error message, unwrapped from Lambda's JSON cause. */
  cause?: string;
  /** Time between the previous attempt's failure and this attempt (the Retry backoff). */
  waitBeforeMs?: number;
}

export interface TimelineStep {
  state: string;
  kind: string;
  enteredAt: number;
  exitedAt?: number;
  durationMs?: number;
  input?: string;
  output?: string;
  attempts: Attempt[];
  status: "running" | "done" | "failed";
}

export interface Timeline {
  status: "running" | "succeeded" | "failed" | "aborted" | "timed-out";
  startedAt?: number;
  stoppedAt?: number;
  error?: string;
  cause?: string;
  redrives: number;
  steps: TimelineStep[];
  retries: number;
}

const ms = (value: HistoryEventLike["timestamp"]) =>
  value instanceof Date ? value.getTime() : typeof value === "string" ? Date.parse(value) : (value ?? 0);

/** Lambda causes are JSON `{"errorType","errorMessage",…}`; show the message. */
export function unwrapCause(cause: string | undefined): string | undefined {
  if (!cause) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // plain text cause
  }
  return cause;
}

export function buildTimeline(events: readonly HistoryEventLike[]): Timeline {
  const timeline: Timeline = { status: "running", redrives: 0, steps: [], retries: 0 };
  let current: TimelineStep | undefined;
  let lastFailureAt: number | undefined;
  for (const event of events) {
    const at = ms(event.timestamp);
    const type = event.type ?? "";
    if (type === "ExecutionStarted") timeline.startedAt = at;
    else if (type === "ExecutionRedriven") {
      timeline.redrives = event.executionRedrivenEventDetails?.redriveCount ?? timeline.redrives + 1;
      timeline.status = "running";
      timeline.error = undefined;
      timeline.cause = undefined;
      timeline.stoppedAt = undefined;
    } else if (type.endsWith("StateEntered")) {
      current = {
        state: event.stateEnteredEventDetails?.name ?? "?",
        kind: type.slice(0, -"StateEntered".length),
        enteredAt: at,
        input: event.stateEnteredEventDetails?.input,
        attempts: [],
        status: "running",
      };
      timeline.steps.push(current);
      lastFailureAt = undefined;
    } else if (type === "LambdaFunctionScheduled" && current) {
      const attempt: Attempt = { number: current.attempts.length + 1, startedAt: at, outcome: "running" };
      if (lastFailureAt !== undefined) {
        attempt.waitBeforeMs = at - lastFailureAt;
        timeline.retries++;
      }
      current.attempts.push(attempt);
    } else if ((type === "LambdaFunctionFailed" || type === "LambdaFunctionTimedOut") && current) {
      const details = event.lambdaFunctionFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails;
      const attempt = current.attempts.at(-1);
      if (attempt) {
        attempt.endedAt = at;
        attempt.outcome = type === "LambdaFunctionTimedOut" ? "timed-out" : "failed";
        attempt.error = details?.error ?? (type === "LambdaFunctionTimedOut" ? "States.Timeout" : undefined);
        attempt.cause = unwrapCause(details?.cause);
      }
      current.status = "failed";
      lastFailureAt = at;
    } else if (type === "LambdaFunctionSucceeded" && current) {
      const attempt = current.attempts.at(-1);
      if (attempt) {
        attempt.endedAt = at;
        attempt.outcome = "succeeded";
      }
    } else if (type.endsWith("StateExited") && current) {
      current.exitedAt = at;
      current.durationMs = at - current.enteredAt;
      current.output = event.stateExitedEventDetails?.output;
      // A Task whose last attempt failed exits through its Catch: it stays "failed".
      const last = current.attempts.at(-1);
      current.status = last && last.outcome !== "succeeded" ? "failed" : "done";
    } else if (type === "ExecutionSucceeded") {
      timeline.status = "succeeded";
      timeline.stoppedAt = at;
    } else if (type === "ExecutionFailed") {
      timeline.status = "failed";
      timeline.stoppedAt = at;
      timeline.error = event.executionFailedEventDetails?.error;
      timeline.cause = unwrapCause(event.executionFailedEventDetails?.cause);
      if (current && current.status === "running") {
        current.status = "failed";
        current.exitedAt = at;
        current.durationMs = at - current.enteredAt;
      }
    } else if (type === "ExecutionAborted") {
      timeline.status = "aborted";
      timeline.stoppedAt = at;
    } else if (type === "ExecutionTimedOut") {
      timeline.status = "timed-out";
      timeline.stoppedAt = at;
    }
  }
  return timeline;
}

export function formatDuration(milliseconds: number | undefined): string {
  if (milliseconds === undefined) return "…";
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  const seconds = milliseconds / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  return minutes < 120 ? `${minutes.toFixed(1)} min` : `${(minutes / 60).toFixed(1)} h`;
}

/** The timeline as terminal lines. */
export function formatTimeline(timeline: Timeline): string[] {
  const lines: string[] = [];
  const head = timeline.error
    ? `${timeline.status.toUpperCase()} ${timeline.error}`
    : timeline.status.toUpperCase();
  const total =
    timeline.startedAt && timeline.stoppedAt ? timeline.stoppedAt - timeline.startedAt : undefined;
  lines.push(
    `${head}${total === undefined ? "" : ` in ${formatDuration(total)}`}, ${timeline.retries} retr${timeline.retries === 1 ? "y" : "ies"}${timeline.redrives ? `, redriven ${timeline.redrives}×` : ""}`,
  );
  if (timeline.cause) lines.push(`  cause: ${timeline.cause}`);
  for (const step of timeline.steps) {
    const mark = step.status === "done" ? "✓" : step.status === "failed" ? "✗" : "…";
    lines.push(
      `  ${mark} ${step.state.padEnd(18)} ${step.kind.padEnd(8)} ${formatDuration(step.durationMs)}`,
    );
    if (step.attempts.length > 1 || step.attempts.some((attempt) => attempt.outcome !== "succeeded")) {
      for (const attempt of step.attempts) {
        const wait =
          attempt.waitBeforeMs === undefined ? "" : ` after waiting ${formatDuration(attempt.waitBeforeMs)}`;
        const why = attempt.error ? `: ${attempt.error}${attempt.cause ? ` (${attempt.cause})` : ""}` : "";
        lines.push(`      attempt ${attempt.number}${wait} ${attempt.outcome}${why}`);
      }
    }
  }
  return lines;
}

import { type AslShape, containersOf } from "./state-branches";

/**
 * A lead's journey read from a Step Functions execution history (GetExecutionHistory events,
 * AWS or local — the same shape): each state, each Task attempt with its error and the wait
 * before it, durations, and the Parallel branch or Map iteration each state ran in. Events are
 * attributed by walking `previousEventId`, which links each event to the previous event of its
 * own branch ("HistoryEvent", AWS Step Functions API Reference), so the branches of a Parallel
 * never borrow each other's attempts, failures or results. Histories without links (older local
 * ones) are read in order. Pure: no SDK types, only the fields it reads.
 */
export interface HistoryEventLike {
  id?: number;
  previousEventId?: number;
  timestamp?: Date | number | string;
  type?: string;
  stateEnteredEventDetails?: { name?: string; input?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  lambdaFunctionFailedEventDetails?: ErrorDetails;
  lambdaFunctionTimedOutEventDetails?: ErrorDetails;
  lambdaFunctionScheduleFailedEventDetails?: ErrorDetails;
  lambdaFunctionStartFailedEventDetails?: ErrorDetails;
  lambdaFunctionSucceededEventDetails?: { output?: string };
  taskFailedEventDetails?: ErrorDetails;
  taskTimedOutEventDetails?: ErrorDetails;
  taskStartFailedEventDetails?: ErrorDetails;
  taskSubmitFailedEventDetails?: ErrorDetails;
  taskSucceededEventDetails?: { output?: string };
  activityFailedEventDetails?: ErrorDetails;
  activityTimedOutEventDetails?: ErrorDetails;
  activityScheduleFailedEventDetails?: ErrorDetails;
  mapIterationStartedEventDetails?: { name?: string; index?: number };
  executionFailedEventDetails?: ErrorDetails;
  executionSucceededEventDetails?: { output?: string };
  executionRedrivenEventDetails?: { redriveCount?: number };
}
interface ErrorDetails {
  error?: string;
  cause?: string;
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

/** Where a step ran: a branch of a Parallel state or an iteration of a Map state. */
export interface StepBranch {
  /** The Parallel or Map state. */
  state: string;
  kind: "Parallel" | "Map";
  /**
   * Parallel: the branch, 0-based (its place in `Branches` when the definition is given, else the
   * order in which the branches first appear); Map: the iteration's index.
   */
  index: number;
  /** Where `state` itself ran, when Parallel and Map states nest. */
  outer?: StepBranch;
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
  /** `aborted`: still running when the execution (or its Parallel, or Map) stopped without it. */
  status: "running" | "done" | "failed" | "aborted";
  /** The Parallel branch or Map iteration the step ran in; absent at the top level. */
  branch?: StepBranch;
  /** Its last attempt failed and the execution is still running: the Retry is waiting to try again. */
  retryPending?: boolean;
}

export interface Timeline {
  status: "running" | "succeeded" | "failed" | "aborted" | "timed-out";
  startedAt?: number;
  stoppedAt?: number;
  error?: string;
  cause?: string;
  redrives: number;
  steps: TimelineStep[];
  /** Attempts made again after a failure (a Task's or a Parallel's Retry), the one waiting included. */
  retries: number;
}

export interface TimelineOptions {
  /** The state machine's definition: Parallel branches numbered as in `Branches`. */
  definition?: AslShape;
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

/** "AlertHumans branch 1", "ProcessItems item 3", outer ones first ("Outer branch 0 › Inner branch 1"). */
export function branchLabel(branch: StepBranch | undefined): string {
  if (!branch) return "";
  const own = `${branch.state} ${branch.kind === "Parallel" ? "branch" : "item"} ${branch.index}`;
  return branch.outer ? `${branchLabel(branch.outer)} › ${own}` : own;
}

/** A step while the history is read. */
interface Reading {
  step: TimelineStep;
  exited: boolean;
  /** The Parallel or Map step it ran in. */
  container?: Reading;
  lastFailureAt?: number;
  /** Parallel/Map: how many times it started (a retry starts it again), and the branches seen since. */
  starts: number;
  branchOrder: string[];
}

/** What an event belongs to: a step (none for the execution's own events) and the branch it ran in. */
interface Place {
  reading?: Reading;
  branch?: StepBranch;
}

const EXECUTION_EVENT = /^Execution/;
/** Events of a Parallel or Map state itself, Entered and Exited aside. */
const GROUP_EVENT = /^(Parallel|Map)(StateStarted|StateSucceeded|StateFailed|StateAborted|Iteration)/;
const ATTEMPT_START = new Set(["LambdaFunctionScheduled", "TaskScheduled", "ActivityScheduled"]);
const ATTEMPT_FAILED: Record<string, keyof HistoryEventLike> = {
  LambdaFunctionFailed: "lambdaFunctionFailedEventDetails",
  LambdaFunctionScheduleFailed: "lambdaFunctionScheduleFailedEventDetails",
  LambdaFunctionStartFailed: "lambdaFunctionStartFailedEventDetails",
  TaskFailed: "taskFailedEventDetails",
  TaskStartFailed: "taskStartFailedEventDetails",
  TaskSubmitFailed: "taskSubmitFailedEventDetails",
  ActivityFailed: "activityFailedEventDetails",
  ActivityScheduleFailed: "activityScheduleFailedEventDetails",
};
const ATTEMPT_TIMED_OUT: Record<string, keyof HistoryEventLike> = {
  LambdaFunctionTimedOut: "lambdaFunctionTimedOutEventDetails",
  TaskTimedOut: "taskTimedOutEventDetails",
  ActivityTimedOut: "activityTimedOutEventDetails",
};
const ATTEMPT_SUCCEEDED = new Set(["LambdaFunctionSucceeded", "TaskSucceeded", "ActivitySucceeded"]);

export function buildTimeline(events: readonly HistoryEventLike[], options: TimelineOptions = {}): Timeline {
  const timeline: Timeline = { status: "running", redrives: 0, steps: [], retries: 0 };
  const containers = options.definition ? containersOf(options.definition) : undefined;
  const readings: Reading[] = [];
  const placeOf = new Map<number, Place>();
  const eventOf = new Map<number, HistoryEventLike>();
  let previous: Place = {};
  let previousEvent: HistoryEventLike | undefined;

  /** The Parallel (Map) step that events after `place` belong to: the innermost one still open. */
  const groupAround = (place: Place, kind: string, name?: string): Reading | undefined => {
    const fits = (reading: Reading) =>
      reading.step.kind === kind && !reading.exited && (name === undefined || reading.step.state === name);
    for (let reading = place.reading; reading; reading = reading.container) {
      if (fits(reading)) return reading;
    }
    return readings.findLast(fits);
  };
  /** A state the execution, a Parallel or a Map stopped at (a Fail state, a Task that failed for good). */
  const failedAt = (reading: Reading | undefined, at: number) => {
    if (reading?.step.status !== "running") return;
    reading.step.status = "failed";
    if (!reading.exited) exit(reading, at, undefined);
  };
  const inside = (reading: Reading, group: Reading) => {
    for (let container = reading.container; container; container = container.container) {
      if (container === group) return true;
    }
    return false;
  };
  /** Steps of `group` (or of the whole execution) that never ended: stopped with it. */
  const abortRunning = (group?: Reading) => {
    for (const reading of readings) {
      if (reading.step.status === "running" && (!group || inside(reading, group))) {
        reading.step.status = "aborted";
      }
    }
  };
  const exit = (reading: Reading, at: number, output: string | undefined) => {
    reading.exited = true;
    reading.step.exitedAt = at;
    reading.step.durationMs = at - reading.step.enteredAt;
    reading.step.output = output;
  };

  for (const event of events) {
    const at = ms(event.timestamp);
    const type = event.type ?? "";
    // The event it follows: its own branch's previous event when linked, else the one before it.
    const linked = event.previousEventId === undefined ? undefined : placeOf.get(event.previousEventId);
    const after: Place = event.previousEventId === 0 ? {} : (linked ?? previous);
    const afterEvent =
      linked && event.previousEventId !== undefined ? eventOf.get(event.previousEventId) : previousEvent;
    let place: Place = after;

    if (EXECUTION_EVENT.test(type)) {
      place = {};
      if (type === "ExecutionStarted") timeline.startedAt = at;
      else if (type === "ExecutionRedriven") {
        timeline.redrives = event.executionRedrivenEventDetails?.redriveCount ?? timeline.redrives + 1;
        timeline.status = "running";
        timeline.error = undefined;
        timeline.cause = undefined;
        timeline.stoppedAt = undefined;
      } else if (type === "ExecutionSucceeded") {
        timeline.status = "succeeded";
        timeline.stoppedAt = at;
      } else if (type === "ExecutionFailed") {
        timeline.status = "failed";
        timeline.stoppedAt = at;
        timeline.error = event.executionFailedEventDetails?.error;
        timeline.cause = unwrapCause(event.executionFailedEventDetails?.cause);
        // The state the failure comes from is the one the event links to; the others were stopped.
        failedAt(after.reading, at);
        abortRunning();
      } else if (type === "ExecutionAborted" || type === "ExecutionTimedOut") {
        timeline.status = type === "ExecutionAborted" ? "aborted" : "timed-out";
        timeline.stoppedAt = at;
        abortRunning();
      }
    } else if (type.endsWith("StateEntered")) {
      const branch = branchAfter(after, afterEvent, event.stateEnteredEventDetails?.name ?? "?", containers);
      const container = branch ? groupAround(after, branch.kind, branch.state) : undefined;
      const step: TimelineStep = {
        state: event.stateEnteredEventDetails?.name ?? "?",
        kind: type.slice(0, -"StateEntered".length),
        enteredAt: at,
        input: event.stateEnteredEventDetails?.input,
        attempts: [],
        status: "running",
      };
      if (branch) step.branch = branch;
      const reading: Reading = { step, exited: false, container, starts: 0, branchOrder: [] };
      readings.push(reading);
      timeline.steps.push(step);
      place = { reading, branch };
    } else if (GROUP_EVENT.test(type)) {
      const kind = type.startsWith("Parallel") ? "Parallel" : "Map";
      const group = groupAround(after, kind);
      place = { reading: group, branch: group?.step.branch };
      if (group) readGroupEvent(type, group, after, at);
    } else if (type.endsWith("StateExited") || type.endsWith("StateAborted")) {
      const name = event.stateExitedEventDetails?.name;
      const kind = type.replace(/State(Exited|Aborted)$/, "");
      // A Parallel (Map) exits after its branches: it is the open one around the event it links to.
      const reading =
        kind === "Parallel" || kind === "Map"
          ? groupAround(after, kind, name)
          : after.reading &&
              !after.reading.exited &&
              (name === undefined || after.reading.step.state === name)
            ? after.reading
            : readings.findLast((candidate) => !candidate.exited && candidate.step.state === name);
      if (reading) {
        place = { reading, branch: reading.step.branch };
        if (type.endsWith("StateAborted")) {
          reading.step.status = "aborted";
          exit(reading, at, undefined);
        } else {
          exit(reading, at, event.stateExitedEventDetails?.output);
          // A Task whose last attempt failed, or a Parallel that failed, exits through its Catch: it stays "failed".
          const last = reading.step.attempts.at(-1);
          const failed = last ? last.outcome !== "succeeded" : reading.step.status === "failed";
          reading.step.status = failed ? "failed" : "done";
        }
      }
    } else {
      const reading =
        after.reading?.step.kind === "Task" && !after.reading.exited
          ? after.reading
          : readings.findLast((candidate) => candidate.step.kind === "Task" && !candidate.exited);
      if (reading) {
        place = { reading, branch: reading.step.branch };
        readAttemptEvent(type, reading, at, event);
      }
    }

    if (event.id !== undefined) {
      placeOf.set(event.id, place);
      eventOf.set(event.id, event);
    }
    previous = place;
    previousEvent = event;
  }

  for (const reading of readings) {
    const last = reading.step.attempts.at(-1);
    if (
      timeline.status === "running" &&
      !reading.exited &&
      (last?.outcome === "failed" || last?.outcome === "timed-out")
    ) {
      reading.step.retryPending = true;
      timeline.retries++;
    }
  }
  return timeline;

  function readGroupEvent(type: string, group: Reading, after: Place, at: number) {
    if (type.endsWith("StateStarted")) {
      if (group.starts > 0) {
        // Started again: a Retry of the Parallel (or Map), or a restart after the runtime stopped.
        if (readings.some((reading) => inside(reading, group) && reading.step.status === "failed")) {
          timeline.retries++;
        }
        abortRunning(group);
      }
      group.starts++;
      group.branchOrder = [];
    } else if (type.endsWith("StateFailed") || type === "MapIterationFailed") {
      // It links to the failing branch's (iteration's) last event: that state failed, its siblings were stopped.
      if (after.reading !== group) failedAt(after.reading, at);
      if (type.endsWith("StateFailed")) {
        group.step.status = "failed";
        abortRunning(group);
      }
    } else if (type.endsWith("StateAborted") || type === "MapIterationAborted") {
      abortRunning(group);
    }
  }

  function readAttemptEvent(type: string, reading: Reading, at: number, event: HistoryEventLike) {
    const step = reading.step;
    if (ATTEMPT_START.has(type)) {
      const attempt: Attempt = { number: step.attempts.length + 1, startedAt: at, outcome: "running" };
      if (reading.lastFailureAt !== undefined) {
        attempt.waitBeforeMs = at - reading.lastFailureAt;
        timeline.retries++;
      }
      step.attempts.push(attempt);
      step.status = "running";
      return;
    }
    const failedKey = ATTEMPT_FAILED[type];
    const timedOutKey = ATTEMPT_TIMED_OUT[type];
    if (failedKey || timedOutKey) {
      const details = event[(failedKey ?? timedOutKey) as keyof HistoryEventLike] as ErrorDetails | undefined;
      let attempt = step.attempts.at(-1);
      if (attempt?.outcome !== "running") {
        // Failed before it started (ScheduleFailed, StartFailed): an attempt all the same.
        attempt = { number: step.attempts.length + 1, startedAt: at, outcome: "running" };
        step.attempts.push(attempt);
      }
      attempt.endedAt = at;
      attempt.outcome = timedOutKey ? "timed-out" : "failed";
      attempt.error = details?.error ?? (timedOutKey ? "States.Timeout" : undefined);
      attempt.cause = unwrapCause(details?.cause);
      step.status = "failed";
      reading.lastFailureAt = at;
      return;
    }
    if (ATTEMPT_SUCCEEDED.has(type)) {
      const attempt = step.attempts.at(-1);
      if (attempt) {
        attempt.endedAt = at;
        attempt.outcome = "succeeded";
      }
    }
  }
}

/**
 * The branch a state entered after `after` runs in: a new branch of the Parallel (or iteration of
 * the Map) when it follows ParallelStateStarted (MapIterationStarted), else the branch of the event
 * it follows.
 */
function branchAfter(
  after: Place,
  afterEvent: HistoryEventLike | undefined,
  name: string,
  containers: Map<string, { state: string; kind: string; branch: number }> | undefined,
): StepBranch | undefined {
  const type = afterEvent?.type;
  const group = after.reading;
  const opensBranch =
    type === "ParallelStateStarted" ||
    type === "MapIterationStarted" ||
    // Histories written before ParallelStateStarted was recorded: the first branch follows the Entered event.
    (type === "ParallelStateEntered" && group?.step.kind === "Parallel");
  if (!opensBranch || !group) return after.branch;
  if (type === "MapIterationStarted") {
    const index = afterEvent?.mapIterationStartedEventDetails?.index ?? 0;
    return withOuter({ state: group.step.state, kind: "Map", index }, group.step.branch);
  }
  const declared = containers?.get(name);
  let index: number;
  if (declared && declared.state === group.step.state) index = declared.branch;
  else {
    const seen = group.branchOrder.indexOf(name);
    index = seen === -1 ? group.branchOrder.push(name) - 1 : seen;
  }
  return withOuter({ state: group.step.state, kind: "Parallel", index }, group.step.branch);
}

function withOuter(branch: StepBranch, outer: StepBranch | undefined): StepBranch {
  return outer ? { ...branch, outer } : branch;
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
  const marks: Record<TimelineStep["status"], string> = {
    done: "✓",
    failed: "✗",
    aborted: "⊘",
    running: "…",
  };
  for (const step of timeline.steps) {
    const where = step.branch ? `  (${branchLabel(step.branch)})` : "";
    lines.push(
      `  ${marks[step.status]} ${step.state.padEnd(18)} ${step.kind.padEnd(8)} ${step.status === "aborted" ? "stopped" : formatDuration(step.durationMs)}${where}`,
    );
    if (step.attempts.length > 1 || step.attempts.some((attempt) => attempt.outcome !== "succeeded")) {
      for (const attempt of step.attempts) {
        const wait =
          attempt.waitBeforeMs === undefined ? "" : ` after waiting ${formatDuration(attempt.waitBeforeMs)}`;
        const why = attempt.error ? `: ${attempt.error}${attempt.cause ? ` (${attempt.cause})` : ""}` : "";
        lines.push(`      attempt ${attempt.number}${wait} ${attempt.outcome}${why}`);
      }
    }
    if (step.retryPending) lines.push(`      attempt ${step.attempts.length + 1} waiting for its Retry`);
  }
  return lines;
}

import { LAMBDA_TIMEOUT_SECONDS } from "@leadrelay/functions/flow-spec";
import { type AslDefinition, type AslState, allStates } from "@leadrelay/functions/state-machine";
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import {
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStorage,
  ExecutionStore,
  type ExecutionSummary,
  FileExecutionStorage,
  summaryOf,
} from "./execution-store";
import { type EngineEvent, type EventDraft, type HistoryEvent, HistoryRecorder } from "./history";
import { TaskSlots, withTimeout } from "./task-slots";

/** An error the facade answers with its `name` as the AWS error type (`__type`). */
export class SfnApiError extends Error {
  constructor(
    override readonly name: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface LocalStepFunctionsOptions {
  /** The ASL with `${…}` ARN placeholders already substituted. */
  definition: AslDefinition;
  stateMachineName: string;
  region?: string;
  account?: string;
  /** Task state name → the handler that plays its Lambda. */
  handlers: Record<string, TaskHandler>;
  /** Task state name → the ARN shown in the history. */
  resources: Record<string, string>;
  /** When set, every Retry waits this long instead of its IntervalSeconds (tests, demos). */
  retryIntervalMs?: number;
  /** Task state name → its Lambda's timeout in seconds (default LAMBDA_TIMEOUT_SECONDS). */
  lambdaTimeouts?: Record<string, number>;
  /** Task Lambdas running at once (default 4). */
  taskConcurrency?: number;
  /** Slots shared with other engines (one Lambda concurrency limit for the whole runtime); `taskConcurrency` when absent. */
  slots?: TaskSlots;
  /**
   * Task state name → what lets its invocation start (the vendor gate): it runs before the Task
   * takes a slot, so a Task waiting for a vendor's budget holds none.
   */
  admissions?: Record<
    string,
    <T>(run: () => Promise<T>, inSlot: (work: () => Promise<T>) => Promise<T>) => Promise<T>
  >;
  /** Where the execution records are kept (the runtime's journal)… */
  executions?: ExecutionStorage;
  /** …or a folder with a JSON file per execution (tests). */
  executionsDir?: string;
  now?: () => number;
}

interface Running {
  abort: () => void;
  done: Promise<void>;
  results: Map<string, { value: unknown }>;
}

export type ExecutionListener = (record: ExecutionRecord, event: HistoryEvent) => void;

/**
 * What stays in memory of a finished execution once it is stored is its summary: enough to list
 * it. Its input, output and history are read from the store when asked, so memory follows what is
 * running.
 */
type Held = ExecutionRecord | ExecutionSummary;
const isFull = (record: Held): record is ExecutionRecord => "events" in record;

const NAME = /^[A-Za-z0-9_-]{1,80}$/;
/** How long intermediate history events may wait to be written (terminal ones are written at once). */
const PERSIST_DELAY_MS = 250;
/** The longest a Node timer can hold (2^31 ms ≈ 24.8 days), used where the engine needs "no timeout". */
const ENGINE_NO_TIMEOUT_SECONDS = 2_000_000;
const TERMINAL: ReadonlySet<string> = new Set([
  "ExecutionSucceeded",
  "ExecutionFailed",
  "ExecutionAborted",
  "ExecutionTimedOut",
]);

/**
 * Step Functions Standard semantics over aws-local-stepfunctions: named executions with
 * `ExecutionAlreadyExists`, persisted histories, resume after a restart, stop and redrive.
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  /** Running executions whole; finished ones as summaries (see `full`). */
  private readonly records = new Map<string, Held>();
  private readonly running = new Map<string, Running>();
  private readonly store: ExecutionStore;
  private readonly listeners = new Set<ExecutionListener>();
  private readonly now: () => number;
  private readonly arnPrefix: string;
  private closing = false;
  private readonly slots: TaskSlots;
  /** The definition the engine runs: Task timeouts are enforced by the wrapper (after the slot is had). */
  private readonly engineDefinition: AslDefinition;
  private readonly taskTimeouts: Record<string, number>;
  /** State name (nested ones too) → the top-level state it runs inside: where a resume or redrive restarts. */
  private readonly topLevel: Record<string, string>;

  constructor(private readonly options: LocalStepFunctionsOptions) {
    const region = options.region ?? "local";
    const account = options.account ?? "000000000000";
    this.stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${options.stateMachineName}`;
    this.arnPrefix = `arn:aws:states:${region}:${account}:execution:${options.stateMachineName}:`;
    const storage =
      options.executions ??
      (options.executionsDir ? new FileExecutionStorage(options.executionsDir) : undefined);
    if (!storage) throw new Error(`${options.stateMachineName}: no storage for its executions`);
    this.store = new ExecutionStore(storage);
    this.now = options.now ?? Date.now;
    this.slots = options.slots ?? new TaskSlots(options.taskConcurrency ?? 4);
    this.taskTimeouts = {};
    this.topLevel = {};
    for (const { name, state, topLevel } of allStates(options.definition)) {
      this.topLevel[name] = topLevel;
      if (state.Type === "Task") {
        this.taskTimeouts[name] =
          typeof state.TimeoutSeconds === "number" ? state.TimeoutSeconds : ENGINE_NO_TIMEOUT_SECONDS;
      }
    }
    this.engineDefinition = withoutTaskTimeouts(options.definition);
    // Validate once, fully; runs skip validation.
    new StateMachine(options.definition as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false, checkPaths: true },
    });
  }

  get definition(): AslDefinition {
    return this.options.definition;
  }

  /**
   * Loads the stored executions' summaries and resumes those that were RUNNING where they stopped:
   * only a running execution's whole record (its history) is read.
   */
  resumeAll(): { loaded: number; resumed: number } {
    const records = this.store.storage.summaries();
    let resumed = 0;
    for (const summary of records) {
      if (summary.status !== "RUNNING") {
        this.records.set(summary.name, summaryOf(summary));
        continue;
      }
      const record = this.store.load(summary.name);
      if (!record) {
        process.stderr.write(`leadrelay: execution ${summary.name} is unreadable, not resumed\n`);
        this.records.set(summary.name, summaryOf(summary));
        continue;
      }
      this.records.set(record.name, record);
      const point = resumePoint(record, this.options.definition, "running", this.topLevel);
      if (!point) continue;
      // Continue inside the state it was in: its StateEntered is already in the history.
      this.launch(record, point, false, point.inside);
      resumed++;
    }
    this.byStart.push(...records.map((record) => record.name));
    this.byStart.sort((a, b) => this.compareStart(a, b));
    return { loaded: records.length, resumed };
  }

  onEvent(listener: ExecutionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  arnOf(name: string): string {
    return `${this.arnPrefix}${name}`;
  }

  ownsExecution(executionArn: string): boolean {
    return executionArn.startsWith(this.arnPrefix);
  }

  private byArn(executionArn: unknown): ExecutionRecord {
    if (typeof executionArn !== "string" || !executionArn.startsWith(this.arnPrefix)) {
      throw new SfnApiError("ExecutionDoesNotExist", `Execution does not exist: '${String(executionArn)}'`);
    }
    const record = this.records.get(executionArn.slice(this.arnPrefix.length));
    if (!record)
      throw new SfnApiError("ExecutionDoesNotExist", `Execution does not exist: '${executionArn}'`);
    return this.full(record);
  }

  /** The whole record: in memory while running, read from the store once finished. */
  private full(record: Held): ExecutionRecord {
    if (isFull(record)) return record;
    const stored = this.store.load(record.name);
    if (!stored) throw new SfnApiError("InternalFailure", `Execution ${record.name} is unreadable`, 500);
    return stored;
  }

  /** Once its final state is on disk, a finished execution keeps only its summary in memory. */
  private async release(record: ExecutionRecord): Promise<void> {
    await this.store.save(record);
    if (record.status !== "RUNNING" && this.records.get(record.name) === record)
      this.records.set(record.name, summaryOf(record));
  }

  private checkStateMachine(arn: unknown) {
    if (arn !== this.stateMachineArn) {
      throw new SfnApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${String(arn)}'`);
    }
  }

  async startExecution(request: { stateMachineArn?: string; name?: string; input?: string }) {
    this.checkStateMachine(request.stateMachineArn);
    const name = request.name ?? crypto.randomUUID();
    if (!NAME.test(name)) throw new SfnApiError("InvalidName", `Invalid Name: '${name}'`);
    const input = request.input ?? "{}";
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnApiError("InvalidExecutionInput", "Invalid State Machine Execution Input: not JSON");
    }
    const existing = this.records.get(name);
    if (existing) {
      // Step Functions: same name and input while RUNNING is idempotent; anything else is a conflict.
      if (isFull(existing) && existing.status === "RUNNING" && existing.input === input) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
      throw new SfnApiError("ExecutionAlreadyExists", `Execution Already Exists: '${this.arnOf(name)}'`);
    }
    const record: ExecutionRecord = {
      executionArn: this.arnOf(name),
      stateMachineArn: this.stateMachineArn,
      name,
      status: "RUNNING",
      startDate: this.now(),
      input,
      redriveCount: 0,
      events: [],
    };
    this.records.set(name, record);
    this.index(name);
    this.launch(
      record,
      { state: this.options.definition.StartAt, input: parsed, enteredAt: record.startDate },
      true,
    );
    // Durable before we answer: a lead acknowledged to Close must survive a crash.
    await this.store.save(record);
    return { executionArn: record.executionArn, startDate: record.startDate };
  }

  describeExecution(request: { executionArn?: string }) {
    const record = this.byArn(request.executionArn);
    const { events: _events, ...rest } = record;
    return {
      ...rest,
      redriveStatus:
        record.status === "RUNNING" || record.status === "SUCCEEDED" ? "NOT_REDRIVABLE" : "REDRIVABLE",
    };
  }

  listExecutions(request: {
    stateMachineArn?: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }) {
    this.checkStateMachine(request.stateMachineArn);
    const max = Math.min(Math.max(request.maxResults || 100, 1), 1000);
    // Newest first: walk the start index from its end, from just past the token's execution.
    let at = this.byStart.length - 1;
    if (request.nextToken) {
      const [date, ...nameParts] = Buffer.from(request.nextToken, "base64url").toString().split(":");
      at = this.positionOf({ startDate: Number(date), name: nameParts.join(":") }) - 1;
    }
    const page: Held[] = [];
    let more = false;
    for (; at >= 0; at--) {
      const record = this.records.get(this.byStart[at] as string);
      if (!record || (request.statusFilter && record.status !== request.statusFilter)) continue;
      if (page.length === max) {
        more = true;
        break;
      }
      page.push(record);
    }
    const last = page.at(-1);
    return {
      executions: page.map((record) => ({
        executionArn: this.arnOf(record.name),
        stateMachineArn: this.stateMachineArn,
        name: record.name,
        status: record.status,
        startDate: record.startDate,
        stopDate: record.stopDate,
        redriveCount: record.redriveCount,
      })),
      nextToken:
        more && last ? Buffer.from(`${last.startDate}:${last.name}`).toString("base64url") : undefined,
    };
  }

  /**
   * Execution names oldest first (start date, then name descending): ListExecutions' order read
   * backwards, so a new start is an append and a page is a walk, not a sort of every execution.
   */
  private readonly byStart: string[] = [];

  private compareStart(a: string, b: string): number {
    const left = this.records.get(a);
    const right = this.records.get(b);
    return compareKeys(
      { startDate: left?.startDate ?? 0, name: a },
      { startDate: right?.startDate ?? 0, name: b },
    );
  }

  /** The index of the first entry that does not sort before `key`. */
  private positionOf(key: { startDate: number; name: string }): number {
    let low = 0;
    let high = this.byStart.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const name = this.byStart[middle] as string;
      const entry = { startDate: this.records.get(name)?.startDate ?? 0, name };
      if (compareKeys(entry, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private index(name: string) {
    const last = this.byStart.at(-1);
    if (last === undefined || this.compareStart(last, name) < 0) this.byStart.push(name);
    else
      this.byStart.splice(
        this.positionOf({ startDate: this.records.get(name)?.startDate ?? 0, name }),
        0,
        name,
      );
  }

  getExecutionHistory(request: {
    executionArn?: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
  }) {
    const record = this.byArn(request.executionArn);
    const max = Math.min(Math.max(request.maxResults || 1000, 1), 1000);
    const events = request.reverseOrder ? [...record.events].reverse() : record.events;
    const from = request.nextToken ? Number(Buffer.from(request.nextToken, "base64url").toString()) : 0;
    const page = events.slice(from, from + max);
    return {
      events: page,
      nextToken:
        from + max < events.length ? Buffer.from(String(from + max)).toString("base64url") : undefined,
    };
  }

  async stopExecution(request: { executionArn?: string; error?: string; cause?: string }) {
    const record = this.byArn(request.executionArn);
    if (record.status !== "RUNNING") {
      throw new SfnApiError("ExecutionNotRunning", `Execution is not running: '${record.executionArn}'`);
    }
    const run = this.running.get(record.name);
    this.running.delete(record.name);
    run?.abort();
    const at = this.now();
    this.append(record, {
      timestamp: at,
      type: "ExecutionAborted",
      executionAbortedEventDetails: { error: request.error, cause: request.cause },
    });
    Object.assign(record, { status: "ABORTED", stopDate: at, error: request.error, cause: request.cause });
    await this.release(record);
    return { stopDate: at };
  }

  /** Continues a FAILED/ABORTED/TIMED_OUT execution from the Task that failed, with that Task's input. */
  async redriveExecution(request: { executionArn?: string }) {
    const record = this.byArn(request.executionArn);
    if (record.status === "RUNNING" || record.status === "SUCCEEDED") {
      throw new SfnApiError(
        "ExecutionNotRedrivable",
        `Execution is ${record.status}: '${record.executionArn}'`,
      );
    }
    const point = resumePoint(record, this.options.definition, "failed", this.topLevel);
    if (!point) throw new SfnApiError("ExecutionNotRedrivable", "Execution never entered a state");
    this.records.set(record.name, record);
    const at = this.now();
    record.redriveCount += 1;
    Object.assign(record, { status: "RUNNING", redriveDate: at });
    delete record.stopDate;
    delete record.error;
    delete record.cause;
    delete record.output;
    this.append(record, {
      timestamp: at,
      type: "ExecutionRedriven",
      executionRedrivenEventDetails: { redriveCount: record.redriveCount },
    });
    this.launch(record, { ...point, enteredAt: at }, false);
    await this.store.save(record);
    return { redriveDate: at };
  }

  /** Resolves when the named execution is no longer RUNNING (tests, demo). */
  async settled(name: string): Promise<ExecutionRecord | undefined> {
    for (;;) {
      const run = this.running.get(name);
      if (!run) {
        const record = this.records.get(name);
        return record && this.full(record);
      }
      await run.done;
    }
  }

  runningCount(): number {
    return this.running.size;
  }

  /** The records of the executions that are running (in memory whole). */
  runningRecords(): ExecutionRecord[] {
    return [...this.running.keys()]
      .map((name) => this.records.get(name))
      .filter((record): record is ExecutionRecord => record !== undefined && isFull(record));
  }

  /**
   * Retention: removes every finished execution that stopped before `before` (epoch ms) from the
   * index and from storage; a running one is never touched. Answers how many went.
   */
  async expireFinished(before: number): Promise<number> {
    const gone: string[] = [];
    for (const [name, record] of this.records) {
      if (record.status === "RUNNING" || this.running.has(name)) continue;
      if ((record.stopDate ?? record.startDate) >= before) continue;
      gone.push(name);
    }
    if (gone.length === 0) return 0;
    for (const name of gone) this.records.delete(name);
    const left = this.byStart.filter((name) => this.records.has(name));
    this.byStart.length = 0;
    this.byStart.push(...left);
    await Promise.all(gone.map((name) => this.store.storage.remove(name)));
    return gone.length;
  }

  /** Stops the engine without touching what is persisted: RUNNING executions resume on the next start. */
  async close(): Promise<void> {
    this.closing = true;
    for (const run of this.running.values()) run.abort();
    await Promise.allSettled([...this.running.values()].map((run) => run.done));
    this.running.clear();
    await this.store.flush();
  }

  /** Appends an event linked to `previousEventId` (by default the event before it); answers its id. */
  private append(record: ExecutionRecord, draft: EventDraft, previousEventId?: number): number {
    const last = record.events.at(-1)?.id ?? 0;
    const event = { ...draft, id: last + 1, previousEventId: previousEventId ?? last } as HistoryEvent;
    record.events.push(event);
    for (const listener of this.listeners) listener(record, event);
    return event.id;
  }

  private launch(record: ExecutionRecord, point: ResumePoint, fresh: boolean, inside = false) {
    const machine = new StateMachine(
      { ...this.engineDefinition, StartAt: point.state } as unknown as StateMachineDefinition,
      {
        validationOptions: { noValidate: true },
      },
    );
    const results = new Map<string, { value: unknown }>();
    // The engine calls a Task's handler in the same tick as it logs StateEntered/StateRetried, so the
    // input is here before those events are read.
    const invocations = new Map<string, { value: unknown }>();
    /** This run's abort, once it runs: a Task admitted after its execution stopped is not invoked. */
    let thisRun: (() => void) | undefined;
    const handlers = Object.fromEntries(
      Object.entries(this.options.handlers).map(([state, handler]) => [
        state,
        async (input: unknown) => {
          invocations.set(state, { value: input });
          try {
            const run = () =>
              // Stopped while it waited for its budget: like a late task token, it is dropped unsent.
              this.closing || (thisRun !== undefined && this.running.get(record.name)?.abort !== thisRun)
                ? Promise.reject(new Error(`${record.name} stopped while ${state} waited`))
                : withTimeout(handler(input), {
                    taskSeconds: this.taskTimeouts[state] ?? ENGINE_NO_TIMEOUT_SECONDS,
                    lambdaSeconds: this.options.lambdaTimeouts?.[state] ?? LAMBDA_TIMEOUT_SECONDS,
                  });
            const inSlot = <T>(work: () => Promise<T>) => this.slots.run(work);
            const admit = this.options.admissions?.[state];
            const value = await (admit ? admit(run, inSlot) : inSlot(run));
            results.set(state, { value });
            return value as never;
          } catch (error) {
            results.delete(state);
            throw asLambdaError(error);
          }
        },
      ]),
    );
    // A Wait resumed after a restart holds only what is left of it.
    const resumedWait = this.options.definition.States[point.state];
    const remainingWait =
      resumedWait?.Type === "Wait" && typeof resumedWait.Seconds === "number"
        ? { [point.state]: Math.max(0, point.enteredAt + resumedWait.Seconds * 1000 - this.now()) }
        : {};
    const retry =
      this.options.retryIntervalMs === undefined
        ? undefined
        : Object.fromEntries(
            Object.keys(this.options.handlers).map((state) => [state, this.options.retryIntervalMs ?? 0]),
          );
    const execution = machine.run(point.input as never, {
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: remainingWait,
        ...(retry ? { retryIntervalOverrides: retry } : {}),
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          StartTime: new Date(record.startDate).toISOString(),
        },
        // `$$.Task.Token` of a callback Task (one waiting for its vendor budget): the local gate
        // answers the Task itself, so the token only has to resolve.
        Task: { Token: `local:${record.executionArn}` },
      },
    });
    thisRun = execution.abort;
    const context = {
      resources: this.options.resources,
      region: this.options.region ?? "local",
      takeResult: (state: string) => takeOnce(results, state),
      takeInvocationInput: (state: string) => takeOnce(invocations, state),
    };
    let skipStart = !fresh;
    let skipEntered = inside;
    // A new execution's first state links to 0 (as on AWS); a redriven or resumed one continues from its last event.
    const recorder = new HistoryRecorder(
      this.options.definition,
      context,
      (draft, previousEventId) => {
        if (skipEntered && draft.type.endsWith("StateEntered")) {
          // Resumed inside this state: its StateEntered is already in the history.
          skipEntered = false;
          return record.events.at(-1)?.id ?? 0;
        }
        return this.append(record, draft, previousEventId);
      },
      fresh ? 0 : (record.events.at(-1)?.id ?? 0),
    );
    const done = (async () => {
      for await (const event of execution.eventLogs) {
        if (this.closing || this.running.get(record.name)?.abort !== execution.abort) break;
        if (event.type === "ExecutionStarted" && skipStart) {
          skipStart = false;
          continue;
        }
        recorder.record(event as EngineEvent);
        if (TERMINAL.has(event.type)) {
          this.finish(record, event as never);
          void this.release(record);
        } else this.store.saveSoon(record, PERSIST_DELAY_MS);
      }
      await execution.result.catch(() => undefined);
    })().finally(() => {
      if (this.running.get(record.name)?.abort === execution.abort) this.running.delete(record.name);
    });
    this.running.set(record.name, { abort: execution.abort, done, results });
  }

  private finish(
    record: ExecutionRecord,
    event: { type: string; timestamp: number; output?: unknown; Error?: string; Cause?: unknown },
  ) {
    const status: Record<string, ExecutionStatus> = {
      ExecutionSucceeded: "SUCCEEDED",
      ExecutionFailed: "FAILED",
      ExecutionAborted: "ABORTED",
      ExecutionTimeout: "TIMED_OUT",
    };
    record.status = status[event.type] ?? "FAILED";
    record.stopDate = event.timestamp;
    if (event.type === "ExecutionSucceeded") record.output = JSON.stringify(event.output ?? null);
    if (event.type === "ExecutionFailed") {
      record.error = event.Error;
      record.cause = typeof event.Cause === "string" ? event.Cause : JSON.stringify(event.Cause ?? "");
    }
  }
}

/** Oldest first; one start date: names descending (ListExecutions lists names ascending within a date). */
function compareKeys(a: { startDate: number; name: string }, b: { startDate: number; name: string }): number {
  return a.startDate - b.startDate || (a.name > b.name ? -1 : a.name < b.name ? 1 : 0);
}

function takeOnce(results: Map<string, { value: unknown }>, state: string) {
  const result = results.get(state);
  results.delete(state);
  return result;
}

/** What a Lambda failure looks like to Step Functions: the error type, and a JSON Cause. */
function asLambdaError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : "Error";
  const errorMessage = error instanceof Error ? error.message : String(error);
  const lambdaError = new Error(JSON.stringify({ errorType, errorMessage }));
  lambdaError.name = errorType;
  return lambdaError;
}

export interface ResumePoint {
  state: string;
  input: unknown;
  /** When the state was entered (for a Wait: the hold is counted from here). */
  enteredAt: number;
  /** The history already shows the state as entered (continue inside it). */
  inside?: boolean;
}

/**
 * Where to continue an execution from its history: for a RUNNING one, the state it was in; for a
 * failed one, the Task whose failure ended it (not the Fail state its Catch led to). A state nested
 * in a Parallel or Map restarts its top-level state from that state's input (the branches' Tasks
 * are idempotent: markers and vendor idempotency keys keep their side effects at most once).
 */
export function resumePoint(
  record: Pick<ExecutionRecord, "events" | "input" | "startDate">,
  definition: AslDefinition,
  mode: "running" | "failed",
  topLevel: Record<string, string> = {},
): ResumePoint | undefined {
  const { events } = record;
  const entered = (event: HistoryEvent) => event.type.endsWith("StateEntered");
  const detailsOf = (event: HistoryEvent) =>
    (event.stateEnteredEventDetails ?? event.stateExitedEventDetails) as {
      name: string;
      input?: string;
      output?: string;
    };
  /** The top-level state around `name`, restarted from its own entry. */
  const enclosing = (name: string, before: number): ResumePoint | undefined => {
    const top = topLevel[name] ?? name;
    const entry = events
      .slice(0, before)
      .findLast((event) => entered(event) && detailsOf(event).name === top);
    if (!entry) return undefined;
    return { state: top, input: JSON.parse(detailsOf(entry).input ?? "{}"), enteredAt: entry.timestamp };
  };
  if (mode === "failed") {
    const lastFailure = events.findLastIndex(
      (event) =>
        event.type === "LambdaFunctionFailed" ||
        event.type === "LambdaFunctionTimedOut" ||
        event.type === "TaskFailed" ||
        event.type === "TaskTimedOut",
    );
    if (lastFailure !== -1) {
      const task = events.slice(0, lastFailure).findLast((event) => event.type === "TaskStateEntered");
      if (task) return enclosing(detailsOf(task).name, lastFailure);
    }
  }
  const lastIndex = events.findLastIndex((event) => entered(event) || event.type.endsWith("StateExited"));
  const last = events[lastIndex];
  if (!last) {
    // Stopped before its first state was written: start from the top, a Wait counted from the start.
    return { state: definition.StartAt, input: JSON.parse(record.input), enteredAt: record.startDate };
  }
  const details = detailsOf(last);
  const top = topLevel[details.name] ?? details.name;
  if (top !== details.name) {
    // Inside a Parallel or Map: the top-level state is still running.
    const point = enclosing(details.name, lastIndex + 1);
    return point && { ...point, inside: true };
  }
  if (entered(last)) {
    return {
      state: details.name,
      input: JSON.parse(details.input ?? "{}"),
      enteredAt: last.timestamp,
      inside: true,
    };
  }
  const next = definition.States[details.name]?.Next;
  return next
    ? { state: next, input: JSON.parse(details.output ?? "{}"), enteredAt: last.timestamp }
    : undefined;
}

/** The definition the engine runs: Task timeouts are enforced by the wrapper (after the slot is had). */
function withoutTaskTimeouts<T extends { States: Record<string, AslState> }>(branch: T): T {
  const states: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(branch.States)) {
    const copy: AslState = { ...state };
    if (state.Type === "Task") copy.TimeoutSeconds = ENGINE_NO_TIMEOUT_SECONDS;
    if (state.Branches) copy.Branches = state.Branches.map((nested) => withoutTaskTimeouts(nested));
    const processor = (state.ItemProcessor ?? state.Iterator) as
      | { States?: Record<string, AslState> }
      | undefined;
    if (processor?.States) {
      const key = state.ItemProcessor ? "ItemProcessor" : "Iterator";
      copy[key] = withoutTaskTimeouts(processor as { States: Record<string, AslState> });
    }
    states[name] = copy;
  }
  return { ...branch, States: states };
}

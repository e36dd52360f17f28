import { createHash, randomUUID } from "node:crypto";
import {
  type AslShape,
  type AslStateShape,
  containersAround,
  containersOf,
  type StateContainer,
  statesByName,
} from "@leadrelay/core";

/**
 * Execution history in the shape of Step Functions' GetExecutionHistory, built from the local
 * engine's event log, so the CLI and the console read local and AWS histories with one code path.
 *
 * What Step Functions records, and how it links events (`previousEventId`), comes from:
 * - "HistoryEvent", AWS Step Functions API Reference
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 *   the event types (ParallelStateEntered/Started/Succeeded/Failed/Exited, MapStateStarted with
 *   `mapStateStartedEventDetails.length`, MapIterationStarted/Succeeded/Failed with
 *   `{name, index}`), `previousEventId` = "the id of the previous event".
 * - Histories recorded on AWS for LocalStack's parity tests (localstack/localstack,
 *   tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json:
 *   test_parallel_state_fail/_catch/_retry, test_map_state, test_map_state_catch/_retry; and
 *   v2/error_handling/test_task_lambda.snapshot.json): the first state links to 0, not to
 *   ExecutionStarted; each branch's first event links to ParallelStateStarted and each later
 *   event to the previous event of its own branch; ParallelStateSucceeded and ParallelStateExited
 *   link to the last event of the branches; ParallelStateFailed links to the failing branch's last
 *   event and is followed by ParallelStateExited (caught) or ExecutionFailed; a retried Parallel
 *   shows a new ParallelStateStarted linked to the failing branch, with no ParallelStateFailed;
 *   MapIterationStarted links to MapStateStarted, later ones to the last event of the iteration
 *   before; MapIterationSucceeded/Failed link to their iteration's last event.
 * - A Task whose Resource is a service integration (`arn:aws:states:::<service>:<action>`, here
 *   the `sqs:sendMessage.waitForTaskToken` a Task waiting for its vendor budget becomes) is
 *   recorded with Task* events, not Lambda* ones: TaskScheduled `{resourceType, resource, region,
 *   parameters, timeoutInSeconds?, heartbeatInSeconds?}`, TaskStarted, TaskSubmitted (the
 *   service's answer, for `.waitForTaskToken` and `.sync`), then TaskSucceeded `{output}`,
 *   TaskFailed `{error, cause}` or TaskTimedOut `{error: "States.Timeout"}`, each with
 *   `{resourceType, resource}`, and a retry as a new TaskScheduled ("HistoryEvent" and
 *   "TaskScheduledEventDetails", AWS Step Functions API Reference; LocalStack's AWS-recorded
 *   tests/aws/services/stepfunctions/v2/callback/test_callback.snapshot.json:
 *   test_sqs_wait_for_task_token, _timeout, test_sqs_failure_in_wait_for_task_token).
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** epoch milliseconds */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** An event before it gets its id (Omit would lose the known keys to the index signature). */
export interface EventDraft {
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** An event of aws-local-stepfunctions' `eventLogs` (docs/execution-event-logs.md of that package). */
export interface EngineEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  output?: unknown;
  input?: unknown;
  /** Map: the iteration an event comes from (overwritten by every enclosing Map on the way up). */
  index?: number;
  /** ParallelBranch* and MapIteration* events: the Parallel or Map state. */
  parentState?: { name: string; type: string };
}

export interface HistoryContext {
  /** Task state name → the Lambda ARN it invokes. */
  resources: Record<string, string>;
  /** The region a service integration's TaskScheduled names. */
  region?: string;
  /** The raw result of the Task's last successful invocation (before ResultPath), if it succeeded. */
  takeResult(stateName: string): { value: unknown } | undefined;
  /** What the Lambda was invoked with (after Parameters), if the invocation has started. */
  takeInvocationInput(stateName: string): { value: unknown } | undefined;
}

/** Appends one event linked to `previousEventId`; answers its id. */
export type AppendEvent = (draft: EventDraft, previousEventId: number) => number;

const TOP = "";

/** A Parallel or Map state while it runs. */
interface Group {
  kind: "Parallel" | "Map";
  /** The chain the state itself is in. */
  chain: string;
  started: number;
  lastIterationSucceeded?: number;
  /** The chain of the child state that failed last (a Parallel's failing branch). */
  lastFailedChain?: string;
  /** The failing branch's (or iteration's) last event. */
  failingTail?: number;
  /** Failed, not yet known whether it is retried (a new Started) or not (a Failed event). */
  pending?: { timestamp: number };
  failedId?: number;
}

/** A Task calling an AWS service through Step Functions: `arn:aws:states:::sqs:sendMessage.waitForTaskToken`. */
interface Integration {
  resourceType: string;
  resource: string;
  /** `.waitForTaskToken` and `.sync` answer later: the service's answer is a TaskSubmitted event. */
  waits: boolean;
  timeoutInSeconds?: number;
  heartbeatInSeconds?: number;
}

function integrationOf(state: AslStateShape | undefined): Integration | undefined {
  const task = state as
    | (AslStateShape & { Resource?: unknown; TimeoutSeconds?: unknown; HeartbeatSeconds?: unknown })
    | undefined;
  if (task?.Type !== "Task" || typeof task.Resource !== "string") return undefined;
  const match = /^arn:[^:]+:states:::([^:]+):(.+)$/.exec(task.Resource);
  if (!match) return undefined;
  const [, resourceType = "", resource = ""] = match;
  const integration: Integration = {
    resourceType,
    resource,
    waits: /\.(waitForTaskToken|sync(:2)?)$/.test(resource),
  };
  if (typeof task.TimeoutSeconds === "number") integration.timeoutInSeconds = task.TimeoutSeconds;
  if (typeof task.HeartbeatSeconds === "number") integration.heartbeatInSeconds = task.HeartbeatSeconds;
  return integration;
}

/**
 * What the service answered when the Task's request was submitted. For SQS SendMessage: the
 * message's id and its body's MD5, as SQS answers (the local runtime has no queue: the id is new).
 */
function submittedOutput(integration: Integration, parameters: unknown): string {
  if (integration.resourceType !== "sqs") return "{}";
  const body = (parameters as { MessageBody?: unknown } | undefined)?.MessageBody;
  return JSON.stringify({
    MD5OfMessageBody: createHash("md5").update(text(body)).digest("hex"),
    MessageId: randomUUID(),
    SdkHttpMetadata: { HttpStatusCode: 200 },
  });
}

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null));

function causeText(cause: unknown): string {
  if (typeof cause === "string") return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause ?? "");
}

/**
 * Turns the engine's events into AWS-shaped events, each linked to the previous event of its own
 * branch. aws-local-stepfunctions forwards the events of Parallel branches without saying which
 * branch they come from; state names are unique in a whole state machine, so the definition says
 * it. Map iterations are told apart by the `index` the engine adds, which only the outermost Map's
 * iterations keep (an enclosing Map overwrites it): iterations of a Map inside a Map share one chain.
 */
export class HistoryRecorder {
  private readonly containers: Map<string, StateContainer>;
  private readonly states: Map<string, AslStateShape>;
  /** Chain (top, `Parallel[branch]`, `Map(index)`) → the last event in it. */
  private readonly tails = new Map<string, number>();
  /** Chain → the Parallel or Map state it belongs to. */
  private readonly chainGroup = new Map<string, string>();
  private readonly groups = new Map<string, Group>();

  /**
   * @param start what the run's first state links to: 0 for a new execution (as on AWS), the
   *   last event for a redriven or resumed one.
   */
  constructor(
    definition: AslShape,
    private readonly context: HistoryContext,
    private readonly append: AppendEvent,
    start: number,
  ) {
    this.containers = containersOf(definition);
    this.states = statesByName(definition);
    this.tails.set(TOP, start);
  }

  record(event: EngineEvent): void {
    const at = event.timestamp;
    const state = event.state;
    switch (event.type) {
      case "ExecutionStarted":
        this.append(
          {
            timestamp: at,
            type: "ExecutionStarted",
            executionStartedEventDetails: { input: text(event.input) },
          },
          0,
        );
        return;
      case "StateEntered":
        if (state) this.entered(state, at, this.chainOf(state.name, event.index));
        return;
      case "StateFailed":
        if (state) this.failed(state, event, this.chainOf(state.name, event.index));
        return;
      case "StateRetried":
        if (state) this.retried(state, at, this.chainOf(state.name, event.index));
        return;
      case "StateCaught":
        if (state) this.flush(state.name);
        return;
      case "StateExited":
        if (state) this.exited(state, at, this.chainOf(state.name, event.index));
        return;
      case "ParallelBranchFailed":
        if (event.parentState) this.flushInside(event.parentState.name);
        return;
      case "MapIterationStarted":
      case "MapIterationSucceeded":
      case "MapIterationFailed":
        if (event.parentState) this.iteration(event.type, event.parentState.name, event.index, at);
        return;
      case "ExecutionSucceeded":
        this.link(TOP, {
          timestamp: at,
          type: "ExecutionSucceeded",
          executionSucceededEventDetails: { output: text(event.output) },
        });
        return;
      case "ExecutionFailed":
        this.flushAll();
        this.link(TOP, {
          timestamp: at,
          type: "ExecutionFailed",
          executionFailedEventDetails: {
            error: event.Error ?? "States.Runtime",
            cause: causeText(event.Cause),
          },
        });
        return;
      case "ExecutionAborted":
        this.link(TOP, { timestamp: at, type: "ExecutionAborted", executionAbortedEventDetails: {} });
        return;
      case "ExecutionTimeout":
        this.flushAll();
        this.link(TOP, { timestamp: at, type: "ExecutionTimedOut", executionTimedOutEventDetails: {} });
        return;
      default:
        // ParallelBranchStarted/Succeeded: Step Functions records nothing of its own for them.
        return;
    }
  }

  private entered(state: NonNullable<EngineEvent["state"]>, at: number, chain: string) {
    const entered = this.link(chain, {
      timestamp: at,
      type: `${state.type}StateEntered`,
      stateEnteredEventDetails: { name: state.name, input: text(state.input) },
    });
    if (state.type === "Task") this.taskStart(at, state, chain);
    else if (state.type === "Parallel" || state.type === "Map") {
      this.start(state.type, state.name, chain, entered, at, state.input);
    }
  }

  /** ParallelStateStarted / MapStateStarted: a new set of branches (or iterations), also on a retry. */
  private start(
    kind: "Parallel" | "Map",
    name: string,
    chain: string,
    from: number,
    at: number,
    input: unknown,
  ) {
    for (const [key, group] of this.chainGroup) if (group === name) this.tails.delete(key);
    const length = kind === "Map" ? itemCount(this.states.get(name), input) : undefined;
    const draft: EventDraft = { timestamp: at, type: `${kind}StateStarted` };
    if (length !== undefined) draft.mapStateStartedEventDetails = { length };
    const started = this.append(draft, from);
    this.tails.set(chain, started);
    this.groups.set(name, { kind, chain, started });
  }

  private failed(state: NonNullable<EngineEvent["state"]>, event: EngineEvent, chain: string) {
    const container = this.containers.get(state.name);
    const parent = container && this.groups.get(container.state);
    if (parent) parent.lastFailedChain = chain;
    if (state.type === "Task") {
      const error = event.Error ?? "States.TaskFailed";
      const timedOut = error === "States.Timeout";
      const integration = integrationOf(this.states.get(state.name));
      if (integration) {
        const { resourceType, resource } = integration;
        this.link(chain, {
          timestamp: event.timestamp,
          type: timedOut ? "TaskTimedOut" : "TaskFailed",
          [timedOut ? "taskTimedOutEventDetails" : "taskFailedEventDetails"]: {
            resourceType,
            resource,
            error,
            cause: causeText(event.Cause),
          },
        });
        return;
      }
      this.link(chain, {
        timestamp: event.timestamp,
        type: timedOut ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed",
        [timedOut ? "lambdaFunctionTimedOutEventDetails" : "lambdaFunctionFailedEventDetails"]: {
          error,
          cause: causeText(event.Cause),
        },
      });
      return;
    }
    const group = this.groups.get(state.name);
    if (!group) return;
    group.pending = { timestamp: event.timestamp };
    if (group.kind === "Parallel") {
      group.failingTail =
        (group.lastFailedChain && this.tails.get(group.lastFailedChain)) ||
        this.lastOfBranches(state.name, group);
    }
  }

  private retried(state: NonNullable<EngineEvent["state"]>, at: number, chain: string) {
    if (state.type === "Task") {
      // AWS shows a retry as the next LambdaFunctionScheduled (TaskScheduled) after a failure.
      this.taskStart(at, state, chain);
      return;
    }
    const group = this.groups.get(state.name);
    if (state.type !== "Parallel" && state.type !== "Map") return;
    this.start(state.type, state.name, chain, group?.failingTail ?? this.tail(chain), at, state.input);
  }

  private exited(state: NonNullable<EngineEvent["state"]>, at: number, chain: string) {
    const exited: EventDraft = {
      timestamp: at,
      type: `${state.type}StateExited`,
      stateExitedEventDetails: { name: state.name, output: text(state.output) },
    };
    const group = this.groups.get(state.name);
    if (group && (state.type === "Parallel" || state.type === "Map")) {
      this.groups.delete(state.name);
      if (group.failedId !== undefined) {
        this.tails.set(chain, this.append(exited, group.failedId));
        return;
      }
      const last =
        group.kind === "Parallel"
          ? this.lastOfBranches(state.name, group)
          : (group.lastIterationSucceeded ?? group.started);
      this.append({ timestamp: at, type: `${group.kind}StateSucceeded` }, last);
      this.tails.set(chain, this.append(exited, last));
      return;
    }
    const result = state.type === "Task" ? this.context.takeResult(state.name) : undefined;
    if (result) {
      const integration = integrationOf(this.states.get(state.name));
      this.link(
        chain,
        integration
          ? {
              timestamp: at,
              type: "TaskSucceeded",
              taskSucceededEventDetails: {
                resourceType: integration.resourceType,
                resource: integration.resource,
                output: text(result.value),
              },
            }
          : {
              timestamp: at,
              type: "LambdaFunctionSucceeded",
              lambdaFunctionSucceededEventDetails: { output: text(result.value) },
            },
      );
    }
    this.link(chain, exited);
  }

  private iteration(type: string, map: string, index: number | undefined, at: number) {
    const chain = this.iterationChain(map, index);
    const group = this.groups.get(map);
    const details = { name: map, index: index ?? 0 };
    const key = `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
    if (type === "MapIterationStarted") {
      // After the iteration before it (the engine may report that one's end after this start).
      const from = group ? this.lastOfBranches(map, group) : this.tail(chain);
      this.tails.set(chain, this.append({ timestamp: at, type, [key]: details }, from));
      return;
    }
    if (type === "MapIterationFailed") this.flushInside(map);
    const last = this.tail(chain);
    const id = this.append({ timestamp: at, type, [key]: details }, last);
    if (type === "MapIterationSucceeded" && group) group.lastIterationSucceeded = id;
    else if (group) group.failingTail = last;
  }

  /** The failure of a Parallel or Map that is not retried: its Failed event. */
  private flush(name: string) {
    const group = this.groups.get(name);
    if (!group?.pending) return;
    const id = this.append(
      { timestamp: group.pending.timestamp, type: `${group.kind}StateFailed` },
      group.failingTail ?? this.tail(group.chain),
    );
    group.pending = undefined;
    group.failedId = id;
    this.tails.set(group.chain, id);
  }

  /** A branch (or iteration) of `container` failed: the Parallel and Map states that failed in it are not retried. */
  private flushInside(container: string) {
    for (const [name, group] of this.groups) {
      if (
        group.pending &&
        containersAround(this.containers, name).some((outer) => outer.state === container)
      ) {
        this.flush(name);
      }
    }
  }

  private flushAll() {
    for (const name of this.groups.keys()) this.flush(name);
  }

  /** A Task's attempt begins: Lambda* events for a Lambda ARN, Task* events for a service integration. */
  private taskStart(at: number, state: { name: string; input?: unknown }, chain: string) {
    const input = (this.context.takeInvocationInput(state.name) ?? { value: state.input }).value;
    const integration = integrationOf(this.states.get(state.name));
    if (integration) {
      const { resourceType, resource } = integration;
      const scheduled: Record<string, unknown> = {
        resourceType,
        resource,
        region: this.context.region ?? "local",
        parameters: text(input),
      };
      if (integration.timeoutInSeconds !== undefined)
        scheduled.timeoutInSeconds = integration.timeoutInSeconds;
      if (integration.heartbeatInSeconds !== undefined)
        scheduled.heartbeatInSeconds = integration.heartbeatInSeconds;
      this.link(chain, { timestamp: at, type: "TaskScheduled", taskScheduledEventDetails: scheduled });
      this.link(chain, {
        timestamp: at,
        type: "TaskStarted",
        taskStartedEventDetails: { resourceType, resource },
      });
      if (integration.waits) {
        this.link(chain, {
          timestamp: at,
          type: "TaskSubmitted",
          taskSubmittedEventDetails: { resourceType, resource, output: submittedOutput(integration, input) },
        });
      }
      return;
    }
    this.link(chain, {
      timestamp: at,
      type: "LambdaFunctionScheduled",
      lambdaFunctionScheduledEventDetails: {
        resource: this.context.resources[state.name] ?? state.name,
        input: text(input),
      },
    });
    this.link(chain, { timestamp: at, type: "LambdaFunctionStarted" });
  }

  /** Appends `draft` after the last event of `chain`, and makes it the chain's last event. */
  private link(chain: string, draft: EventDraft): number {
    const id = this.append(draft, this.tail(chain));
    this.tails.set(chain, id);
    return id;
  }

  private tail(chain: string): number {
    const known = this.tails.get(chain);
    if (known !== undefined) return known;
    const group = this.groups.get(this.chainGroup.get(chain) ?? "");
    return group?.started ?? this.tails.get(TOP) ?? 0;
  }

  /** The last event of any branch of a Parallel or iteration of a Map (its Started event when none recorded one). */
  private lastOfBranches(name: string, group: Group): number {
    let last = group.started;
    for (const [key, owner] of this.chainGroup) {
      if (owner === name) last = Math.max(last, this.tails.get(key) ?? 0);
    }
    return last;
  }

  private chainOf(name: string, index: number | undefined): string {
    const container = this.containers.get(name);
    if (!container) return TOP;
    if (container.kind === "Map") return this.iterationChain(container.state, index);
    const chain = `${container.state}[${container.branch}]`;
    this.chainGroup.set(chain, container.state);
    return chain;
  }

  private iterationChain(map: string, index: number | undefined): string {
    const own =
      index !== undefined && !containersAround(this.containers, map).some((outer) => outer.kind === "Map");
    const chain = own ? `${map}(${index})` : `${map}(*)`;
    this.chainGroup.set(chain, map);
    return chain;
  }
}

/** How many items a Map state iterates over (MapStateStarted's `length`), when its paths are simple. */
function itemCount(state: AslStateShape | undefined, input: unknown): number | undefined {
  const paths = state as { InputPath?: unknown; ItemsPath?: unknown } | undefined;
  const selected = simplePath(paths?.InputPath, input);
  const items = simplePath(paths?.ItemsPath, selected);
  return Array.isArray(items) ? items.length : undefined;
}

/** `$`, `$.a.b`, `$.a[0]`, `$['a']`: enough for an ItemsPath; anything else is not evaluated. */
function simplePath(path: unknown, value: unknown): unknown {
  if (path === undefined || path === "$") return value;
  if (typeof path !== "string" || !path.startsWith("$")) return undefined;
  const steps = [...path.slice(1).matchAll(/\.([A-Za-z0-9_-]+)|\['([^']*)'\]|\[(\d+)\]/g)];
  if (steps.map((step) => step[0]).join("") !== path.slice(1)) return undefined;
  let current = value;
  for (const [, name, quoted, index] of steps) {
    const key = name ?? quoted ?? Number(index);
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/**
 * Execution history in the shape of Step Functions' GetExecutionHistory, built from the local
 * engine's event log, so the CLI and the console read local and AWS histories with one code path.
 */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  /** epoch milliseconds */
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

type EngineEvent = {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  output?: unknown;
  input?: unknown;
  retry?: { attempt: number };
};

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? null));

function causeText(cause: unknown): string {
  if (typeof cause === "string") return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause ?? "");
}

/** An event before it gets its id (Omit would lose the known keys to the index signature). */
export interface EventDraft {
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

export interface HistoryContext {
  /** Task state name → the Lambda ARN it invokes. */
  resources: Record<string, string>;
  /** The raw result of the Task's last successful invocation (before ResultPath), if it succeeded. */
  takeResult(stateName: string): { value: unknown } | undefined;
  /** What the Lambda was invoked with (after Parameters), if the invocation has started. */
  takeInvocationInput(stateName: string): { value: unknown } | undefined;
}

/** One engine event → zero or more AWS-shaped events. */
export function toHistoryEvents(event: EngineEvent, context: HistoryContext): EventDraft[] {
  const { resources } = context;
  const at = event.timestamp;
  const state = event.state;
  const isTask = state?.type === "Task";
  switch (event.type) {
    case "ExecutionStarted":
      return [
        {
          timestamp: at,
          type: "ExecutionStarted",
          executionStartedEventDetails: { input: text(event.input) },
        },
      ];
    case "StateEntered": {
      if (!state) return [];
      const entered: EventDraft = {
        timestamp: at,
        type: `${state.type}StateEntered`,
        stateEnteredEventDetails: { name: state.name, input: text(state.input) },
      };
      if (!isTask) return [entered];
      return [entered, ...lambdaStart(at, state.name, invoked(context, state), resources)];
    }
    case "StateFailed": {
      if (!state || !isTask) return [];
      const error = event.Error ?? "States.TaskFailed";
      const type = error === "States.Timeout" ? "LambdaFunctionTimedOut" : "LambdaFunctionFailed";
      const key =
        error === "States.Timeout"
          ? "lambdaFunctionTimedOutEventDetails"
          : "lambdaFunctionFailedEventDetails";
      return [{ timestamp: at, type, [key]: { error, cause: causeText(event.Cause) } }];
    }
    case "StateRetried":
      // AWS shows a retry as the next LambdaFunctionScheduled after a failure.
      return state && isTask ? lambdaStart(at, state.name, invoked(context, state), resources) : [];
    case "StateExited": {
      if (!state) return [];
      const exited: EventDraft = {
        timestamp: at,
        type: `${state.type}StateExited`,
        stateExitedEventDetails: { name: state.name, output: text(state.output) },
      };
      const result = isTask ? context.takeResult(state.name) : undefined;
      return result ? [lambdaSucceeded(at, result.value), exited] : [exited];
    }
    case "ExecutionSucceeded":
      return [
        {
          timestamp: at,
          type: "ExecutionSucceeded",
          executionSucceededEventDetails: { output: text(event.output) },
        },
      ];
    case "ExecutionFailed":
      return [
        {
          timestamp: at,
          type: "ExecutionFailed",
          executionFailedEventDetails: {
            error: event.Error ?? "States.Runtime",
            cause: causeText(event.Cause),
          },
        },
      ];
    case "ExecutionAborted":
      return [{ timestamp: at, type: "ExecutionAborted", executionAbortedEventDetails: {} }];
    case "ExecutionTimeout":
      return [{ timestamp: at, type: "ExecutionTimedOut", executionTimedOutEventDetails: {} }];
    default:
      return [];
  }
}

/** The Lambda's own input (the Task's Parameters applied), as AWS shows it in LambdaFunctionScheduled. */
function invoked(context: HistoryContext, state: { name: string; input?: unknown }): unknown {
  return (context.takeInvocationInput(state.name) ?? { value: state.input }).value;
}

function lambdaStart(
  at: number,
  name: string,
  input: unknown,
  resources: Record<string, string>,
): EventDraft[] {
  return [
    {
      timestamp: at,
      type: "LambdaFunctionScheduled",
      lambdaFunctionScheduledEventDetails: { resource: resources[name] ?? name, input: text(input) },
    },
    { timestamp: at, type: "LambdaFunctionStarted" },
  ];
}

/** Task success: the Lambda's result precedes TaskStateExited, as in AWS. */
function lambdaSucceeded(at: number, output: unknown): EventDraft {
  return {
    timestamp: at,
    type: "LambdaFunctionSucceeded",
    lambdaFunctionSucceededEventDetails: { output: text(output) },
  };
}

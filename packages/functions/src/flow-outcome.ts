import type { FlowAction, FlowSpec } from "./flow-spec";

/**
 * How one execution reads to a person: who it is about, what came of it, and each of the flow's
 * actions done, skipped (with the variable or setting) or failed (with the error). Pure: it reads
 * what Step Functions gives (DescribeExecution, the history) and the flow's own declaration, so the
 * console, the CLI, `/metrics` and alerts say the same thing and none of them knows a flow's fields.
 */

export type ActionStatus = "done" | "skipped" | "failed" | "uncertain" | "running";

export interface ActionOutcome {
  id: string;
  title: string;
  vendor: string;
  status: ActionStatus;
  /** skipped: why (the variable or setting). */
  reason?: string;
  /** failed: the named error and its message. */
  error?: string;
  cause?: string;
  /** done / uncertain: a short detail the Task reported (an id, "already sent"). */
  detail?: string;
}

/** A step of the execution's history, as the timeline reads it. */
export interface StepFacts {
  state: string;
  /** "aborted": the execution stopped while the step ran. */
  status: "running" | "done" | "failed" | "aborted";
  /** The last attempt's error (a failed step). */
  error?: string;
  cause?: string;
}

/** What a flow's view is given about one execution. */
export interface ExecutionFacts {
  name: string;
  /** Step Functions' status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED. */
  status: string;
  input?: unknown;
  /**
   * The execution's state document: its output when it succeeded, else the input of the last state
   * it entered (where a Catch left the error next to everything done before).
   */
  state?: unknown;
  steps: readonly StepFacts[];
}

export interface ExecutionStory {
  /** The person or company (never the execution name); undefined when the execution does not say. */
  title?: string;
  /** One line: what came of it ("URGENT_BUYER → SMS + Slack"). */
  outcome?: string;
  actions: ActionOutcome[];
  /** Actions skipped: a SUCCEEDED execution with any is "Succeeded · N skipped". */
  skipped: number;
  /** What a person should do about it, one line each. */
  needsHuman: string[];
}

/** `$.a.b[0].c` in a JSON document (the ResultPath subset the flows use). */
export function valueAt(document: unknown, path: string): unknown {
  const parts = path
    .replace(/^\$\.?/, "")
    .split(/\.|\[(\d+)\]/)
    .filter((part) => part !== undefined && part !== "");
  let value: unknown = document;
  for (const part of parts) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === "string" && value.trim() !== "" ? value : undefined;

/** A Catch's `{Error, Cause}` (or a branch's `{ok: false, error: {Error, Cause}}`). */
function caughtError(value: unknown): { error: string; cause?: string } | undefined {
  if (!isObject(value)) return undefined;
  if (typeof value.Error === "string") return { error: value.Error, cause: unwrap(text(value.Cause)) };
  if (value.ok === false) return caughtError(value.error) ?? { error: "failed" };
  return undefined;
}

/** Lambda causes are JSON `{"errorMessage", …}`: the message is what a person reads. */
function unwrap(cause: string | undefined): string | undefined {
  if (!cause) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === "string") return parsed.errorMessage;
  } catch {
    // plain text
  }
  return cause;
}

function detailOf(result: Record<string, unknown>): string | undefined {
  if (result.status === "already-sent") return "already done before";
  return text(result.detail);
}

/** One action's outcome in this execution; undefined when the execution never came to it. */
export function actionOutcome(action: FlowAction, facts: ExecutionFacts): ActionOutcome | undefined {
  const base = { id: action.id, title: action.title, vendor: action.vendor };
  // Another kind of key's action (triage reads a `hubspot-…` lead into `$.lead` from HubSpot, any other from Close).
  if (action.forKeys !== undefined && !new RegExp(action.forKeys).test(facts.name)) return undefined;
  const steps = facts.steps.filter((step) => action.states.includes(step.state));
  const last = steps.at(-1);
  const result = valueAt(facts.state, action.result);
  const caught =
    caughtError(result) ??
    (action.errorAt && last?.status === "failed"
      ? caughtError(valueAt(facts.state, action.errorAt))
      : undefined);
  if (caught) return { ...base, status: "failed", ...caught };
  if (isObject(result)) {
    if (result.status === "skipped")
      return { ...base, status: "skipped", reason: text(result.reason) ?? "skipped" };
    if (result.status === "uncertain")
      return {
        ...base,
        status: "uncertain",
        detail: text(result.detail) ?? "an earlier attempt never confirmed",
      };
    const detail = detailOf(result);
    return { ...base, status: "done", ...(detail ? { detail } : {}) };
  }
  if (result !== undefined) return { ...base, status: "done" };
  if (!last) return undefined;
  if (last.status === "failed")
    return {
      ...base,
      status: "failed",
      error: last.error ?? "failed",
      ...(last.cause ? { cause: last.cause } : {}),
    };
  // A step that ran and left nothing where its result goes (e.g. an OutputPath): what the step says.
  if (last.status === "done") return { ...base, status: "done" };
  return facts.status === "RUNNING" ? { ...base, status: "running" } : undefined;
}

/** What a person should do about the actions of one execution. */
function needsHuman(actions: readonly ActionOutcome[], flow: Pick<FlowSpec, "actions">): string[] {
  const lines: string[] = [];
  for (const action of actions) {
    if (action.status === "failed")
      lines.push(
        `${action.title} failed (${action.error}${action.cause ? `: ${action.cause}` : ""}): fix it, then redrive or replay`,
      );
    else if (action.status === "uncertain")
      lines.push(`${action.title}: ${action.detail}: check with ${action.vendor} whether it happened`);
    else if (action.status === "skipped") {
      const declared = flow.actions.find((candidate) => candidate.id === action.id);
      const setting = declared?.enabledBy && action.reason?.includes(declared.enabledBy);
      // Turned off on purpose is not a problem; a missing credential is.
      if (!setting) lines.push(`${action.title} was skipped: ${action.reason}`);
    }
  }
  return lines;
}

/** The story of one execution from its flow's declaration (`FlowSpec.actions` and `FlowSpec.view`). */
export function describeExecution(
  flow: Pick<FlowSpec, "actions" | "view">,
  facts: ExecutionFacts,
): ExecutionStory {
  const actions = flow.actions
    .map((action) => actionOutcome(action, facts))
    .filter((action): action is ActionOutcome => action !== undefined);
  const title = flow.view.title(facts);
  const outcome = flow.view.outcome(facts, actions);
  return {
    ...(title ? { title } : {}),
    ...(outcome ? { outcome } : {}),
    actions,
    skipped: actions.filter((action) => action.status === "skipped").length,
    needsHuman: needsHuman(actions, flow),
  };
}

/** Titles such as "done" lists use: the actions of one status, by their short names. */
export function actionsWith(actions: readonly ActionOutcome[], status: ActionStatus): ActionOutcome[] {
  return actions.filter((action) => action.status === status);
}

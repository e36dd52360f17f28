import { valueAt } from "./flow-outcome";
import type { FlowSpec } from "./flow-spec";
import { type AslDefinition, type AslState, allStates, taskPlaceholders } from "./state-machine";

/**
 * Which of its flow's declared actions a Task's Lambda performs, and where in the Lambda's own
 * result each one's record is: derived from the flow's `actions` (their `states` and `result`)
 * and the deployed definition (each Task's ResultSelector and ResultPath), so the Lambda can tell
 * a skipped action from its result alone. The stacks put it in the function's environment, the
 * local runtime hands it to the same reporter.
 */

/** The Task's flow, and its actions as JSON `[{id, title, at}]`. */
export const FLOW_ENV = "LEADRELAY_FLOW";
export const ACTIONS_ENV = "LEADRELAY_ACTIONS";

export interface TaskAction {
  id: string;
  title: string;
  /** The action's record in the Lambda's result: `$` (the result itself) or `$.crm`. */
  at: string;
}

export interface SkippedAction {
  id: string;
  title: string;
  reason: string;
}

/** Where a Task puts its Lambda's raw result in the state document; undefined when it is reshaped or dropped. */
function resultLandsAt(state: AslState): string | undefined {
  const resultPath = state.ResultPath === undefined ? "$" : state.ResultPath;
  if (typeof resultPath !== "string") return undefined;
  const selector = state.ResultSelector as Record<string, unknown> | undefined;
  if (selector === undefined) return resultPath;
  // `{"email.$": "$"}`: the whole result under one name; any other selector reshapes it.
  const entries = Object.entries(selector);
  const [key, value] = entries[0] ?? [];
  if (entries.length !== 1 || value !== "$" || !key?.endsWith(".$")) return undefined;
  return `${resultPath === "$" ? "$" : resultPath}.${key.slice(0, -2)}`;
}

/** `$.outcome.crm` within `$.outcome` → `$.crm`; undefined when `path` is not inside `prefix`. */
function relativeTo(path: string, prefix: string): string | undefined {
  if (prefix === "$") return path;
  if (path === prefix) return "$";
  const rest = path.slice(prefix.length);
  return path.startsWith(prefix) && (rest.startsWith(".") || rest.startsWith("[")) ? `$${rest}` : undefined;
}

/** The actions the Lambda of `placeholder` performs in this definition, each with where its record is. */
export function taskActions(
  flow: Pick<FlowSpec, "actions" | "tasks">,
  definition: AslDefinition,
  placeholder: string,
): TaskAction[] {
  const placeholders = taskPlaceholders(definition, Object.keys(flow.tasks));
  const found = new Map<string, TaskAction>();
  for (const { name, state, topLevel } of allStates(definition)) {
    if (placeholders[name] !== placeholder) continue;
    const lands = resultLandsAt(state);
    if (lands === undefined) continue;
    for (const action of flow.actions) {
      if (!action.states.includes(name)) continue;
      // Inside a Parallel branch the result is the branch's output (Parallel states gather them
      // under their own ResultPath): the action's record is the result itself when the branch
      // passes it on whole.
      const inBranch = topLevel !== name;
      const at = inBranch
        ? lands === "$" || state.OutputPath === lands
          ? "$"
          : undefined
        : relativeTo(action.result, lands);
      if (at !== undefined) found.set(`${action.id} ${at}`, { id: action.id, title: action.title, at });
    }
  }
  return [...found.values()];
}

/** The environment value of a Task's actions (JSON, small: ids, titles, paths). */
export function encodeTaskActions(actions: readonly TaskAction[]): string {
  return JSON.stringify(actions);
}

/** The Task's actions from its environment; empty when unset or unreadable (nothing is reported then). */
export function parseTaskActions(value: string | undefined): TaskAction[] {
  if (!value) return [];
  try {
    const parsed = JSON.parse(value) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (item): item is TaskAction =>
        typeof item?.id === "string" && typeof item?.title === "string" && typeof item?.at === "string",
    );
  } catch {
    return [];
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The actions a Task's result says it skipped (`{status: "skipped", reason}` where the action's
 * record is), read as the console reads the execution (flow-outcome.ts). A Lambda that performs
 * two actions at the same place (deal-stage's Lead and Purchase) names the one in the record's
 * `action`; a record that names none of them is not attributed.
 */
export function skippedActions(result: unknown, actions: readonly TaskAction[]): SkippedAction[] {
  const skipped: SkippedAction[] = [];
  for (const at of new Set(actions.map((action) => action.at))) {
    const record = valueAt(result, at);
    if (!isObject(record) || record.status !== "skipped") continue;
    const candidates = actions.filter((action) => action.at === at);
    const action =
      candidates.find((candidate) => candidate.id === record.action) ??
      (candidates.length === 1 ? candidates[0] : undefined);
    if (!action) continue;
    const reason =
      typeof record.reason === "string" && record.reason.trim() !== "" ? record.reason : "skipped";
    skipped.push({ id: action.id, title: action.title, reason });
  }
  return skipped;
}

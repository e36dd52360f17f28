/**
 * Reading and preparing a flow's ASL file: the same definition is deployed by CDK (ARN
 * placeholders substituted by CloudFormation) and run by the local engine (substituted here).
 */

export interface AslRetrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxAttempts?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: string;
}

export interface AslState {
  Type: string;
  Resource?: string;
  Seconds?: number;
  TimeoutSeconds?: number;
  Retry?: AslRetrier[];
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Next?: string;
  End?: boolean;
  Error?: string;
  Branches?: AslBranch[];
  [other: string]: unknown;
}
export interface AslBranch {
  StartAt: string;
  States: Record<string, AslState>;
}
export interface AslDefinition extends AslBranch {
  Comment?: string;
  [other: string]: unknown;
}

/** Every state, nested ones included (Parallel branches, Map item processors), with its top-level state. */
export function allStates(definition: AslBranch): Array<{ name: string; state: AslState; topLevel: string }> {
  const out: Array<{ name: string; state: AslState; topLevel: string }> = [];
  const visit = (branch: AslBranch, topLevel: string | undefined) => {
    for (const [name, state] of Object.entries(branch.States)) {
      const top = topLevel ?? name;
      out.push({ name, state, topLevel: top });
      for (const nested of state.Branches ?? []) visit(nested, top);
      const processor = (state.ItemProcessor ?? state.Iterator) as AslBranch | undefined;
      if (processor?.States) visit(processor, top);
    }
  };
  visit(definition, undefined);
  return out;
}

/** `${Name}` placeholders of Task resources replaced by ARNs (CloudFormation does this on AWS). */
export function substituteArns(definition: AslDefinition, arns: Record<string, string>): AslDefinition {
  const text = JSON.stringify(definition).replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const arn = arns[name];
    if (arn === undefined) throw new Error(`No value for definition substitution ${match}`);
    return arn;
  });
  return JSON.parse(text) as AslDefinition;
}

/** Task state name → the ARN placeholder it invokes, nested states included; each must be one of `placeholders`. */
export function taskPlaceholders(
  definition: AslDefinition,
  placeholders: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { name, state } of allStates(definition)) {
    if (state.Type !== "Task") continue;
    const placeholder = budgetedTaskPlaceholder(state) ?? lambdaPlaceholder(state);
    if (!placeholder || !placeholders.includes(placeholder)) {
      throw new Error(
        `Task state ${name} must use one of the Lambda ARN placeholders, not ${String(state.Resource)}`,
      );
    }
    out[name] = placeholder;
  }
  return out;
}

const lambdaPlaceholder = (state: AslState) =>
  typeof state.Resource === "string" ? /^\$\{(\w+)\}$/.exec(state.Resource)?.[1] : undefined;

/**
 * The Lambda placeholder of a Task rewritten to wait for its vendor budget (flow-spec.ts
 * `withVendorBudgets`): its queue is `${<placeholder>BudgetQueue}`. Undefined for any other state.
 */
export function budgetedTaskPlaceholder(state: AslState): string | undefined {
  if (state.Type !== "Task" || state.Resource !== "arn:aws:states:::sqs:sendMessage.waitForTaskToken") {
    return undefined;
  }
  const queue = (state.Parameters as { QueueUrl?: unknown } | undefined)?.QueueUrl;
  return typeof queue === "string" ? /^\$\{(\w+)BudgetQueue\}$/.exec(queue)?.[1] : undefined;
}

/**
 * Whether a Retry or Catch with these names handles `error`. States.TaskFailed is a wildcard for
 * every error but States.Timeout ("Error names", Step Functions developer guide).
 */
export function handles(errorEquals: readonly string[], error: string): boolean {
  return (
    errorEquals.includes(error) ||
    errorEquals.includes("States.ALL") ||
    (errorEquals.includes("States.TaskFailed") && error !== "States.Timeout")
  );
}

/** The state named `name`, nested ones included (state names are unique in a whole state machine). */
export function stateNamed(definition: AslDefinition, name: string): AslState | undefined {
  return allStates(definition).find((entry) => entry.name === name)?.state;
}

/** The retrier that handles `error` in `state`: like Step Functions, the first one that matches. */
export function retrierFor(definition: AslDefinition, state: string, error: string): AslRetrier | undefined {
  return stateNamed(definition, state)?.Retry?.find((retrier) => handles(retrier.ErrorEquals, error));
}

/** The catcher that handles `error` in `state` (after its retries): the first one that matches. */
export function catcherFor(definition: AslDefinition, state: string, error: string) {
  return stateNamed(definition, state)?.Catch?.find((catcher) => handles(catcher.ErrorEquals, error));
}

/** The Choice in front of a Fail whose CausePath reads a caught error's Cause: `<Fail>HasCause`. */
export const causeGuardName = (fail: string) => `${fail}HasCause`;

/**
 * A Fail named after a caught error, guarded: an error output may lack its `Cause` (the ASL spec
 * says it SHOULD have one), and a CausePath that selects nothing turns the named failure into
 * `States.Runtime` on Step Functions and on the local engine alike. The guard (a Choice, the state
 * a Catch or a Choice points at) ends in the Fail with the cause when there is one, else in a twin
 * Fail with the same Error and a literal cause.
 */
export function guardedFail(fail: string, error: string, causePath: string, extra: Partial<AslState> = {}) {
  return {
    [causeGuardName(fail)]: {
      Type: "Choice",
      Comment: `An error output may lack its Cause (ASL: it SHOULD have one), and a CausePath that selects nothing would turn ${fail} into States.Runtime.`,
      Choices: [{ Variable: causePath, IsPresent: true, Next: fail }],
      Default: `${fail}WithoutCause`,
    },
    [fail]: { Type: "Fail", ...extra, Error: error, CausePath: causePath },
    [`${fail}WithoutCause`]: { Type: "Fail", Error: error, Cause: NO_CAUSE },
  } satisfies Record<string, AslState>;
}

/** The cause of a guarded Fail reached without one. */
export const NO_CAUSE =
  "The error output had no Cause; the failed state's own events in the history say more.";

/** The Fail a Catch or Choice target ends in: itself, or the Fail behind its cause guard. */
export function failBehind(definition: AslBranch, target: string): string {
  const state = definition.States[target];
  if (state?.Type === "Choice" && target.endsWith("HasCause")) {
    const rule = (state.Choices as Array<{ Next: string }> | undefined)?.[0];
    if (rule) return rule.Next;
  }
  return target;
}

import {
  type AslBranch,
  type AslDefinition,
  type AslRetrier,
  type AslState,
  allStates,
  handles,
} from "../../packages/functions/src/state-machine";

/**
 * Checks every flow's definition must pass, each returning the problems it finds as sentences (an
 * empty list passes), so a failing test says what is wrong and where.
 */

/** The ASL spec's predefined errors and the Lambda service errors Step Functions reports. */
export const BUILT_IN_ERRORS: ReadonlySet<string> = new Set([
  "States.ALL",
  "States.HeartbeatTimeout",
  "States.Timeout",
  "States.TaskFailed",
  "States.Permissions",
  "States.ResultPathMatchFailure",
  "States.ParameterPathFailure",
  "States.QueryEvaluationError",
  "States.BranchFailed",
  "States.NoChoiceMatched",
  "States.IntrinsicFailure",
  "States.ExceedToleratedFailureThreshold",
  "States.ItemReaderFailed",
  "States.ResultWriterFailed",
  "States.Runtime",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.Unknown",
]);

export { handles, retrierFor, stateNamed } from "../../packages/functions/src/state-machine";

/** Delay before each retry without jitter, capped by MaxDelaySeconds, summed over MaxAttempts. */
export function nominalRetrySeconds(retrier: AslRetrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++) {
    total += Math.min(interval * backoff ** attempt, cap);
  }
  return total;
}

/**
 * Every Task, nested ones included, has a TimeoutSeconds above its Lambda's own timeout: a hung
 * Lambda then fails with its own error (TimeoutError, Sandbox.Timedout) before the Task times out.
 */
export function timeoutProblems(
  definition: AslDefinition,
  lambdaTimeoutSeconds: number | ((taskState: string) => number),
): string[] {
  const problems: string[] = [];
  for (const { name, state } of allStates(definition)) {
    if (state.Type !== "Task") continue;
    const lambda =
      typeof lambdaTimeoutSeconds === "number" ? lambdaTimeoutSeconds : lambdaTimeoutSeconds(name);
    if (state.TimeoutSeconds === undefined) problems.push(`${name} has no TimeoutSeconds`);
    else if (state.TimeoutSeconds <= lambda) {
      problems.push(`${name} times out after ${state.TimeoutSeconds} s, not after its Lambda (${lambda} s)`);
    }
  }
  return problems;
}

/** Every Task, nested ones included, retries each of `errors` (the first retrier that matches has attempts). */
export function retryGaps(definition: AslDefinition, errors: readonly string[]): string[] {
  const problems: string[] = [];
  for (const { name, state } of allStates(definition)) {
    if (state.Type !== "Task") continue;
    const unretried = errors.filter((error) => {
      const retrier = state.Retry?.find((candidate) => handles(candidate.ErrorEquals, error));
      return retrier === undefined || (retrier.MaxAttempts ?? 3) < 1;
    });
    if (unretried.length > 0) problems.push(`${name} does not retry ${unretried.join(", ")}`);
  }
  return problems;
}

/** Both of the above: the timeouts and the retries of every Task. */
export function taskProblems(
  definition: AslDefinition,
  transient: readonly string[],
  lambdaTimeoutSeconds: number | ((taskState: string) => number),
): string[] {
  return [...timeoutProblems(definition, lambdaTimeoutSeconds), ...retryGaps(definition, transient)];
}

/** Every name in an ErrorEquals or a Fail `Error`, nested states included, that `known` lacks. */
export function unknownErrorNames(definition: AslDefinition, known: ReadonlySet<string>): string[] {
  const used = allStates(definition).flatMap(({ state }) => [
    ...(state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals),
    ...(state.Catch ?? []).flatMap((catcher) => catcher.ErrorEquals),
    ...(state.Type === "Fail" && state.Error !== undefined ? [state.Error] : []),
  ]);
  return [...new Set(used)].filter((name) => !known.has(name) && !BUILT_IN_ERRORS.has(name));
}

/** The top level and every Parallel branch and Map item processor: where Next and Catch point. */
function scopes(definition: AslBranch): AslBranch[] {
  const out: AslBranch[] = [definition];
  for (const { state } of allStates(definition)) {
    out.push(...(state.Branches ?? []));
    const processor = (state.ItemProcessor ?? state.Iterator) as AslBranch | undefined;
    if (processor?.States) out.push(processor);
  }
  return out;
}

function successors(state: AslState): string[] {
  const choices = (state.Choices as Array<{ Next?: string }> | undefined) ?? [];
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Catch ?? []).map((catcher) => catcher.Next),
    ...choices.flatMap((choice) => (choice.Next ? [choice.Next] : [])),
    ...(typeof state.Default === "string" ? [state.Default] : []),
  ];
}

/**
 * A caught error must end the execution (or its branch) in a `Fail` that names the error and keeps
 * its cause (CausePath), directly or after other states, unless its path reaches a state the flow
 * lists as degraded (a documented outcome the history shows). A Fail with a literal Cause is the
 * twin of a cause guard (`guardedFail`): the same Error reached with its CausePath on the same path.
 */
/** `<Fail>WithoutCause`, the Default of `<Fail>HasCause`, failing with the same Error as `<Fail>`. */
function isGuardTwin(scope: AslBranch, name: string): boolean {
  const fail = name.replace(/WithoutCause$/, "");
  const guard = scope.States[`${fail}HasCause`];
  return (
    name !== fail &&
    typeof scope.States[name]?.Cause === "string" &&
    guard?.Type === "Choice" &&
    guard.Default === name &&
    scope.States[fail]?.Error === scope.States[name]?.Error &&
    scope.States[fail]?.CausePath !== undefined
  );
}

export function catchProblems(definition: AslDefinition, degradedStates: readonly string[] = []): string[] {
  const problems: string[] = [];
  for (const scope of scopes(definition)) {
    for (const [name, state] of Object.entries(scope.States)) {
      for (const catcher of state.Catch ?? []) {
        const where = `${name} Catch [${catcher.ErrorEquals.join(", ")}]`;
        const seen = new Set<string>();
        const queue = [catcher.Next];
        for (let current = queue.shift(); current !== undefined; current = queue.shift()) {
          if (seen.has(current) || degradedStates.includes(current)) continue;
          seen.add(current);
          const target = scope.States[current];
          if (!target) {
            problems.push(`${where} reaches ${current}, which is not a state of its scope`);
            continue;
          }
          const next = successors(target);
          queue.push(...next);
          if (next.length > 0 && target.End !== true) continue;
          if (target.Type !== "Fail") problems.push(`${where} → ${current} is a ${target.Type}, not a Fail`);
          else if (target.Error === undefined) problems.push(`${where} → ${current} fails without an Error`);
          else if (target.CausePath === undefined && !isGuardTwin(scope, current)) {
            problems.push(`${where} → ${current} fails without a CausePath (the caught cause is lost)`);
          }
        }
      }
    }
  }
  return problems;
}

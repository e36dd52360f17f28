import { type AslDefinition, type AslState, WAIT_STATE } from "../../packages/functions/src/state-machine";

type Retrier = NonNullable<AslState["Retry"]>[number];

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

/** The hold before FetchOwner must be exactly what was deployed for. */
export function holdProblems(definition: AslDefinition, waitSeconds: number): string[] {
  const hold = definition.States[WAIT_STATE];
  if (hold?.Type !== "Wait") return [`${WAIT_STATE} is not a Wait state`];
  if (hold.Seconds !== waitSeconds)
    return [`${WAIT_STATE} waits ${String(hold.Seconds)} s, not ${waitSeconds} s`];
  return [];
}

/** The happy path: state names from StartAt following `Next` until a state without one. */
export function mainPath(definition: AslDefinition): string[] {
  const path: string[] = [];
  for (let name: string | undefined = definition.StartAt; name !== undefined; ) {
    if (path.includes(name)) throw new Error(`Next loops back to ${name}`);
    const state: AslState | undefined = definition.States[name];
    if (!state) throw new Error(`Next names a missing state ${name}`);
    path.push(name);
    name = state.Next;
  }
  return path;
}

/** Delay before each retry without jitter, capped by MaxDelaySeconds, summed over MaxAttempts. */
export function nominalRetrySeconds(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let attempt = 0; attempt < (retrier.MaxAttempts ?? 3); attempt++) {
    total += Math.min(interval * backoff ** attempt, cap);
  }
  return total;
}

/** The retrier that handles `error` in `state`: like Step Functions, the first that names it or States.ALL. */
export function retrierFor(definition: AslDefinition, state: string, error: string): Retrier | undefined {
  return definition.States[state]?.Retry?.find(
    (retrier) => retrier.ErrorEquals.includes(error) || retrier.ErrorEquals.includes("States.ALL"),
  );
}

/** Every name in an ErrorEquals or a Fail `Error` that is neither leadrelay's nor a built-in. */
export function unknownErrorNames(definition: AslDefinition, known: ReadonlySet<string>): string[] {
  const used = Object.values(definition.States).flatMap((state) => [
    ...(state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals),
    ...(state.Catch ?? []).flatMap((catcher) => catcher.ErrorEquals),
    ...(state.Type === "Fail" && state.Error !== undefined ? [state.Error] : []),
  ]);
  return [...new Set(used)].filter((name) => !known.has(name) && !BUILT_IN_ERRORS.has(name));
}

function successors(state: AslState): string[] {
  const choices = (state.Choices as Array<{ Next: string }> | undefined) ?? [];
  return [
    ...(state.Next ? [state.Next] : []),
    ...(state.Catch ?? []).map((catcher) => catcher.Next),
    ...choices.map((choice) => choice.Next),
    ...(typeof state.Default === "string" ? [state.Default] : []),
  ];
}

/** The states where executions end, reachable from `start`. */
export function reachableEnds(definition: AslDefinition, start: string): string[] {
  const seen = new Set<string>();
  const ends: string[] = [];
  const queue = [start];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const state = definition.States[name];
    if (!state) throw new Error(`A transition names a missing state ${name}`);
    const next = successors(state);
    if (next.length === 0 || state.End === true) ends.push(name);
    queue.push(...next);
  }
  return ends;
}

/**
 * A caught error must end the execution in a named failure: every end reachable from a Catch
 * is a Fail state with an Error from `failureNames` and a Cause or CausePath.
 */
export function catchProblems(definition: AslDefinition, failureNames: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    for (const catcher of state.Catch ?? []) {
      for (const end of reachableEnds(definition, catcher.Next)) {
        const fail = definition.States[end];
        const where = `${name} Catch [${catcher.ErrorEquals.join(", ")}] → ${end}`;
        if (fail?.Type !== "Fail") problems.push(`${where} is a ${fail?.Type}, not a Fail state`);
        else if (fail.Error === undefined || !failureNames.has(fail.Error)) {
          problems.push(`${where} fails with ${fail.Error ?? "no Error"}, not a FailureNames entry`);
        } else if (fail.Cause === undefined && fail.CausePath === undefined) {
          problems.push(`${where} has no Cause or CausePath`);
        }
      }
    }
  }
  return problems;
}

const FOUR_HOURS = 4 * 3600;

/** The retries the pipeline's behaviour depends on; each missing one is a problem. */
export function retryProblems(definition: AslDefinition): string[] {
  const problems: string[] = [];
  const owner = retrierFor(definition, "FetchOwner", "OwnerNotAssigned");
  if (!owner) problems.push("FetchOwner does not retry OwnerNotAssigned");
  else {
    if (!((owner.BackoffRate ?? 2) > 1)) problems.push("FetchOwner OwnerNotAssigned retries do not back off");
    if (owner.JitterStrategy !== "FULL")
      problems.push("FetchOwner OwnerNotAssigned retries have no FULL jitter");
    const nominal = nominalRetrySeconds(owner);
    // FULL jitter waits a uniform random share of each delay: on average half of the nominal total.
    if (nominal < FOUR_HOURS) {
      problems.push(
        `FetchOwner waits for an owner ${nominal} s nominal (${nominal / 2} s expected), under 4 h (2 h)`,
      );
    }
  }
  const required: Array<[string, string]> = [
    ["FetchOwner", "OwnerLookupUnavailable"],
    ["NotifySlack", "SlackRateLimited"],
    ["NotifySlack", "SlackUnavailable"],
  ];
  for (const [state, error] of required) {
    const retrier = retrierFor(definition, state, error);
    if (!retrier || (retrier.MaxAttempts ?? 3) < 1) problems.push(`${state} does not retry ${error}`);
  }
  return problems;
}

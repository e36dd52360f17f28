import type { HubSpotObjectType, HubSpotPropertyDefinition } from "@leadrelay/core";
import type { ZodMiniType } from "zod/mini";
import type { ActionOutcome, ExecutionFacts } from "./flow-outcome";
import { type AslDefinition, type AslState, allStates } from "./state-machine";
import { applicableBudgets, type BudgetCalls, budgetedCalls } from "./vendor-budget";

/**
 * What a flow is, declaratively: the stacks deploy it from this, the local runtime runs it from
 * this, and the console lists it. A flow's folder (packages/flows/<id>/) exports one `FlowSpec`;
 * packages/flows/registry.ts lists them.
 */

/**
 * What every Task retries besides its vendor's errors: Step Functions' own Task timeout, the
 * Lambda runtime cutting a hung invocation (middy's `TimeoutError`, Lambda's `Sandbox.Timedout`,
 * reported by Step Functions as `Lambda.Unknown` too), the Lambda service's transient errors, and a
 * cold start that could not read its SST secrets (`SecretsUnavailable`: SSM throttled or failing, a
 * bound secret deleted since the deploy).
 * A test asserts that every Task of every flow retries all of them.
 */
export const TRANSIENT_TASK_ERRORS = [
  "States.Timeout",
  "TimeoutError",
  "Sandbox.Timedout",
  "Lambda.Unknown",
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "SecretsUnavailable",
] as const;

/**
 * A Task's Lambda gives up before its Task does (ASL `TimeoutSeconds` is 30 by convention): the
 * Lambda runtime's own error, not States.Timeout, is what the Retry sees (`TimeoutError` from middy,
 * which ends a hung invocation just before Lambda would as `Sandbox.Timedout`).
 */
export const LAMBDA_TIMEOUT_SECONDS = 20;

export type ObjectAction = "s3:GetObject" | "s3:PutObject" | "s3:DeleteObject";

/** Object actions on one key pattern of the stage's bucket (`*` for the varying part). */
export interface StorageGrant {
  actions: readonly ObjectAction[];
  keys: string;
}

export interface TaskSpec {
  /** Construct id on AWS and the local Lambda's name, e.g. "FetchRaw". */
  id: string;
  /** The Lambda handler from the repository root, as SST takes it: "packages/flows/announce/src/fetch-raw.handler". */
  handler: string;
  /** Settings the function reads, passed from the environment of `sst deploy` (and of `pnpm start`). */
  env?: readonly string[];
  /** Credentials the function cannot work without, bound as SST secrets on AWS (a deploy stops if one is not set). */
  secrets?: readonly string[];
  /**
   * Credentials of an action the flow skips when they are missing: bound on AWS only when set for
   * the stage (an SST secret that is bound but unset would fail the function at cold start).
   */
  optionalSecrets?: readonly string[];
  storage?: readonly StorageGrant[];
  /** `s3:ListBucket`, so a missing key answers 404 instead of 403 (see stacks/bucket-grants.ts). */
  existenceChecks?: boolean;
  /** `events:PutEvents` on the stage's event bus. */
  publishesEvents?: boolean;
  /** `ses:SendEmail` (Amazon SES v2). */
  sendsEmail?: boolean;
  /** The Lambda's timeout when it needs more than LAMBDA_TIMEOUT_SECONDS (stays below the Task's TimeoutSeconds). */
  timeoutSeconds?: number;
  /**
   * The vendor budgets one invocation draws on, and at most how many calls it makes to each
   * (`{ close: 2 }`; HubSpot's search endpoints are `"hubspot-search"`). A Task whose vendor has a
   * budget waits for it outside Lambda (see `withVendorBudgets`).
   */
  calls?: BudgetCalls;
}

export interface DeployContext {
  stage: string;
  /** SST's App.mode: `sst deploy`/`build`/`diff` are "deploy", `sst dev` is "dev". */
  mode: "deploy" | "dev" | "remove";
  /** The offline test stage: placeholders stand in for settings a real deploy must be given. */
  offline: boolean;
}

export class DeploySettingsError extends Error {
  override readonly name = "DeploySettingsError";
}

/**
 * One thing a flow does for a person through a vendor (a side effect, or a read the flow cannot go
 * on without). Declared statically in the flow's folder: `pnpm leadrelay doctor` checks each one
 * (ok / skipped / broken), and the console, the CLI and `/metrics` report each execution's outcome
 * of it (done / skipped with the reason / failed with the error).
 */
export interface FlowAction {
  /** Stable within the flow (metrics label, TRIAGE_ACTIONS name where the flow has one), e.g. "sms". */
  id: string;
  /** What a person reads, e.g. "Text the on-call rep". */
  title: string;
  /** The stand-in slug of the vendor it calls, e.g. "twilio". */
  vendor: string;
  /** Variables it cannot run without: when one is missing the action is skipped, naming it. */
  requires: readonly string[];
  /** A setting that can turn it off, e.g. "TRIAGE_ACTIONS" (the action is skipped, naming the setting). */
  enabledBy?: string;
  /**
   * Its name in the `enabledBy` list when that is not its id: two actions under one name (triage's
   * `crm` records in Close or in HubSpot, whichever sent the lead).
   */
  enabledAs?: string;
  /**
   * The same action through another vendor when a setting says so, e.g. email through Amazon SES
   * (`EMAIL_PROVIDER=ses`, no BREVO_API_KEY needed).
   */
  alternative?: { setting: string; value: string; vendor: string; requires: readonly string[] };
  /**
   * The execution names it belongs to (a RegExp source) when a flow does one thing two ways by kind
   * of key, into the same result: triage reads a `hubspot-…` lead from HubSpot, any other from
   * Close. Every execution when absent.
   */
  forKeys?: string;
  /** The Task state(s) that perform it (a flow may run it from two places, e.g. before and after a Catch). */
  states: readonly string[];
  /** Where its Task puts its result in the execution's state (its ResultPath, `$.a.b` or `$.a[0]`). */
  result: string;
  /** Where a Catch puts its error when that is not `result` itself (e.g. `$.emailError`). */
  errorAt?: string;
}

/**
 * How a flow's executions read to a person (declared in the flow's folder; the console, the CLI,
 * `/metrics` and alerts render it and know none of the flow's fields).
 */
export interface FlowView {
  /**
   * What one key of this flow is, e.g. "Close lead", "deal", "Meta lead", "LinkedIn reply"; by key
   * when a flow has keys of more than one kind (triage: a Close lead or a HubSpot contact).
   */
  keyNoun: string | ((executionKey: string) => string);
  /**
   * The business key (one console page) of an execution key (the name without a replay suffix);
   * the execution key itself when absent. deal-stage: `deal-42-qualified` → `deal-42`.
   */
  pageKeyOf?(executionKey: string): string;
  /** The execution keys of a business key in this flow; `[pageKey]` when absent. */
  executionKeysOf?(pageKey: string): string[];
  /** The person or company the execution is about, from what it holds. */
  title(facts: ExecutionFacts): string | undefined;
  /** Stored objects (bucket keys) that name the person when the execution does not (yet), first found wins. */
  titleObjects?(facts: ExecutionFacts): string[];
  /** The person or company from one of those objects. */
  titleFromObject?(body: string): string | undefined;
  /** One line: what came of it (a label, a stage reported, a category, the CRM records). */
  outcome(facts: ExecutionFacts, actions: readonly ActionOutcome[]): string | undefined;
}

export interface FlowSpec {
  /** A contract: state machine names, storage prefixes, LEADRELAY_FLOWS and the console use it. */
  id: string;
  title: string;
  /** The webhook endpoint whose events start this flow (the default when `sourceChoice` is set). */
  source: SourceSpec;
  /**
   * When a setting chooses which sources start the flow (e.g. `TRIAGE_SOURCES=close,hubspot`): the
   * setting, the sources it may name, and the ids chosen when it is unset. See `flowSources`.
   */
  sourceChoice?: { setting: string; sources: readonly SourceSpec[]; default: readonly string[] };
  /** The ASL file (JSONPath, `${Placeholder}` Lambda ARNs) as parsed JSON. */
  asl: AslDefinition;
  /**
   * The HubSpot custom properties the flow writes with these settings (none when it does not write
   * HubSpot): `pnpm leadrelay hubspot setup` creates those of the chosen flows.
   */
  hubspotProperties?: (
    settings: Record<string, string | undefined>,
  ) => ReadonlyArray<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }>;
  /**
   * The settings a deploy bakes into the template, read from the environment of `sst deploy` and
   * checked (a bad or missing one throws a message naming it). Absent: the tasks' `env` names are
   * copied from the environment when set.
   */
  deploySettings?: (
    env: Record<string, string | undefined>,
    context: DeployContext,
  ) => Record<string, string>;
  /**
   * The schema of the flow's own settings (names no other flow reads, e.g. triage's TRIAGE_ACTIONS).
   * A deploy checks every setting a Task declares with it, or with the shared schema
   * (functions/src/config.ts) for the shared names, before anything is built.
   */
  settings?: Readonly<Record<string, ZodMiniType>>;
  /** The definition with these settings applied (e.g. a Wait's seconds); the ASL as is when absent. */
  configure?: (definition: AslDefinition, settings: Record<string, string | undefined>) => AslDefinition;
  /** ARN placeholder → the Lambda that plays it. */
  tasks: Record<string, TaskSpec>;
  /**
   * Key patterns of the flow's storage that hold business state beyond one event (e.g. "at most
   * one deal per contact and campaign"): never expired by retention (retention.ts). Every other
   * key of the flow's and its source's grants is per event and expires with its execution.
   */
  retainedKeys?: readonly string[];
  /** What the flow does through vendors, in the order it does them (see FlowAction). */
  actions: readonly FlowAction[];
  /** How its executions read to a person: key, title, outcome. */
  view: FlowView;
  /** Error names this flow's own handlers throw (the ASL contract test accepts them besides core's). */
  errorNames: readonly string[];
  /**
   * States where a caught error may end without a `Fail` (a degraded outcome the history shows, e.g.
   * "recorded without the email"): the infra tests accept a Catch path that reaches one of them.
   */
  degradedStates?: readonly string[];
}

/**
 * The definition a flow runs with these settings: what the stacks deploy and what the local runtime
 * runs, from this one function so the two cannot drift apart (an infra test checks the template).
 */
export function configuredDefinition(
  flow: Pick<FlowSpec, "asl" | "configure"> & { tasks?: FlowSpec["tasks"] },
  settings: Record<string, string | undefined>,
): AslDefinition {
  const definition = structuredClone(flow.asl);
  const configured = flow.configure ? flow.configure(definition, settings) : definition;
  return flow.tasks ? withVendorBudgets(configured, flow.tasks, settings) : configured;
}

/**
 * The actions a flow runs with these settings: those whose states its configured definition has
 * (triage's HubSpot actions only when TRIAGE_SOURCES has hubspot, announce's email only with
 * ANNOUNCE_EMAIL_TO). What a check of a stage's settings (doctor, start-up) should look at.
 */
export function chosenActions(
  flow: Pick<FlowSpec, "asl" | "configure" | "actions">,
  settings: Record<string, string | undefined>,
): FlowAction[] {
  // Without the vendor budgets: they rename no state, and a check should not stop on a bad rate.
  const definition = configuredDefinition({ asl: flow.asl, configure: flow.configure }, settings);
  const states = new Set(allStates(definition).map(({ name }) => name));
  return flow.actions.filter((action) => action.states.some((state) => states.has(state)));
}

/** The callback resource a budgeted Task becomes: its input goes to a queue, a consumer answers with the token. */
export const BUDGET_CALLBACK_RESOURCE = "arn:aws:states:::sqs:sendMessage.waitForTaskToken";
/**
 * A budgeted Task's TimeoutSeconds: its wait in the queue counts (Step Functions times the whole
 * callback). An hour holds a 10,000-lead import into Close at the default 20/1s with 3 calls per
 * lead (25 min); a Task that times out is retried (States.Timeout) and its late token dropped.
 */
export const BUDGET_TASK_TIMEOUT_SECONDS = 3_600;

/**
 * How many times a budget queue delivers a message before its dead-letter queue takes it (the
 * consumer failed each time: SQS, Step Functions or DynamoDB down, a Lambda crash or timeout).
 * The dead-letter consumer then fails the Task at once (`BudgetDeliveryFailed`).
 */
export const BUDGET_MAX_DELIVERIES = 5;

/** The definition placeholder of a budgeted Task's queue URL: `${FetchLeadFunctionArnBudgetQueue}`. */
export const budgetQueuePlaceholder = (taskPlaceholder: string) => `${taskPlaceholder}BudgetQueue`;

/**
 * Every Task whose calls draw on a budget that applies with these settings becomes a callback
 * Task (`sqs:sendMessage.waitForTaskToken`): its input (its `Parameters`, or the state input) and
 * the task token go to the Task's queue, and the Task's own code answers once the vendor's budget
 * allows (on AWS an SQS consumer, locally the runtime's vendor gate). ResultSelector, ResultPath,
 * Retry and Catch stay as they are: the consumer answers with the Lambda's result, or fails with
 * the Lambda's error name and a Lambda-shaped cause. The ASL files stay as written.
 */
export function withVendorBudgets(
  definition: AslDefinition,
  tasks: Record<string, TaskSpec>,
  settings: Record<string, string | undefined>,
): AslDefinition {
  const budgets = applicableBudgets(settings);
  if (budgets.size === 0) return definition;
  for (const { state } of allStates(definition)) {
    if (state.Type !== "Task" || typeof state.Resource !== "string") continue;
    const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource)?.[1];
    const task = placeholder ? tasks[placeholder] : undefined;
    if (!placeholder || !task) continue;
    if (Object.keys(budgetedCalls(task.calls, budgets)).length === 0) continue;
    rewriteAsCallback(state, placeholder, task.id);
  }
  return definition;
}

function rewriteAsCallback(state: AslState, placeholder: string, taskId: string) {
  const input = state.Parameters === undefined ? { "input.$": "$" } : { input: state.Parameters };
  state.Resource = BUDGET_CALLBACK_RESOURCE;
  state.Parameters = {
    QueueUrl: `\${${budgetQueuePlaceholder(placeholder)}}`,
    // `task` names it in the stage's one dead-letter queue (budget-dead-letters.ts).
    MessageBody: { "taskToken.$": "$$.Task.Token", task: taskId, ...input },
  };
  state.TimeoutSeconds = BUDGET_TASK_TIMEOUT_SECONDS;
}

// ── sources ──────────────────────────────────────────────────────────────────

export interface SourceRequest {
  method: string;
  path: string;
  pathParameters: Record<string, string>;
  query: URLSearchParams;
  /** Lower-case names; repeated headers joined with commas (API Gateway v2). */
  headers: Record<string, string | undefined>;
  /** The exact bytes received. */
  body: Buffer;
}

export interface SourceAnswer {
  status: number;
  body: Record<string, unknown> | string;
  /** Kept in the log only, never in the answer (why a request was refused). */
  logReason?: string;
}

/** One business event of a delivery: it starts one execution, named `name`, in every subscribed flow. */
export interface SourceEvent {
  name: string;
  input: Record<string, unknown>;
}

export type SourceVerdict =
  /** Answered without storing or starting anything: refused, malformed, ignored, a handshake. */
  | { kind: "answer"; answer: SourceAnswer }
  /** Acknowledged (so the sender stops retrying) and kept under `key` so that nothing is lost. */
  | { kind: "reject"; key: string; reason: string }
  | {
      kind: "accept";
      /** Where the raw body is stored once, byte for byte. */
      rawKey: string;
      events: SourceEvent[];
      /** Extra fields of the answer (e.g. the lead id). */
      fields?: Record<string, unknown>;
    };

export interface SourceContext {
  secrets: Record<string, string | undefined>;
  /** The values of the source's `settings`. */
  settings?: Record<string, string | undefined>;
  /** epoch ms */
  now: number;
}

export interface SourceSpec {
  id: string;
  /** API Gateway route keys, e.g. "POST /webhook/close", "POST /webhook/lgm/{token}". */
  routes: readonly string[];
  /** The ingest Lambda: "packages/functions/src/sources/close.handler". */
  handler: string;
  /** Env names of the source's secrets (SST secrets on AWS; generated locally when unset). */
  secrets: readonly string[];
  /**
   * Secrets the vendor makes when the webhook is registered, which needs the deployed URL: each
   * with the command that sets it (Close's signature key: `pnpm leadrelay connect close`). A deploy
   * binds them even unset; until one is set the ingest answers 503 naming it and the command (the
   * sender retries), and `doctor --stage` reports it.
   */
  setAfterDeploy?: Readonly<Record<string, string>>;
  /** Env names of plain settings the source reads (passed to the ingest Lambda when set). */
  settings?: readonly string[];
  maxBodyBytes: number;
  /** Key patterns the ingest Lambda may create (`*` for the varying part). */
  storage: readonly string[];
  /** Status of a successful acceptance (202; Meta wants 200). */
  acceptStatus?: number;
  /** Status of a rejected-but-kept delivery (202 by default; Meta wants 200 for anything it should not resend). */
  rejectStatus?: number;
  /** Verify, parse, decide: pure, no I/O. */
  receive(request: SourceRequest, context: SourceContext): SourceVerdict;
}

/** The env variable that carries a flow's state machine ARN to its source's ingest Lambda. */
export function stateMachineArnVariable(flowId: string): string {
  return `STATE_MACHINE_ARN_${flowId.toUpperCase().replace(/[^A-Z0-9]+/g, "_")}`;
}

/** A flow's sources setting names an unknown source or none. */
export class SourceChoiceError extends DeploySettingsError {}

/**
 * The sources that start a flow with these settings: `flow.source`, or the ones its `sourceChoice`
 * setting names (a comma list of source ids; the default when unset or blank). Throws
 * SourceChoiceError naming the setting and the valid ids.
 */
export function flowSources(
  flow: Pick<FlowSpec, "id" | "source" | "sourceChoice">,
  settings: Record<string, string | undefined>,
): SourceSpec[] {
  const choice = flow.sourceChoice;
  if (!choice) return [flow.source];
  const value = settings[choice.setting];
  const wanted =
    value === undefined || value.trim() === ""
      ? [...choice.default]
      : value
          .split(",")
          .map((id) => id.trim().toLowerCase())
          .filter(Boolean);
  const known = choice.sources.map((source) => source.id);
  const unknown = wanted.filter((id) => !known.includes(id));
  if (unknown.length > 0 || wanted.length === 0) {
    throw new SourceChoiceError(
      `${choice.setting} ${unknown.length > 0 ? `names unknown source(s) ${unknown.join(", ")}` : "names no source"}; ` +
        `the ${flow.id} flow's sources are ${known.join(", ")} (comma-separated)`,
    );
  }
  return choice.sources.filter((source) => wanted.includes(source.id));
}

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createSlackPoster,
  type FlowSpec,
  type HandlerBuild,
  LAMBDA_TIMEOUT_SECONDS,
  storeFromEnv,
  type TaskKit,
  type TaskSpec,
} from "@leadrelay/functions";
import { alertEmailFromEnv } from "@leadrelay/functions/alerts/alert-channels";
import { createSkippedAlerter } from "@leadrelay/functions/alerts/skipped-alert";
import { budgetQueuePlaceholder, configuredDefinition } from "@leadrelay/functions/flow-spec";
import { alertOnSkipped, type SkipReporting, withSkipReports } from "@leadrelay/functions/skipped-report";
import {
  allStates,
  budgetedTaskPlaceholder,
  substituteArns,
  taskPlaceholders,
} from "@leadrelay/functions/state-machine";
import { type TaskAction, taskActions } from "@leadrelay/functions/task-actions";
import type { ExecutionStorage } from "./execution-store";
import { LocalStepFunctions, type TaskHandler } from "./local-step-functions";
import type { TaskSlots } from "./task-slots";
import type { VendorGates } from "./vendor-gate";

export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
export const LOCAL_ACCOUNT = "000000000000";

type Env = Record<string, string | undefined>;

/** The announce state machine keeps the name it had before there were flows (scripts and ARNs rely on it). */
export function localStateMachineName(flowId: string): string {
  return flowId === "announce" ? "leadrelay-local" : `leadrelay-local-${flowId}`;
}

/** A Lambda entry "dir/file.handler" → its module and the factory it exports, as Lambda would load it. */
export async function loadBuild(handler: string): Promise<HandlerBuild> {
  const file = join(REPO_ROOT, `${handler.replace(/\.[^./]+$/, "")}.ts`);
  const module = (await import(pathToFileURL(file).href)) as { build?: HandlerBuild };
  if (typeof module.build !== "function") {
    throw new Error(`${file} must export \`build\` (the handler's factory) for the local runtime`);
  }
  return module.build;
}

const moduleName = (handler: string) =>
  handler
    .replace(/\.[^./]+$/, "")
    .split("/")
    .at(-1) ?? handler;

/** What a Lambda of this task gets on AWS: its listed settings and secrets, and the bucket. */
export function taskEnv(task: TaskSpec, settings: Env): Env {
  const names = [
    ...(task.env ?? []),
    ...(task.secrets ?? []),
    ...(task.optionalSecrets ?? []),
    "BUCKET_NAME",
    "HTTP_TIMEOUT_MS",
    "EVENT_BUS_NAME",
  ];
  return Object.fromEntries(names.map((name) => [name, settings[name]]));
}

export interface HostOptions {
  settings: Env;
  kit: TaskKit;
  region: string;
  /** Where this flow's execution records are kept (the runtime's journal). */
  executions: ExecutionStorage;
  retryIntervalMs?: number;
  taskConcurrency?: number;
  /** One pool of task slots for every flow of the runtime, like an account's Lambda concurrency. */
  slots?: TaskSlots;
  /** Overrides every task's Lambda timeout (tests of a hung handler). */
  lambdaTimeoutSeconds?: number;
  /** The runtime's vendor budgets, shared by every flow: a Task with `calls` waits there before its slot. */
  gates?: VendorGates;
  /**
   * LEADRELAY_ALERT_ON_SKIPPED=true: each Task that skips an action alerts, as on AWS, here to the
   * failure alerts' Slack (ALERT_SLACK_WEBHOOK_URL or the stand-in), linking to the console.
   */
  skippedAlerts?: { slackWebhookUrl: string; consoleUrl: string };
}

/**
 * The Task's reporting of skipped actions (the reporter the Lambda entry adds on AWS): locally only
 * the alert, `/metrics` counts the actions of every execution already.
 */
function localSkipReporting(
  flow: FlowSpec,
  actions: TaskAction[],
  options: HostOptions,
): SkipReporting | undefined {
  const alerts = options.skippedAlerts;
  if (!alerts || !alertOnSkipped(options.settings) || actions.length === 0) return undefined;
  const env = { ...options.settings, SLACK_WEBHOOK_URL: alerts.slackWebhookUrl };
  return {
    flow: flow.id,
    actions,
    log: options.kit.log,
    alert: createSkippedAlerter(
      {
        store: storeFromEnv(env, options.kit),
        slack: createSlackPoster(alerts.slackWebhookUrl),
        ...alertEmailFromEnv(env, options.kit),
      },
      {
        flow: flow.id,
        link: `${alerts.consoleUrl}/console?flow=${encodeURIComponent(flow.id)}&status=skipped`,
      },
    ),
  };
}

/**
 * One flow's state machine on the local engine: the flow's ASL with its settings applied, each
 * Task played by the handler module the Lambda would run, built with this runtime's kit.
 */
export async function hostFlow(flow: FlowSpec, options: HostOptions): Promise<LocalStepFunctions> {
  const definition = configuredDefinition(flow, options.settings);
  const placeholders = taskPlaceholders(definition, Object.keys(flow.tasks));
  // Named after the handler module, as the function is on AWS: "leadrelay-local-announce-notify-slack".
  const lambdaArn = (task: TaskSpec) =>
    `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT}:function:leadrelay-local-${flow.id}-${moduleName(task.handler)}`;
  const functions: Record<string, TaskHandler> = {};
  for (const [placeholder, task] of Object.entries(flow.tasks)) {
    const build = await loadBuild(task.handler);
    functions[placeholder] = withSkipReports(
      build(taskEnv(task, options.settings), options.kit),
      localSkipReporting(flow, taskActions(flow, definition, placeholder), options),
    );
  }
  const arns: Record<string, string> = {};
  for (const [placeholder, task] of Object.entries(flow.tasks)) {
    arns[placeholder] = lambdaArn(task);
    // Where a Task waiting for its vendor budget would be queued on AWS (shown in its history).
    arns[budgetQueuePlaceholder(placeholder)] =
      `https://sqs.${options.region}.amazonaws.com/${LOCAL_ACCOUNT}/leadrelay-local-${flow.id}-${task.id}-budget`;
  }
  const taskOf = (placeholder: string) => flow.tasks[placeholder] as TaskSpec;
  // A callback Task (rewritten for a budget) hands its Lambda the message body's input, as the SQS consumer does.
  const callbackStates = new Set(
    allStates(definition)
      .filter(({ state }) => budgetedTaskPlaceholder(state) !== undefined)
      .map(({ name }) => name),
  );
  const handlerOf = (state: string, placeholder: string): TaskHandler => {
    const fn = functions[placeholder] as TaskHandler;
    if (!callbackStates.has(state)) return fn;
    return (message) => fn((message as { MessageBody?: { input?: unknown } }).MessageBody?.input);
  };
  const gates = options.gates;
  return new LocalStepFunctions({
    definition: substituteArns(definition, arns),
    stateMachineName: localStateMachineName(flow.id),
    region: options.region,
    account: LOCAL_ACCOUNT,
    handlers: Object.fromEntries(
      Object.entries(placeholders).map(([state, placeholder]) => [state, handlerOf(state, placeholder)]),
    ),
    admissions: gates
      ? Object.fromEntries(
          Object.entries(placeholders)
            .filter(([, placeholder]) => taskOf(placeholder).calls !== undefined)
            .map(([state, placeholder]) => [
              state,
              <T>(run: () => Promise<T>, inSlot: (work: () => Promise<T>) => Promise<T>) =>
                gates.admit(taskOf(placeholder).calls ?? {}, run, inSlot),
            ]),
        )
      : undefined,
    resources: Object.fromEntries(
      Object.entries(placeholders).map(([state, placeholder]) => [state, lambdaArn(taskOf(placeholder))]),
    ),
    lambdaTimeouts: Object.fromEntries(
      Object.entries(placeholders).map(([state, placeholder]) => [
        state,
        taskOf(placeholder).timeoutSeconds ?? options.lambdaTimeoutSeconds ?? LAMBDA_TIMEOUT_SECONDS,
      ]),
    ),
    retryIntervalMs: options.retryIntervalMs,
    taskConcurrency: options.taskConcurrency,
    slots: options.slots,
    executions: options.executions,
  });
}

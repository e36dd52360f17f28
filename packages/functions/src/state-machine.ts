import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The one ASL file: CDK deploys it, the local runtime runs it. */
export const DEFINITION_PATH = fileURLToPath(
  new URL("../statemachine/lead-pipeline.asl.json", import.meta.url),
);

/** Definition substitution variable → the Lambda (handler module) it stands for. */
export const TASK_FUNCTIONS = {
  FetchRawFunctionArn: "fetch-raw",
  FetchOwnerFunctionArn: "fetch-owner",
  MergeAndStoreFunctionArn: "merge-and-store",
  NotifySlackFunctionArn: "notify-slack",
} as const;
export type SubstitutionName = keyof typeof TASK_FUNCTIONS;
export type TaskFunction = (typeof TASK_FUNCTIONS)[SubstitutionName];

export const WAIT_STATE = "HoldForOwner";
export const DEFAULT_WAIT_SECONDS = 600;

export interface AslState {
  Type: string;
  Resource?: string;
  Seconds?: number;
  Retry?: Array<{
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
    JitterStrategy?: string;
  }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Next?: string;
  Error?: string;
  [other: string]: unknown;
}
export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
  [other: string]: unknown;
}

export function readDefinitionText(): string {
  return readFileSync(DEFINITION_PATH, "utf8");
}

/**
 * The definition with the hold time set. ARNs stay `${…}` placeholders: CloudFormation
 * substitutes them in AWS, `substituteArns` does it locally.
 */
export function definitionWithWait(waitSeconds: number = DEFAULT_WAIT_SECONDS): AslDefinition {
  const definition = JSON.parse(readDefinitionText()) as AslDefinition;
  const wait = definition.States[WAIT_STATE];
  if (wait?.Type !== "Wait") throw new Error(`The definition has no Wait state ${WAIT_STATE}`);
  wait.Seconds = waitSeconds;
  return definition;
}

export function substituteArns(
  definition: AslDefinition,
  arns: Record<SubstitutionName, string>,
): AslDefinition {
  const text = JSON.stringify(definition).replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const arn = (arns as Record<string, string>)[name];
    if (arn === undefined) throw new Error(`No value for definition substitution ${match}`);
    return arn;
  });
  return JSON.parse(text) as AslDefinition;
}

/** Task state name → the Lambda it invokes, read from the placeholders of the file itself. */
export function taskStateFunctions(
  definition: AslDefinition = definitionWithWait(),
): Record<string, TaskFunction> {
  const out: Record<string, TaskFunction> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== "Task" || typeof state.Resource !== "string") continue;
    const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource)?.[1];
    if (!placeholder || !(placeholder in TASK_FUNCTIONS)) {
      throw new Error(
        `Task state ${name} must use one of the Lambda ARN placeholders, not ${state.Resource}`,
      );
    }
    out[name] = TASK_FUNCTIONS[placeholder as SubstitutionName];
  }
  return out;
}

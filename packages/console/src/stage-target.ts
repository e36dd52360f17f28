import { readFileSync } from "node:fs";
import { regionOfArn } from "./aws-console-links";

/** What `pnpm console` points at in AWS. */
export interface StageTarget {
  stateMachineArn: string;
  bucket: string;
  region: string;
  /** Where each value came from, for the start-up line. */
  source: string;
}

export interface StageFlags {
  stage?: string;
  stateMachineArn?: string;
  bucket?: string;
  region?: string;
  /** SST v2 writes `.sst/outputs.json` after `sst deploy` / `sst dev`. */
  outputsFile: string;
  /** The SST app name (sst.config.ts `name`): stack ids are `<stage>-<app>-<Stack>`. */
  app: string;
}

export class StageTargetError extends Error {
  override readonly name = "StageTargetError";
}

type Outputs = Record<string, Record<string, unknown>>;

function readOutputs(file: string): Outputs | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" ? (value as Outputs) : undefined;
  } catch {
    throw new StageTargetError(`${file} is not JSON`);
  }
}

/**
 * The stage's outputs from `.sst/outputs.json` (`{ "<stage>-<app>-<Stack>": { Output: value } }`,
 * all stacks of the last deploy): the first stack of the stage that has each output.
 */
export function stageOutputs(outputs: Outputs, stage: string, app: string): Record<string, string> {
  const prefix = `${stage}-${app}-`;
  const found: Record<string, string> = {};
  for (const [stack, values] of Object.entries(outputs)) {
    if (!stack.startsWith(prefix) || !values || typeof values !== "object") continue;
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === "string" && !(key in found)) found[key] = value;
    }
  }
  return found;
}

/** Flags win; what they leave out comes from the stage's SST outputs; the region defaults to the ARN's. */
export function resolveStageTarget(flags: StageFlags): StageTarget {
  const sources: string[] = [];
  let stateMachineArn = flags.stateMachineArn;
  let bucket = flags.bucket;
  if ((!stateMachineArn || !bucket) && flags.stage) {
    const outputs = readOutputs(flags.outputsFile);
    if (outputs) {
      const stage = stageOutputs(outputs, flags.stage, flags.app);
      if (!stateMachineArn && stage.StateMachineArn) {
        stateMachineArn = stage.StateMachineArn;
        sources.push(`state machine from ${flags.outputsFile}`);
      }
      if (!bucket && stage.BucketName) {
        bucket = stage.BucketName;
        sources.push(`bucket from ${flags.outputsFile}`);
      }
    }
  }
  const missing = [!stateMachineArn && "--state-machine-arn", !bucket && "--bucket"].filter(Boolean);
  if (missing.length > 0 || !stateMachineArn || !bucket) {
    const where = flags.stage
      ? `no ${flags.stage} stage outputs in ${flags.outputsFile} (SST writes it on \`sst deploy --stage ${flags.stage}\`)`
      : "no --stage given";
    throw new StageTargetError(`pass ${missing.join(" and ")}: ${where}`);
  }
  if (!/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(stateMachineArn)) {
    throw new StageTargetError(`not a state machine ARN: ${stateMachineArn}`);
  }
  const region = flags.region ?? regionOfArn(stateMachineArn);
  if (!region) throw new StageTargetError("pass --region");
  if (flags.stateMachineArn) sources.push("state machine from --state-machine-arn");
  if (flags.bucket) sources.push("bucket from --bucket");
  return { stateMachineArn, bucket, region, source: sources.join(", ") };
}

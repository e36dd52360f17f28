import { readFileSync } from "node:fs";
import { regionOfArn } from "./aws-console-links";

/** Flow ids are a contract (FLOWS.md): state machine names end with them. */
export const CONTRACT_FLOW_IDS = [
  "announce",
  "triage",
  "deal-stage",
  "meta-leads",
  "linkedin-replies",
] as const;

/** One flow's state machine in AWS. */
export interface FlowArn {
  id: string;
  stateMachineArn: string;
}

/** What `pnpm console` and `leadrelay --aws` point at in AWS. */
export interface StageTarget {
  /** Every flow's state machine, announce first. */
  flows: FlowArn[];
  /** The announce state machine (or the first flow's). */
  stateMachineArn: string;
  /** Empty when not needed and not found (the CLI reads no objects). */
  bucket: string;
  region: string;
  /** Where each value came from, for the start-up line. */
  source: string;
}

export interface StageFlags {
  stage?: string;
  /** `--state-machine-arn`, repeatable: `ARN` or `<flow>=ARN`. */
  stateMachineArn?: string | readonly string[];
  bucket?: string;
  region?: string;
  /** SST v2 writes `.sst/outputs.json` after `sst deploy` / `sst dev`. */
  outputsFile: string;
  /** The SST app name (sst.config.ts `name`): stack ids are `<stage>-<app>-<Stack>`. */
  app: string;
  /** The console reads objects; the CLI does not. */
  needsBucket?: boolean;
}

export class StageTargetError extends Error {
  override readonly name = "StageTargetError";
}

type Outputs = Record<string, Record<string, unknown>>;

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/;
const OUTPUT_PREFIX = "StateMachineArn";

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

/** `DealStage` → `deal-stage` (stacks/Flows.ts names outputs `StateMachineArn<Pascal flow id>`). */
export function flowIdOfPascal(pascal: string): string {
  return pascal.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();
}

/**
 * Every flow's ARN among a stage's outputs: `StateMachineArn<Flow>` per flow; the bare
 * `StateMachineArn` (announce, written since before there were flows) when no per-flow output names announce.
 */
export function flowArnsOfOutputs(outputs: Record<string, string>): FlowArn[] {
  const flows: FlowArn[] = [];
  for (const [name, value] of Object.entries(outputs)) {
    if (!name.startsWith(OUTPUT_PREFIX) || name === OUTPUT_PREFIX) continue;
    const suffix = name.slice(OUTPUT_PREFIX.length);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(suffix)) continue;
    flows.push({ id: flowIdOfPascal(suffix), stateMachineArn: value });
  }
  const legacy = outputs[OUTPUT_PREFIX];
  if (legacy && !flows.some((flow) => flow.id === "announce"))
    flows.push({ id: "announce", stateMachineArn: legacy });
  return orderFlows(flows);
}

/**
 * A `--state-machine-arn` value: `<flow>=ARN`, or a bare ARN whose state machine name ends with a
 * flow id (`prod-leadrelay-triage`); a lone bare ARN that names no flow is announce's, as before flows.
 */
export function flowArnOfFlag(
  value: string,
  lone: boolean,
  known: readonly string[] = CONTRACT_FLOW_IDS,
): FlowArn {
  const at = value.indexOf("=");
  if (at > 0 && !value.slice(0, at).startsWith("arn:")) {
    return { id: value.slice(0, at), stateMachineArn: value.slice(at + 1) };
  }
  const name = value.split(":").at(-1) ?? "";
  // The longest id that ends the name: "…-linkedin-replies" is not "…-replies".
  const id = [...known]
    .sort((a, b) => b.length - a.length)
    .find((candidate) => name === candidate || name.endsWith(`-${candidate}`));
  if (id) return { id, stateMachineArn: value };
  if (lone) return { id: "announce", stateMachineArn: value };
  throw new StageTargetError(
    `cannot tell which flow ${value} runs: pass it as <flow>=ARN (flows: ${known.join(", ")})`,
  );
}

/** Announce first, then the contract's order, then the rest by id. */
function orderFlows(flows: FlowArn[]): FlowArn[] {
  const rank = (id: string) => {
    const at = (CONTRACT_FLOW_IDS as readonly string[]).indexOf(id);
    return at === -1 ? CONTRACT_FLOW_IDS.length : at;
  };
  return [...flows].sort((a, b) => rank(a.id) - rank(b.id) || (a.id < b.id ? -1 : 1));
}

/** Flags win; what they leave out comes from the stage's SST outputs; the region defaults to the ARNs'. */
export function resolveStageTarget(flags: StageFlags): StageTarget {
  const sources: string[] = [];
  const given = [flags.stateMachineArn ?? []].flat();
  let flows = given.map((value) => flowArnOfFlag(value, given.length === 1));
  let bucket = flags.bucket;
  const needsBucket = flags.needsBucket ?? true;
  if ((flows.length === 0 || (!bucket && needsBucket)) && flags.stage) {
    const outputs = readOutputs(flags.outputsFile);
    if (outputs) {
      const stage = stageOutputs(outputs, flags.stage, flags.app);
      if (flows.length === 0) {
        flows = flowArnsOfOutputs(stage);
        if (flows.length > 0) sources.push(`state machines from ${flags.outputsFile}`);
      }
      if (!bucket && stage.BucketName) {
        bucket = stage.BucketName;
        sources.push(`bucket from ${flags.outputsFile}`);
      }
    }
  }
  const missing = [flows.length === 0 && "--state-machine-arn", needsBucket && !bucket && "--bucket"].filter(
    Boolean,
  );
  if (missing.length > 0) {
    const where = flags.stage
      ? `no ${flags.stage} stage outputs in ${flags.outputsFile} (SST writes it on \`sst deploy --stage ${flags.stage}\`)`
      : "no --stage given";
    throw new StageTargetError(`pass ${missing.join(" and ")}: ${where}`);
  }
  const seen = new Set<string>();
  for (const flow of flows) {
    if (!STATE_MACHINE_ARN.test(flow.stateMachineArn)) {
      throw new StageTargetError(`not a state machine ARN: ${flow.stateMachineArn}`);
    }
    if (seen.has(flow.id)) throw new StageTargetError(`two state machines for flow ${flow.id}`);
    seen.add(flow.id);
  }
  flows = orderFlows(flows);
  const first = flows[0] as FlowArn;
  const region = flags.region ?? regionOfArn(first.stateMachineArn);
  if (!region) throw new StageTargetError("pass --region");
  if (given.length > 0) sources.push("state machines from --state-machine-arn");
  if (flags.bucket) sources.push("bucket from --bucket");
  return {
    flows,
    stateMachineArn: (flows.find((flow) => flow.id === "announce") ?? first).stateMachineArn,
    bucket: bucket ?? "",
    region,
    source: sources.join(", "),
  };
}

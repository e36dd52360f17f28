import { readFileSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import type { FlowTarget } from "@leadrelay/console";
import { resolveStageTarget } from "@leadrelay/console/stage-target";
import type { ObjectStore } from "@leadrelay/core";
import { createS3Store } from "@leadrelay/functions";
import type { RuntimeInfo } from "./runtime";

/**
 * The local runtime's fixed credentials (runtime.ts; its facade accepts any), repeated here so that
 * a CLI command does not load the whole runtime and every flow to make one call.
 */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/** Where the CLI's Step Functions calls go: every flow's state machine, locally or in AWS. */
export interface CliTarget {
  where: string;
  flows: FlowTarget[];
  sfn: SFNClient;
  /** The runtime's bucket (local only): a flow may name the person from a stored object. */
  store?: ObjectStore;
}

export interface TargetFlags {
  aws?: boolean;
  stage?: string;
  stateMachineArns?: readonly string[];
  region?: string;
  profile?: string;
  outputs?: string;
  app?: string;
}

export class NoLocalRuntime extends Error {
  override readonly name = "NoLocalRuntime";
}

export function dataDir(): string {
  return process.env.LEADRELAY_DATA_DIR || ".leadrelay";
}

/** `<data dir>/runtime.json`, written by a running `pnpm start`. */
export function localInfo(): RuntimeInfo {
  const file = join(dataDir(), "runtime.json");
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RuntimeInfo;
  } catch {
    throw new NoLocalRuntime(
      `no local runtime found (${file} is missing): start one with 'pnpm start', or use --aws`,
    );
  }
}

/** The local runtime's flows (runtime.json `flows`; a runtime from before flows has only announce's ARN). */
function localTarget(): CliTarget {
  const info = localInfo();
  const flows = info.flows?.length
    ? info.flows
    : [
        {
          id: "announce",
          title: "Announce new leads in Slack",
          stateMachineArn: info.stateMachineArn,
          source: "close",
        },
      ];
  const sfn = new SFNClient({
    endpoint: info.sfnEndpoint,
    region: info.region,
    credentials: LOCAL_CREDENTIALS,
  });
  const s3 = new S3Client({
    endpoint: info.s3Endpoint,
    region: info.region,
    credentials: LOCAL_CREDENTIALS,
    forcePathStyle: true,
  });
  return {
    where: `local runtime ${info.url}`,
    sfn,
    store: info.s3Endpoint && info.bucket ? createS3Store(s3, info.bucket) : undefined,
    flows: flows.map((flow) => ({ ...flow, sfn })),
  };
}

/** AWS: `--stage` (SST's outputs, as `pnpm console` reads them) or `--state-machine-arn` per flow; your credentials. */
async function awsTarget(flags: TargetFlags): Promise<CliTarget> {
  const target = resolveStageTarget({
    stage: flags.stage,
    stateMachineArn: flags.stateMachineArns,
    region: flags.region,
    outputsFile: flags.outputs ?? join(process.cwd(), ".sst", "outputs.json"),
    app: flags.app ?? "leadrelay",
    needsBucket: false,
  });
  // The SDK's default chain reads AWS_PROFILE; the CLI never sees or prints the keys.
  if (flags.profile) process.env.AWS_PROFILE = flags.profile;
  const { FLOWS } = await import("../../flows/registry");
  const titles = new Map(FLOWS.map((flow) => [flow.id, flow.title]));
  const sfn = new SFNClient({ region: target.region });
  return {
    where: `AWS${flags.stage ? ` stage ${flags.stage}` : ""} (${target.region})`,
    sfn,
    flows: target.flows.map((flow) => ({ ...flow, title: titles.get(flow.id) ?? flow.id, sfn })),
  };
}

export async function resolveTarget(flags: TargetFlags): Promise<CliTarget> {
  return flags.aws || flags.stage || flags.stateMachineArns?.length ? awsTarget(flags) : localTarget();
}

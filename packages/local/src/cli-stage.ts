import { readFileSync } from "node:fs";
import { join } from "node:path";
import { regionOfArn } from "@leadrelay/console/aws-console-links";
import { stageOutputs } from "@leadrelay/console/stage-target";

/** A deployed stage as `doctor --stage` and `connect --stage` see it: its SST outputs and region. */
export interface StageContext {
  app: string;
  stage: string;
  region: string;
  /** `.sst/outputs.json`'s values of this stage (`WebhookUrlClose`, `StateMachineArn<Flow>`, `EventBusName`…). */
  outputs: Record<string, string>;
  outputsFile: string;
}

export class StageError extends Error {
  override readonly name = "StageError";
}

export function readStage(
  flags: { stage: string; app?: string; region?: string; outputs?: string },
  env: Record<string, string | undefined> = process.env,
): StageContext {
  const app = flags.app ?? "leadrelay";
  const outputsFile = flags.outputs ?? join(process.cwd(), ".sst", "outputs.json");
  let all: Record<string, Record<string, unknown>> = {};
  try {
    all = JSON.parse(readFileSync(outputsFile, "utf8")) as typeof all;
  } catch {
    throw new StageError(
      `no outputs of stage ${flags.stage} in ${outputsFile}: SST writes it on 'pnpm exec sst deploy --stage ${flags.stage}'`,
    );
  }
  const outputs = stageOutputs(all, flags.stage, app);
  if (Object.keys(outputs).length === 0)
    throw new StageError(`${outputsFile} has no outputs of stage ${flags.stage} (app ${app})`);
  const arn = Object.entries(outputs).find(([name]) => name.startsWith("StateMachineArn"))?.[1];
  const region = flags.region ?? env.LEADRELAY_REGION ?? (arn ? regionOfArn(arn) : undefined) ?? "us-east-1";
  return { app, stage: flags.stage, region, outputs, outputsFile };
}

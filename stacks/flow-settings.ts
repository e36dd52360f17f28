import { selectFlows } from "../packages/flows/registry";
import type { DeployContext, FlowSpec } from "../packages/functions/src/flow-spec";
import { TEST_STAGE } from "./stage-policy";

/** The flows a stage deploys: `LEADRELAY_FLOWS`, `announce` by default; the offline test stage synthesizes all. */
export function deployedFlows(stage: string, env: Record<string, string | undefined>): FlowSpec[] {
  if (stage === TEST_STAGE && !env.LEADRELAY_FLOWS) return selectFlows(undefined, "all");
  return selectFlows(env.LEADRELAY_FLOWS, ["announce"]);
}

export function deployContext(stage: string, mode: DeployContext["mode"]): DeployContext {
  return { stage, mode, offline: stage === TEST_STAGE || mode === "remove" };
}

/** What a flow's functions get from the deploying shell: its own checked settings, or the listed names as set. */
export function settingsFor(
  flow: FlowSpec,
  env: Record<string, string | undefined>,
  context: DeployContext,
): Record<string, string> {
  if (flow.deploySettings) return flow.deploySettings(env, context);
  const names = new Set(Object.values(flow.tasks).flatMap((task) => task.env ?? []));
  const settings: Record<string, string> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) settings[name] = value;
  }
  return settings;
}

import { selectFlows } from "../packages/flows/registry";
import { ConfigError, EnvSchema, readEnv } from "../packages/functions/src/config";
import { type DeployContext, DeploySettingsError, type FlowSpec } from "../packages/functions/src/flow-spec";
import { TEST_STAGE } from "./stage-policy";

/** The flows a stage deploys: `LEADRELAY_FLOWS`, `announce` by default; the offline test stage synthesizes all. */
export function deployedFlows(stage: string, env: Record<string, string | undefined>): FlowSpec[] {
  if (stage === TEST_STAGE && !env.LEADRELAY_FLOWS) return selectFlows(undefined, "all");
  return selectFlows(env.LEADRELAY_FLOWS, ["announce"]);
}

export function deployContext(stage: string, mode: DeployContext["mode"]): DeployContext {
  return { stage, mode, offline: stage === TEST_STAGE || mode === "remove" };
}

/**
 * Every setting and secret a flow declares: its tasks' `env`, `secrets`, `optionalSecrets`, every
 * source's secrets it may listen to, and the setting that chooses them (TRIAGE_SOURCES).
 */
export function flowSettingNames(flow: FlowSpec): string[] {
  return [
    ...new Set([
      ...flow.source.secrets,
      ...(flow.sourceChoice
        ? [flow.sourceChoice.setting, ...flow.sourceChoice.sources.flatMap((source) => source.secrets)]
        : []),
      ...Object.values(flow.tasks).flatMap((task) => [
        ...(task.env ?? []),
        ...(task.secrets ?? []),
        ...(task.optionalSecrets ?? []),
      ]),
    ]),
  ];
}

type Shape = Parameters<typeof readEnv>[0];

/**
 * Checks a flow's settings with the flow's own schema (`FlowSpec.settings`), the shared schema for
 * the shared names: a bad value stops the deploy naming the variable and what it accepts.
 */
export function checkFlowSettings(flow: FlowSpec, settings: Record<string, string>, stage: string): void {
  const shared: Shape = EnvSchema;
  const shape: Shape = {};
  for (const name of Object.keys(settings)) {
    const schema = flow.settings?.[name] ?? shared[name];
    if (schema) shape[name] = schema;
  }
  try {
    readEnv(shape, settings);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new DeploySettingsError(
      `flow ${flow.id} (stage "${stage}"): ${error.message.replace(/^Invalid configuration: /, "")}`,
    );
  }
}

/** What a flow's functions get from the deploying environment: its own checked settings, or the listed names as set. */
export function settingsFor(
  flow: FlowSpec,
  env: Record<string, string | undefined>,
  context: DeployContext,
): Record<string, string> {
  if (flow.deploySettings) return flow.deploySettings(env, context);
  // The tasks' settings, and the one that chooses the flow's sources (its `configure` reads it).
  const names = new Set([
    ...Object.values(flow.tasks).flatMap((task) => task.env ?? []),
    ...(flow.sourceChoice ? [flow.sourceChoice.setting] : []),
  ]);
  const settings: Record<string, string> = {};
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) settings[name] = value;
  }
  checkFlowSettings(flow, settings, context.stage);
  return settings;
}

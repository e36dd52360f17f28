import { GetParametersCommand, SSMClient } from "@aws-sdk/client-ssm";
import {
  configuredDefinition,
  DeploySettingsError,
  type FlowSpec,
  flowSources,
} from "../packages/functions/src/flow-spec";
import { taskPlaceholders } from "../packages/functions/src/state-machine";

/** Where SST v2 keeps a secret's value for a stage, and the fallback value for every stage. */
export const secretParameters = (app: string, stage: string, name: string) => [
  `/sst/${app}/${stage}/Secret/${name}/value`,
  `/sst/${app}/.fallback/Secret/${name}/value`,
];

export interface SecretNeeds {
  /** A flow cannot work without these: the deploy stops when one is not set. */
  required: Set<string>;
  /** An action is skipped without these: bound only when set. */
  optional: Set<string>;
  /**
   * A source's secrets the vendor makes once the webhook is registered at the deployed URL (Close's
   * key), each with the command that sets it: bound even unset, the deploy goes on and says so.
   */
  afterDeploy: Map<string, string>;
}

/** `env` chooses the sources of a flow whose sources are a setting (TRIAGE_SOURCES): only theirs are required. */
export function secretNeeds(
  flows: readonly FlowSpec[],
  env: Record<string, string | undefined> = {},
): SecretNeeds {
  const required = new Set<string>();
  const optional = new Set<string>();
  const afterDeploy = new Map<string, string>();
  for (const flow of flows) {
    for (const source of flowSources(flow, env)) {
      for (const name of source.secrets) {
        const command = source.setAfterDeploy?.[name];
        if (command) afterDeploy.set(name, command);
        else required.add(name);
      }
    }
    // Only the Tasks its definition calls with these settings: triage's Close Tasks (CLOSE_API_KEY)
    // are not in a HubSpot-only definition, its HubSpot ones (HUBSPOT_TOKEN) only with hubspot.
    const called = new Set(
      Object.values(taskPlaceholders(configuredDefinition(flow, env), Object.keys(flow.tasks))),
    );
    for (const [placeholder, task] of Object.entries(flow.tasks)) {
      if (!called.has(placeholder)) continue;
      for (const name of task.secrets ?? []) required.add(name);
      for (const name of task.optionalSecrets ?? []) optional.add(name);
    }
  }
  for (const name of required) {
    optional.delete(name);
    afterDeploy.delete(name);
  }
  for (const name of afterDeploy.keys()) optional.delete(name);
  return { required, optional, afterDeploy };
}

/** What the deploy says about each set-after-deploy secret that is not set yet. */
export function afterDeployNotes(stage: string, needs: SecretNeeds, set: ReadonlySet<string>): string[] {
  return [...needs.afterDeploy]
    .filter(([name]) => !set.has(name))
    .map(
      ([name, command]) =>
        `NOTE: ${name} is not set for stage "${stage}" yet: after this deploy run '${command} --stage ${stage}' (it registers the webhook and sets it). Until then that webhook answers 503 and the sender retries.`,
    );
}

export type ParameterReader = (names: string[]) => Promise<Set<string>>;

/** The SSM parameter names (of `names`) that exist, ten at a time (GetParameters' limit). */
export function ssmReader(region: string): ParameterReader {
  const ssm = new SSMClient({ region });
  return async (names) => {
    const found = new Set<string>();
    for (let i = 0; i < names.length; i += 10) {
      const out = await ssm.send(
        new GetParametersCommand({ Names: names.slice(i, i + 10), WithDecryption: false }),
      );
      for (const parameter of out.Parameters ?? []) if (parameter.Name) found.add(parameter.Name);
    }
    return found;
  };
}

/**
 * Which secrets are set for the stage (its own value or SST's fallback). A required one that is
 * not stops the deploy with a message naming each and the command that sets it.
 */
export async function checkSecrets(
  context: { app: string; stage: string },
  needs: SecretNeeds,
  read: ParameterReader,
): Promise<Set<string>> {
  const names = [...needs.required, ...needs.optional, ...needs.afterDeploy.keys()];
  const found = await read(names.flatMap((name) => secretParameters(context.app, context.stage, name)));
  const set = new Set(
    names.filter((name) => secretParameters(context.app, context.stage, name).some((p) => found.has(p))),
  );
  const missing = [...needs.required].filter((name) => !set.has(name)).sort();
  if (missing.length > 0) {
    throw new DeploySettingsError(
      `The flows chosen for stage "${context.stage}" need these secrets, which are not set: ${missing.join(", ")}. ` +
        `Set each with: pnpm exec sst secrets set <NAME> <value> --stage ${context.stage}`,
    );
  }
  return set;
}

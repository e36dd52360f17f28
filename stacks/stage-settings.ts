import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { FLOWS, UnknownFlow } from "../packages/flows/registry";
import { EnvSchema } from "../packages/functions/src/config";
import { DeploySettingsError } from "../packages/functions/src/flow-spec";
import { deployContext, deployedFlows, flowSettingNames, settingsFor } from "./flow-settings";
import { logRetentionDays } from "./log-retention";
import { operationsSettings } from "./operations-settings";

/**
 * A stage's settings live in `.env.<stage>` (and `.env.<stage>.local`, never committed). SST v2
 * loads `.env`, `.env.local`, `.env.<stage>`, `.env.<stage>.local` for every stage, each over the
 * shell, but only after `config()` ran: so `config()` reads the stage's region itself, and a deploy
 * stops when the stage-blind `.env`/`.env.local` set a leadrelay setting.
 */
export const DEFAULT_REGION = "us-east-1";
/** Files SST loads for every stage: a leadrelay setting there would leak into every stage. */
export const SHARED_ENV_FILES = [".env", ".env.local"] as const;
export const stageEnvFiles = (stage: string) => [`.env.${stage}`, `.env.${stage}.local`];

/** Settings the stacks themselves read (besides every flow's and the shared schema's). */
const STACK_SETTINGS = ["LEADRELAY_REGION", "LEADRELAY_FLOWS", "LOG_RETENTION_DAYS", "LOG_LEVEL"];

/** A file's variables (dotenv syntax), or undefined when it does not exist. */
export function readEnvFile(path: string): Record<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = parseEnv(readFileSync(path, "utf8"));
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The stage as SST v2.38.6+ decides it before `config()` returns: `--stage`, SST_STAGE, then `.sst/stage`. */
export function stageOf(
  input: { stage?: string },
  dir: string,
  env: Record<string, string | undefined>,
): string | undefined {
  if (input.stage) return input.stage;
  if (env.SST_STAGE) return env.SST_STAGE;
  try {
    return readFileSync(join(dir, ".sst", "stage"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

/**
 * The region of the stage: LEADRELAY_REGION from `.env.<stage>.local` or `.env.<stage>` (read here,
 * because SST loads them only after `config()`), else from the shell, else us-east-1. SST's own
 * `--region` flag still wins over what this returns.
 */
export function stageRegion(
  input: { stage?: string },
  dir: string,
  env: Record<string, string | undefined>,
): string {
  const stage = stageOf(input, dir, env);
  const files = stage ? stageEnvFiles(stage) : [];
  let region = env.LEADRELAY_REGION?.trim() || undefined;
  let from = "the shell";
  for (const file of files) {
    const value = readEnvFile(join(dir, file))?.LEADRELAY_REGION?.trim();
    if (value) {
      region = value;
      from = file;
    }
  }
  if (region === undefined) return DEFAULT_REGION;
  if (!REGION.test(region)) {
    throw new DeploySettingsError(
      `LEADRELAY_REGION (from ${from}) must be an AWS region such as eu-west-1, got ${JSON.stringify(region)}`,
    );
  }
  return region;
}

/** Every credential a flow, a source or the alerting binds as an SST secret: never in a settings file. */
export function secretNames(): Set<string> {
  const names = new Set<string>();
  for (const flow of FLOWS) {
    // Whatever the settings choose: every source a flow may listen to, every Task it may run.
    for (const source of [flow.source, ...(flow.sourceChoice?.sources ?? [])])
      for (const name of source.secrets) names.add(name);
    for (const task of Object.values(flow.tasks))
      for (const name of [...(task.secrets ?? []), ...(task.optionalSecrets ?? [])]) names.add(name);
  }
  return names;
}

/**
 * What "a leadrelay setting" is: every name a flow declares (its tasks' settings and secrets, its
 * source's secrets, its own schema), the shared schema every handler reads, the stacks' own, and
 * anything named LEADRELAY_*. Derived, so a flow added later is covered.
 */
export function leadrelaySettingNames(): Set<string> {
  return new Set([
    ...Object.keys(EnvSchema),
    ...STACK_SETTINGS,
    ...FLOWS.flatMap((flow) => [
      ...flowSettingNames(flow),
      ...(flow.settings ? Object.keys(flow.settings) : []),
    ]),
    ...secretNames(),
  ]);
}

export const isLeadrelaySetting = (name: string, names = leadrelaySettingNames()) =>
  names.has(name) || name.startsWith("LEADRELAY_");

/** Levenshtein distance, for "did you mean" on a misspelled variable name. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The known setting a name is most likely a typo of, when it is one (same vendor prefix or 1–2 edits away). */
export function likelyMeant(name: string, names = leadrelaySettingNames()): string | undefined {
  if (isLeadrelaySetting(name, names)) return undefined;
  let best: { name: string; distance: number } | undefined;
  for (const known of names) {
    const d = distance(name, known);
    if (!best || d < best.distance) best = { name: known, distance: d };
  }
  if (!best) return undefined;
  const prefix = (value: string) => value.split("_")[0];
  const samePrefix = [...names].some((known) => prefix(known) === prefix(name));
  return best.distance <= 2 || (samePrefix && best.distance <= Math.ceil(name.length / 3))
    ? best.name
    : undefined;
}

export interface StageSettingsCheck {
  /** The project root (where SST looks for the .env files). */
  dir: string;
  stage: string;
  /** The environment after SST loaded the files (process.env in `stacks()`). */
  env: Record<string, string | undefined>;
  mode: "deploy" | "dev" | "remove";
}

/**
 * Everything a deploy's settings must pass before any stack is built. Every problem is named in one
 * error (a stage fixed in one go): a leadrelay setting in `.env`/`.env.local`, a secret or an unknown
 * (misspelled) name in the stage's files, a value a chosen flow's own schema refuses, a bad alerting
 * or log setting.
 */
export function checkStageSettings({ dir, stage, env, mode }: StageSettingsCheck): void {
  const names = leadrelaySettingNames();
  const secrets = secretNames();
  const problems: string[] = [];

  const leaked = SHARED_ENV_FILES.flatMap((file) =>
    Object.keys(readEnvFile(join(dir, file)) ?? {})
      .filter((name) => isLeadrelaySetting(name, names))
      .map((name) => `${name} (${file})`),
  );
  if (leaked.length > 0) {
    problems.push(
      `${leaked.join(", ")}: SST loads .env and .env.local for every stage, over the shell and under ` +
        `.env.${stage}, so ${leaked.length === 1 ? "this" : "each"} would silently set stage "${stage}"'s ` +
        `value. Move it to .env.${stage} (deploys) or leadrelay.local.env (pnpm start).`,
    );
  }

  for (const file of stageEnvFiles(stage)) {
    for (const name of Object.keys(readEnvFile(join(dir, file)) ?? {})) {
      if (secrets.has(name)) {
        problems.push(
          `${name} (${file}) is a secret, which a settings file cannot give the functions: remove it from ` +
            `${file} and run: pnpm exec sst secrets set ${name} <value> --stage ${stage}`,
        );
        continue;
      }
      const meant = likelyMeant(name, names);
      if (meant) problems.push(`${name} (${file}) is not a leadrelay setting: did you mean ${meant}?`);
    }
  }

  const attempt = (run: () => void) => {
    try {
      run();
    } catch (error) {
      if (error instanceof DeploySettingsError || error instanceof UnknownFlow) problems.push(error.message);
      else throw error;
    }
  };
  attempt(() => {
    const context = deployContext(stage, mode);
    for (const flow of deployedFlows(stage, env)) attempt(() => settingsFor(flow, env, context));
  });
  attempt(() => operationsSettings(env));
  attempt(() => logRetentionDays(stage, env));

  if (problems.length > 0) {
    throw new DeploySettingsError(
      `Stage "${stage}" was not deployed; fix its settings first:\n${problems.map((line) => `  - ${line}`).join("\n")}`,
    );
  }
}

/**
 * Leadrelay settings this deploy takes from the shell, not from any file SST reads: a later deploy
 * from another shell would go back to the defaults. Said, not refused (CI may set them on purpose).
 */
export function shellOnlySettings({ dir, stage, env }: Omit<StageSettingsCheck, "mode">): string[] {
  const names = leadrelaySettingNames();
  const secrets = secretNames();
  const inFiles = new Set(
    [...SHARED_ENV_FILES, ...stageEnvFiles(stage)].flatMap((file) =>
      Object.keys(readEnvFile(join(dir, file)) ?? {}),
    ),
  );
  return Object.keys(env)
    .filter((name) => (env[name] ?? "") !== "" && isLeadrelaySetting(name, names) && !secrets.has(name))
    .filter((name) => !inFiles.has(name))
    .sort();
}

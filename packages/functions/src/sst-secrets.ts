import type { Env } from "./lambda";

/**
 * SST v2 binds a `Config.Secret` as `SST_Secret_value_<NAME>=__FETCH_FROM_SSM__` and keeps its value
 * in SSM at `<SST_SSM_PREFIX>Secret/<NAME>/value` (a stage's own) or
 * `/sst/<SST_APP>/.fallback/Secret/<NAME>/value` (the app's fallback). `sst/node/config` reads them
 * in a module's top-level await: when that read fails once (GetParameters throttled, a bound secret
 * deleted since the deploy), the module stays failed for the life of the container and every retry
 * on it fails the same way. This reads the same parameters the same way, each time it is asked, and
 * fails with one literal name that every Task retries (TRANSIENT_TASK_ERRORS).
 */

export const SST_SECRET_PREFIX = "SST_Secret_value_";
const FETCH_FROM_SSM = "__FETCH_FROM_SSM__";
/** GetParameters takes at most 10 names. */
const BATCH = 10;

/** The secrets could not be read at cold start (SSM refused or failed, or a bound secret is not set). */
export class SecretsUnavailable extends Error {
  override readonly name = "SecretsUnavailable";
}

export interface ParameterStore {
  /** SSM GetParameters with decryption: the values found and the names that do not exist. */
  getParameters(names: string[]): Promise<{ values: Record<string, string>; invalid: string[] }>;
}

/** The names SST bound to this function, with the value SST put in the environment. */
export function boundSecrets(env: Env): Array<{ name: string; value: string }> {
  return Object.entries(env)
    .filter(([key, value]) => key.startsWith(SST_SECRET_PREFIX) && value !== undefined)
    .map(([key, value]) => ({ name: key.slice(SST_SECRET_PREFIX.length), value: value as string }));
}

async function read(store: ParameterStore, paths: string[]) {
  const values: Record<string, string> = {};
  const invalid: string[] = [];
  for (let start = 0; start < paths.length; start += BATCH) {
    const answer = await store.getParameters(paths.slice(start, start + BATCH));
    Object.assign(values, answer.values);
    invalid.push(...answer.invalid);
  }
  return { values, invalid };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Every bound secret's value by name; SecretsUnavailable when SSM fails or one is not set, except
 * those in `mayBeUnset` (a source's secrets set after the first deploy), which are left out.
 */
export async function resolveSecrets(
  env: Env,
  store: ParameterStore,
  mayBeUnset: readonly string[] = [],
): Promise<Record<string, string>> {
  const bound = boundSecrets(env);
  const resolved: Record<string, string> = {};
  const toFetch: string[] = [];
  for (const { name, value } of bound) {
    if (value === FETCH_FROM_SSM) toFetch.push(name);
    else resolved[name] = value;
  }
  if (toFetch.length === 0) return resolved;
  const own = (name: string) => `${env.SST_SSM_PREFIX ?? ""}Secret/${name}/value`;
  const fallback = (name: string) => `/sst/${env.SST_APP ?? ""}/.fallback/Secret/${name}/value`;
  try {
    const first = await read(store, toFetch.map(own));
    const missing = toFetch.filter((name) => first.values[own(name)] === undefined);
    for (const name of toFetch) {
      const value = first.values[own(name)];
      if (value !== undefined) resolved[name] = value;
    }
    if (missing.length === 0) return resolved;
    const second = await read(store, missing.map(fallback));
    const unset = missing.filter(
      (name) => second.values[fallback(name)] === undefined && !mayBeUnset.includes(name),
    );
    for (const name of missing) {
      const value = second.values[fallback(name)];
      if (value !== undefined) resolved[name] = value;
    }
    if (unset.length > 0) {
      throw new SecretsUnavailable(
        `Secrets bound to this function are not set in the "${env.SST_STAGE ?? "?"}" stage: ${unset.join(", ")} (sst secrets set; a deploy rebinds them)`,
      );
    }
    return resolved;
  } catch (error) {
    if (error instanceof SecretsUnavailable) throw error;
    throw new SecretsUnavailable(`Could not read this function's secrets from SSM: ${describe(error)}`, {
      cause: error,
    });
  }
}

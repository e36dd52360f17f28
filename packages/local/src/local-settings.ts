import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";

/**
 * `pnpm start`'s own settings file, in the project folder. SST never reads it (it reads `.env`,
 * `.env.local`, `.env.<stage>`, `.env.<stage>.local`), so local settings cannot leak into a deploy.
 */
export const LOCAL_SETTINGS_FILE = "leadrelay.local.env";

export interface LocalSettingsFile {
  path: string;
  /** Names the file gave (not set in the shell). */
  applied: string[];
  /** Names the file has that the shell set too: the shell wins. */
  shadowed: string[];
}

/**
 * Fills `env` from `<dir>/leadrelay.local.env` for every name the shell left unset or empty.
 * Undefined when there is no file. A file that cannot be parsed throws naming it.
 */
export function loadLocalSettings(
  dir: string,
  env: Record<string, string | undefined>,
): LocalSettingsFile | undefined {
  const path = join(dir, LOCAL_SETTINGS_FILE);
  if (!existsSync(path)) return undefined;
  let values: Record<string, string | undefined>;
  try {
    values = parseEnv(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`leadrelay: cannot read ${path}: ${(error as Error).message}`);
  }
  const applied: string[] = [];
  const shadowed: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    if (env[name] !== undefined && env[name] !== "") {
      shadowed.push(name);
      continue;
    }
    env[name] = value;
    applied.push(name);
  }
  return { path, applied, shadowed };
}

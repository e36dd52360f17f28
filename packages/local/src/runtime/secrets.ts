import type { FlowSpec } from "@leadrelay/functions";
import { sourcesOf } from "../../../flows/registry";
import { loadOrCreateSecret } from "../local-secrets";
import type { Env } from "./types";

/**
 * The secrets of the chosen flows' sources (a webhook's signing key, LGM's token): given in
 * `settings`, or generated once and kept in the data folder, so a sender configured at an earlier
 * start keeps working. Fills them into `settings`; returns the ones this runtime supplied.
 */
export function fillSourceSecrets(
  flows: readonly FlowSpec[],
  settings: Env,
  dataDir: string,
): Record<string, string> {
  const generated: Record<string, string> = {};
  for (const { source } of sourcesOf(flows, settings)) {
    for (const name of source.secrets) {
      if (settings[name]) continue;
      const value = loadOrCreateSecret(dataDir, name);
      settings[name] = value;
      generated[name] = value;
    }
  }
  return generated;
}

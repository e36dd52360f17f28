import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { secretFile } from "./local-secrets";
import type { RuntimeInfo } from "./runtime";

export interface SecretEntry {
  name: string;
  value?: string;
  /** Where the value came from, or why there is none. */
  from: string;
}

export interface WebhookEntry {
  source: string;
  /** With every path parameter filled in from the source's secret, when known. */
  url: string;
  /** A secret is part of the URL (LGM's token): the URL itself is a credential. */
  carriesSecret: boolean;
}

function read(file: string): string | undefined {
  try {
    const text = readFileSync(file, "utf8").trim();
    return text === "" ? undefined : text;
  } catch {
    return undefined;
  }
}

/** The secret that fills a route's `{param}`: the source's secret named after it (`{token}` → `LGM_WEBHOOK_TOKEN`), or its only one. */
export function secretForParameter(parameter: string, secrets: readonly string[]): string | undefined {
  const upper = parameter.toUpperCase();
  return (
    secrets.find((name) => name === upper || name.endsWith(`_${upper}`)) ??
    (secrets.length === 1 ? secrets[0] : undefined)
  );
}

/**
 * What `leadrelay secrets` prints: the secrets of the local runtime's sources — the ones it
 * generated (`<data dir>/webhook-secret`, `<data dir>/secrets/<NAME>`), or given in this
 * environment — and every source's webhook URL with its path token filled in. The one place a
 * full LGM URL is shown: the runtime's banner masks it.
 */
export async function localSecrets(
  dataDir: string,
  info: RuntimeInfo,
  env: Record<string, string | undefined> = process.env,
): Promise<{ secrets: SecretEntry[]; webhooks: WebhookEntry[] }> {
  // The registry (every flow's module) only for this command: the others need none of it.
  const { FLOW_IDS, selectFlows, sourcesOf } = await import("../../flows/registry");
  const flowIds = (info.flows ?? []).map((flow) => flow.id).filter((id) => FLOW_IDS.includes(id));
  // TRIAGE_SOURCES in `env` adds the HubSpot webhook and its secret, as it does for the runtime.
  const sources = sourcesOf(selectFlows(flowIds.join(","), "all"), env);
  const names = new Set(sources.flatMap(({ source }) => source.secrets));
  let stored: string[] = [];
  try {
    stored = readdirSync(join(dataDir, "secrets"));
  } catch {
    // none generated besides Close's
  }
  for (const name of stored) if (/^[A-Z][A-Z0-9_]*$/.test(name)) names.add(name);
  if (read(secretFile(dataDir, "CLOSE_WEBHOOK_SECRET"))) names.add("CLOSE_WEBHOOK_SECRET");

  const secrets: SecretEntry[] = [...names].sort().map((name) => {
    const file = secretFile(dataDir, name);
    const fromFile = read(file);
    if (fromFile) return { name, value: fromFile, from: file };
    const fromEnv = env[name];
    if (fromEnv) return { name, value: fromEnv, from: "this shell's environment" };
    return { name, from: "given to the runtime in its environment, not stored" };
  });
  const values = new Map(secrets.map((entry) => [entry.name, entry.value]));

  const webhooks: WebhookEntry[] = Object.entries(info.webhooks ?? { close: info.webhookUrl }).map(
    ([source, url]) => {
      const spec = sources.find((entry) => entry.source.id === source)?.source;
      let carriesSecret = false;
      const filled = url.replace(/\{(\w+)\}/g, (placeholder, parameter: string) => {
        const value = values.get(secretForParameter(parameter, spec?.secrets ?? []) ?? "");
        if (!value) return placeholder;
        carriesSecret = true;
        return encodeURIComponent(value);
      });
      return { source, url: filled, carriesSecret };
    },
  );
  return { secrets, webhooks };
}

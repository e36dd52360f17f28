import type { HubSpotCrm } from "@leadrelay/core";
import { createHubSpotCrm } from "@leadrelay/functions/adapters/hubspot";
import { readConfig } from "@leadrelay/functions/config";
import type { Env } from "@leadrelay/functions/lambda";

/** HubSpot from the environment, or why not: a missing token skips the action, it never fails the flow. */
export function hubspotFromEnv(env: Env): { crm: HubSpotCrm } | { crm: undefined; skipReason: string } {
  const config = readConfig(["HUBSPOT_BASE_URL", "HUBSPOT_TOKEN", "HTTP_TIMEOUT_MS"], env);
  if (!config.HUBSPOT_TOKEN?.trim()) return { crm: undefined, skipReason: "HUBSPOT_TOKEN is not set" };
  return {
    crm: createHubSpotCrm(
      { baseUrl: config.HUBSPOT_BASE_URL, token: config.HUBSPOT_TOKEN.trim() },
      { timeoutMs: config.HTTP_TIMEOUT_MS },
    ),
  };
}

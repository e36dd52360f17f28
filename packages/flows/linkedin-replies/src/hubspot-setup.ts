import type { HubSpotCrm, HubSpotObjectType, HubSpotPropertyDefinition } from "@leadrelay/core";
import { createHubSpotCrm } from "@leadrelay/functions/adapters/hubspot";
import { readConfig } from "@leadrelay/functions/config";
import { CUSTOM_PROPERTIES } from "./domain/hubspot-properties";

export interface PropertySetup {
  type: HubSpotObjectType;
  name: string;
  status: "created" | "exists";
}

/**
 * `pnpm leadrelay hubspot setup`: creates the custom properties this flow writes (HubSpot rejects
 * writes to unknown ones). Idempotent: HubSpot's 409 for an existing name counts as done, so it is
 * safe to run on every deploy. Needs a token with the `crm.schemas.contacts.write` and
 * `crm.schemas.deals.write` scopes (the flow's own token only needs objects scopes).
 */
export async function setUpHubSpot(
  crm: HubSpotCrm,
  properties: ReadonlyArray<{
    type: HubSpotObjectType;
    definition: HubSpotPropertyDefinition;
  }> = CUSTOM_PROPERTIES,
): Promise<PropertySetup[]> {
  const done: PropertySetup[] = [];
  for (const { type, definition } of properties) {
    done.push({ type, name: definition.name, status: await crm.createProperty(type, definition) });
  }
  return done;
}

/**
 * Where setup writes: HUBSPOT_BASE_URL with HUBSPOT_TOKEN when set; otherwise the HubSpot stand-in
 * of the running local runtime (`localUrl`, the runtime's root) with its dummy token.
 */
export function hubspotSetupTarget(
  env: Record<string, string | undefined>,
  localUrl?: string,
): { baseUrl: string; token: string; local: boolean } {
  if (env.HUBSPOT_BASE_URL?.trim()) {
    const config = readConfig(["HUBSPOT_BASE_URL", "HUBSPOT_TOKEN"], env);
    if (!config.HUBSPOT_TOKEN?.trim())
      throw new Error("HUBSPOT_BASE_URL is set: HUBSPOT_TOKEN must be set too");
    return { baseUrl: config.HUBSPOT_BASE_URL, token: config.HUBSPOT_TOKEN.trim(), local: false };
  }
  if (!localUrl) {
    throw new Error(
      "Set HUBSPOT_BASE_URL and HUBSPOT_TOKEN, or start the local runtime ('pnpm start') first",
    );
  }
  return {
    baseUrl: `${localUrl.replace(/\/+$/, "")}/_local/hubspot`,
    token: "local-hubspot-token",
    local: true,
  };
}

/**
 * The CLI's entry: sets up the target and returns one line per property. `properties`: those the
 * chosen flows declare (FlowSpec.hubspotProperties); this flow's own when not given.
 */
export async function runHubSpotSetup(
  env: Record<string, string | undefined>,
  localUrl?: string,
  properties?: ReadonlyArray<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }>,
): Promise<string[]> {
  const target = hubspotSetupTarget(env, localUrl);
  const results = await setUpHubSpot(
    createHubSpotCrm({ baseUrl: target.baseUrl, token: target.token }),
    properties,
  );
  return [
    `HubSpot ${target.local ? "stand-in" : "portal"} at ${target.baseUrl}:`,
    ...results.map(({ type, name, status }) => `  ${type.padEnd(9)} ${name.padEnd(32)} ${status}`),
  ];
}

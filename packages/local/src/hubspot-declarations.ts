import type { HubSpotPropertyRef } from "@leadrelay/functions/adapters/hubspot-check";

/**
 * The HubSpot properties the chosen flows write, for doctor's check and `connect hubspot`. Today
 * linkedin-replies is the only flow that declares any (its folder's domain/hubspot-properties.ts);
 * when flows declare them on their FlowSpec this lookup reads that instead.
 */
export async function hubspotPropertiesOf(flowIds: readonly string[]): Promise<HubSpotPropertyRef[]> {
  if (!flowIds.includes("linkedin-replies")) return [];
  const { CUSTOM_PROPERTIES } = await import("../../flows/linkedin-replies/src/domain/hubspot-properties");
  return CUSTOM_PROPERTIES.map(({ type, definition }) => ({ type, name: definition.name }));
}

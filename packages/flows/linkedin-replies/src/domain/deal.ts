import type { HubSpotProperties, HubSpotRecord } from "@leadrelay/core";
import { displayName } from "./contact-identity";
import { CAMPAIGN_PROPERTY } from "./hubspot-properties";
import type { ReplySummary } from "./reply";

/** The deal's campaign: LGM's campaign name, else its id; replies outside a campaign share one deal. */
export function campaignOf(reply: Pick<ReplySummary, "campaign" | "campaignId">): string | undefined {
  return reply.campaign ?? reply.campaignId;
}

/** The key of "one deal per contact and campaign" (case and spacing do not make another campaign). */
export function campaignKey(reply: Pick<ReplySummary, "campaign" | "campaignId">): string {
  return (campaignOf(reply) ?? "(no campaign)").trim().replace(/\s+/g, " ").toLowerCase();
}

export function dealName(reply: ReplySummary): string {
  return `${displayName(reply)} — ${campaignOf(reply) ?? "LinkedIn reply"}`.slice(0, 250);
}

export function dealProperties(reply: ReplySummary, pipeline: string, stage: string): HubSpotProperties {
  const campaign = campaignOf(reply);
  return {
    dealname: dealName(reply),
    pipeline,
    dealstage: stage,
    ...(campaign === undefined ? {} : { [CAMPAIGN_PROPERTY]: campaign }),
  };
}

export const DEAL_READ_PROPERTIES = [
  "dealname",
  "pipeline",
  "dealstage",
  "hs_is_closed",
  CAMPAIGN_PROPERTY,
] as const;

/**
 * An open deal of the contact in the configured pipeline for this campaign: ours carry the campaign
 * property; one made by hand is recognised by the campaign in its name.
 */
export function isOpenDealFor(deal: HubSpotRecord, reply: ReplySummary, pipeline: string): boolean {
  const { properties } = deal;
  if (properties.hs_is_closed === "true") return false;
  if ((properties.pipeline ?? pipeline) !== pipeline) return false;
  const key = campaignKey(reply);
  const own = properties[CAMPAIGN_PROPERTY];
  if (own !== null && own !== undefined && own !== "") return campaignKey({ campaign: own }) === key;
  const campaign = campaignOf(reply);
  return campaign !== undefined && (properties.dealname ?? "").toLowerCase().includes(campaign.toLowerCase());
}

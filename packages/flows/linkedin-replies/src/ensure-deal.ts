import {
  businessKeyOfExecutionName,
  type Clock,
  HubSpotAssociation,
  type HubSpotCrm,
  type ObjectStore,
} from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { campaignKey, DEAL_READ_PROPERTIES, dealProperties, isOpenDealFor } from "./domain/deal";
import { dealMarkerKey } from "./domain/keys";
import type { ReplySummary } from "./domain/reply";
import { parseClaim } from "./domain/write-claim";
import { hubspotFromEnv } from "./hubspot-from-env";
import { EnsureDealInput, type Skipped } from "./task-input";
import { writeOnce } from "./write-once";

export type EnsureDealResult =
  | {
      status: "created" | "reused" | "recovered";
      dealId: string;
      /** How an existing deal was found: this flow's record of it, or the contact's associations. */
      foundBy?: "record" | "associations";
    }
  | Skipped;

/** A deal claim left "writing" by another reply is taken over after this long (a Lambda gives up after 20 s). */
export const DEAL_CLAIM_STALE_MS = 60_000;

export interface EnsureDealDeps {
  store: ObjectStore;
  crm?: HubSpotCrm;
  skipReason?: string;
  pipeline: string;
  stage: string;
  clock?: Clock;
}

/**
 * One deal per contact and campaign. HubSpot does not dedupe deals, so: the deal this flow
 * recorded for the pair (no HubSpot call); else the contact's open deal for the campaign, found
 * through its associations (consistent with writes, unlike search); else a new deal in
 * HUBSPOT_PIPELINE at HUBSPOT_DEAL_STAGE, associated to the contact, created under a claim.
 */
export function createEnsureDeal(deps: EnsureDealDeps) {
  const clock = deps.clock ?? Date.now;
  const { store } = deps;

  async function openDeal(crm: HubSpotCrm, contactId: string, reply: ReplySummary) {
    const ids = await crm.associatedIds("contacts", contactId, "deals");
    if (ids.length === 0) return undefined;
    const deals = await crm.readBatch("deals", ids, DEAL_READ_PROPERTIES);
    return deals.find((deal) => isOpenDealFor(deal, reply, deps.pipeline))?.id;
  }

  return async (event: unknown): Promise<EnsureDealResult> => {
    const { reply, contactId, execution } = EnsureDealInput.parse(event);
    const { crm } = deps;
    if (!crm) return { status: "skipped", reason: deps.skipReason ?? "HUBSPOT_TOKEN is not set" };
    const key = dealMarkerKey(contactId, campaignKey(reply));
    const recorded = parseClaim(await store.get(key));
    if (recorded?.status === "written" && recorded.id) {
      return { status: "reused", dealId: recorded.id, foundBy: "record" };
    }
    const owner = businessKeyOfExecutionName(execution);
    if (recorded === undefined) {
      const open = await openDeal(crm, contactId, reply);
      if (open !== undefined) {
        const confirmed = { status: "written", at: new Date(clock()).toISOString(), by: owner, id: open };
        await store.putIfAbsent(key, JSON.stringify(confirmed));
        return { status: "reused", dealId: open, foundBy: "associations" };
      }
    }
    const result = await writeOnce({
      store,
      key,
      owner,
      what: `the deal of contact ${contactId} for ${campaignKey(reply)}`,
      find: () => openDeal(crm, contactId, reply),
      consistentLookup: true,
      staleAfterMs: DEAL_CLAIM_STALE_MS,
      clock,
      write: async () =>
        (
          await crm.createObject("deals", dealProperties(reply, deps.pipeline, deps.stage), [
            { toId: contactId, typeId: HubSpotAssociation.dealToContact },
          ])
        ).id,
    });
    if (result.status === "written") return { status: "created", dealId: result.id };
    if (result.status === "recovered") return { status: "recovered", dealId: result.id };
    return { status: "reused", dealId: result.id, foundBy: "record" };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const hubspot = hubspotFromEnv(env);
  const config = readConfig(["HUBSPOT_PIPELINE", "HUBSPOT_DEAL_STAGE"], env);
  return createEnsureDeal({
    store: storeFromEnv(env, kit),
    ...(hubspot.crm ? { crm: hubspot.crm } : { skipReason: hubspot.skipReason }),
    pipeline: config.HUBSPOT_PIPELINE,
    stage: config.HUBSPOT_DEAL_STAGE,
  });
};
export const handler = taskHandler("ensure-deal", build);

import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import type { TriageCrm } from "./crm-branches";
import { type TriageLead, triageLeadFrom } from "./domain/triage-lead";
import { CRM_NAME, crmOf, otherCrmLead, type TriageCrms, triageCrmsFromEnv } from "./lead-crm";
import { ExecutionInput } from "./task-input";

/** The CRM's API key is missing, or the lead is another CRM's: triage cannot read it at all (not retried). */
export class LeadUnreadable extends Error {
  override readonly name = "LeadUnreadable";
}

/**
 * The lead from the CRM that sent it (Close `GET /lead/{id}/`, or the HubSpot contact of a
 * `hubspot-{portal}-{contact}` lead id) → the contacts and the message, sanitized: a small record
 * for the next states. `serves`: the one CRM this Task reads (FetchLead Close, FetchHubSpotContact
 * HubSpot).
 */
export function createFetchLead(deps: { crms: TriageCrms; serves?: TriageCrm }) {
  return async (event: unknown): Promise<TriageLead> => {
    const { leadId } = ExecutionInput.parse(event);
    const other = otherCrmLead(deps.serves, leadId);
    if (other) throw new LeadUnreadable(other);
    const chosen = crmOf(deps.crms, leadId);
    if (!chosen.crm) {
      throw new LeadUnreadable(
        `${chosen.missing} is not set: the lead cannot be read from ${CRM_NAME[chosen.kind]}`,
      );
    }
    return triageLeadFrom(leadId, await chosen.crm.readLead(leadId));
  };
}

/** FetchLead: a Close lead (`GET /lead/{id}/`, CLOSE_API_KEY). */
export const build: HandlerBuild = (env) =>
  createFetchLead({ crms: triageCrmsFromEnv(env, "close"), serves: "close" });
export const handler = taskHandler("triage-fetch-lead", build);

import { type HandlerBuild, lambdaHandler } from "@leadrelay/functions/lambda";
import { type TriageLead, triageLeadFrom } from "./domain/triage-lead";
import { crmOf, type TriageCrms, triageCrmsFromEnv } from "./lead-crm";
import { ExecutionInput } from "./task-input";

/** The CRM's API key is missing: triage cannot read the lead at all (not retried). */
export class LeadUnreadable extends Error {
  override readonly name = "LeadUnreadable";
}

const CRM_NAME = { close: "Close", hubspot: "HubSpot" } as const;

/**
 * The lead from the CRM that sent it (Close `GET /lead/{id}/`, or the HubSpot contact of a
 * `hubspot-{portal}-{contact}` lead id) → the contacts and the message, sanitized: a small record
 * for the next states.
 */
export function createFetchLead(deps: { crms: TriageCrms }) {
  return async (event: unknown): Promise<TriageLead> => {
    const { leadId } = ExecutionInput.parse(event);
    const chosen = crmOf(deps.crms, leadId);
    if (!chosen.crm) {
      throw new LeadUnreadable(
        `${chosen.missing} is not set: the lead cannot be read from ${CRM_NAME[chosen.kind]}`,
      );
    }
    return triageLeadFrom(leadId, await chosen.crm.readLead(leadId));
  };
}

export const build: HandlerBuild = (env) => createFetchLead({ crms: triageCrmsFromEnv(env) });
export const handler = lambdaHandler("triage-fetch-lead", build);

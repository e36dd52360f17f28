import { businessKeyOfExecutionName, crmLeadRef, leadNameOfStoredRecord, rawEventKey } from "@leadrelay/core";
import { valueAt } from "@leadrelay/functions/flow-outcome";
import type { FlowView } from "@leadrelay/functions/flow-spec";

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/** The automatic actions by the word a person uses for them. */
const SHORT: Record<string, string> = { sms: "SMS", slack: "Slack", email: "email", ticket: "ticket" };

/**
 * triage as a person reads it: the lead's name or company, and its label with what was done about
 * it ("URGENT_BUYER → SMS + Slack", "SPAM → nothing").
 */
export const triageView: FlowView = {
  keyNoun: (key) => (crmLeadRef(key).crm === "hubspot" ? "HubSpot contact" : "Close lead"),
  title: ({ state }) => {
    const name = text(valueAt(state, "$.lead.name"));
    const company = text(valueAt(state, "$.lead.company"));
    // The lead's name is often its company already ("Ada Lovelace — Analytical Engines").
    if (name && company && !company.includes(name) && !name.includes(company)) return `${name} — ${company}`;
    return company && name && company.includes(name) ? company : (name ?? company);
  },
  // Close's stored lead.created names the lead before FetchLead ran; a HubSpot delivery names no one.
  titleObjects: ({ name }) => {
    const key = businessKeyOfExecutionName(name);
    return crmLeadRef(key).crm === "hubspot" ? [] : [rawEventKey(key)];
  },
  titleFromObject: leadNameOfStoredRecord,
  outcome: ({ state }, actions) => {
    const label = text(valueAt(state, "$.triage.label"));
    if (!label) return undefined;
    const of = (status: string) =>
      actions
        .filter((action) => action.status === status && SHORT[action.id])
        .map((action) => SHORT[action.id]);
    const done = of("done");
    const failed = of("failed");
    return `${label} → ${done.length > 0 ? done.join(" + ") : "nothing"}${failed.length > 0 ? ` · ${failed.join(" + ")} failed` : ""}`;
  },
};

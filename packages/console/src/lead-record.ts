import { classifyWebhook, closeLeadUrl, type EnrichedRecord, summarizeLead } from "@leadrelay/core";

/** What the console shows about a lead, whichever stored object it came from. */
export interface LeadFacts {
  leadId: string;
  name: string | null;
  createdAt: string | null;
  statusLabel: string | null;
  email: string | null;
  owner: string | null;
  funnel: string | null;
  closeUrl: string;
  /** `enriched`: the merged record (final); `raw`: the webhook only (no owner yet); `none`: nothing stored. */
  from: "enriched" | "raw" | "none";
}

const text = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value : null;

export function emptyFacts(leadId: string): LeadFacts {
  return {
    leadId,
    name: null,
    createdAt: null,
    statusLabel: null,
    email: null,
    owner: null,
    funnel: null,
    closeUrl: closeLeadUrl(leadId),
    from: "none",
  };
}

/** From `enriched/crm_event_{id}.json`; undefined when the text is not a merged record. */
export function factsFromEnriched(leadId: string, body: string): LeadFacts | undefined {
  let record: Partial<EnrichedRecord>;
  try {
    record = JSON.parse(body) as Partial<EnrichedRecord>;
  } catch {
    return undefined;
  }
  if (!record || typeof record !== "object") return undefined;
  return {
    leadId,
    name: text(record.name),
    createdAt: text(record.createdAt),
    statusLabel: text(record.statusLabel),
    email: text(record.email),
    owner: text(record.owner),
    funnel: text(record.funnel),
    // Built from the id, never from stored text, so the page cannot link elsewhere.
    closeUrl: closeLeadUrl(leadId),
    from: "enriched",
  };
}

/** From the raw webhook body: name, created, status and email; no owner or funnel yet. */
export function factsFromRaw(leadId: string, body: string): LeadFacts | undefined {
  const verdict = classifyWebhook(body);
  if (verdict.kind !== "lead-created") return undefined;
  const summary = summarizeLead(leadId, verdict.data);
  return { ...emptyFacts(leadId), ...summary, leadId, from: "raw" };
}

import * as z from "zod/mini";
import { type CloseLeadData, classifyWebhook } from "./close-webhook";
import type { OwnerRecord } from "./owner-record";

const field = z.nullable(z.string());

/** What FetchRaw hands on: the few webhook fields the pipeline needs, never the raw body. */
export const LeadSummary = z.object({
  leadId: z.string(),
  name: field,
  createdAt: field,
  statusLabel: field,
  email: field,
});
export type LeadSummary = z.infer<typeof LeadSummary>;

/** The merged record without the raw sources: what NotifySlack needs and the history shows. */
export const MergedLead = z.extend(LeadSummary, {
  owner: field,
  funnel: field,
  closeUrl: z.string(),
  receivedAt: z.string(),
});
export type MergedLead = z.infer<typeof MergedLead>;

/** `enriched/crm_event_{lead_id}.json`. */
export interface EnrichedRecord extends MergedLead {
  notifiedAt?: string;
  raw: unknown;
  ownerRecord: OwnerRecord;
}

function present(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function firstContactEmail(data: CloseLeadData): string | null {
  for (const contact of data.contacts ?? []) {
    for (const email of contact.emails ?? []) {
      const value = present(email.email);
      if (value) return value;
    }
  }
  return null;
}

export function summarizeLead(leadId: string, data: CloseLeadData): LeadSummary {
  return {
    leadId,
    name: present(data.display_name) ?? present(data.name),
    createdAt: present(data.date_created),
    statusLabel: present(data.status_label),
    email: firstContactEmail(data),
  };
}

/** Built from the validated lead id, never from the payload's `html_url`, so a message cannot link elsewhere. */
export function closeLeadUrl(leadId: string): string {
  return `https://app.close.com/lead/${encodeURIComponent(leadId)}/`;
}

/**
 * The merge rule: owner-file values win over the webhook where both exist (the owner file is
 * the later truth); the email falls back to the first contact email of the webhook.
 */
export function mergeLead(lead: LeadSummary, owner: OwnerRecord, receivedAt: string): MergedLead {
  return {
    leadId: lead.leadId,
    name: present(owner.display_name) ?? lead.name,
    createdAt: present(owner.date_created) ?? lead.createdAt,
    statusLabel: present(owner.status_label) ?? lead.statusLabel,
    email: present(owner.lead_email) ?? lead.email,
    owner: present(owner.lead_owner),
    funnel: present(owner.funnel),
    closeUrl: closeLeadUrl(lead.leadId),
    receivedAt,
  };
}

/**
 * The lead's name from a stored Close record: announce's merged record (`name`) or the raw
 * `lead.created` webhook (`display_name`, else `name`). Undefined when the text is neither.
 */
export function leadNameOfStoredRecord(body: string): string | undefined {
  try {
    const record = JSON.parse(body) as { name?: unknown; event?: unknown };
    if (record && typeof record === "object" && !("event" in record) && typeof record.name === "string")
      return present(record.name) ?? undefined;
  } catch {
    return undefined;
  }
  const verdict = classifyWebhook(body);
  return verdict.kind === "lead-created" ? (summarizeLead("", verdict.data).name ?? undefined) : undefined;
}

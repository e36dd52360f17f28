import type { CloseLead, CrmLeadRecord } from "@leadrelay/core";
import { closeLeadRecord, closeMessageOf } from "@leadrelay/functions/adapters/close-lead-crm";
import { sanitizeMessage } from "./sanitize";

/** What triage carries between states about a lead: a small record, the message already sanitized. */
export interface TriageLead {
  leadId: string;
  /** The person who wrote (first contact), or the company when there is no contact name. */
  name: string | null;
  /** Close's lead is the company (`display_name`); HubSpot's contact property `company`. */
  company: string | null;
  email: string | null;
  phone: string | null;
  /** The sanitized message (HTML, entities, form boilerplate gone; whitespace folded; capped). */
  message: string;
  /** Where the message was read (`description` or a custom field) and how long it was before cleaning. */
  messageField: string;
  rawMessageLength: number;
  /** The lead's page in its CRM (Close, or the HubSpot contact): the name keeps the first flow's contract. */
  closeUrl: string;
}

/** The message field as configured: `description`, a top-level field, or `custom.cf_…` (also given as `cf_…`). */
export const messageOf = closeMessageOf;

/** The CRM's record, its message sanitized (HTML, entities, boilerplate gone; whitespace folded; capped). */
export function triageLeadFrom(leadId: string, record: CrmLeadRecord): TriageLead {
  return {
    leadId,
    name: record.name,
    company: record.company,
    email: record.email,
    phone: record.phone,
    message: sanitizeMessage(record.message),
    messageField: record.messageField,
    rawMessageLength: typeof record.message === "string" ? record.message.length : 0,
    closeUrl: record.url,
  };
}

export function triageLeadOf(leadId: string, lead: CloseLead, messageField: string): TriageLead {
  return triageLeadFrom(leadId, closeLeadRecord(leadId, lead, messageField));
}

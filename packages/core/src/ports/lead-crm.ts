/**
 * The CRM a lead came from, as triage uses it: read the lead, write the label, add one note. One
 * port, one adapter per CRM (packages/functions/src/adapters: Close, HubSpot). A Salesforce adapter
 * would implement the same three calls (a Lead or Contact read, a picklist field update, a Note or
 * Task linked to the record).
 */

/** What the CRM holds about a lead, before triage sanitizes the message. */
export interface CrmLeadRecord {
  name: string | null;
  company: string | null;
  email: string | null;
  phone: string | null;
  /** The message as stored (any type: the CRM may hold HTML, a number, nothing). */
  message: unknown;
  /** Where the message was read (a field or property name). */
  messageField: string;
  /** The lead's page in the CRM. */
  url: string;
}

export type CrmLabelWrite = { key: string; value: string } | { skipped: string };

export interface LeadCrm {
  /** "close" or "hubspot": which adapter this is. */
  readonly kind: string;
  readLead(leadId: string): Promise<CrmLeadRecord>;
  /** Sets the label (a repeat of the same value is harmless); skipped when no field is configured. */
  writeLabel(leadId: string, label: string): Promise<CrmLabelWrite>;
  /** One note on the lead (no CRM here has an idempotency key: callers guard it with a marker). */
  addNote(leadId: string, note: string): Promise<{ noteId: string }>;
}

import { type CloseLead, closeCustomFieldKey, closeLeadUrl } from "@leadrelay/core";
import { sanitizeMessage } from "./sanitize";

/** What triage carries between states about a lead: a small record, the message already sanitized. */
export interface TriageLead {
  leadId: string;
  /** The person who wrote (first contact), or the company when there is no contact name. */
  name: string | null;
  /** Close's lead is the company (`display_name`). */
  company: string | null;
  email: string | null;
  phone: string | null;
  /** The sanitized message (HTML, entities, form boilerplate gone; whitespace folded; capped). */
  message: string;
  /** Where the message was read (`description` or a custom field) and how long it was before cleaning. */
  messageField: string;
  rawMessageLength: number;
  closeUrl: string;
}

const present = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

/** The message field as configured: `description`, a top-level field, or `custom.cf_…` (also given as `cf_…`). */
export function messageOf(lead: CloseLead, field: string): unknown {
  const record = lead as Record<string, unknown>;
  if (field in record) return record[field];
  if (field.startsWith("cf_")) return record[closeCustomFieldKey(field)];
  const custom = record.custom;
  // Some Close payloads nest custom fields (`custom: { cf_…: … }`) instead of flattening them.
  if (field.startsWith("custom.") && custom && typeof custom === "object") {
    return (custom as Record<string, unknown>)[field.slice("custom.".length)];
  }
  return undefined;
}

export function triageLeadOf(leadId: string, lead: CloseLead, messageField: string): TriageLead {
  const contacts = lead.contacts ?? [];
  const firstWith = <T>(pick: (contact: (typeof contacts)[number]) => T | null): T | null => {
    for (const contact of contacts) {
      const value = pick(contact);
      if (value !== null) return value;
    }
    return null;
  };
  const raw = messageOf(lead, messageField);
  return {
    leadId,
    name: firstWith((contact) => present(contact.name)) ?? present(lead.display_name) ?? present(lead.name),
    company: present(lead.display_name) ?? present(lead.name),
    email: firstWith((contact) =>
      present(contact.emails?.map((email) => email.email).find((email) => present(email))),
    ),
    phone: firstWith((contact) =>
      present(contact.phones?.map((phone) => phone.phone).find((phone) => present(phone))),
    ),
    message: sanitizeMessage(raw),
    messageField,
    rawMessageLength: typeof raw === "string" ? raw.length : 0,
    closeUrl: closeLeadUrl(leadId),
  };
}

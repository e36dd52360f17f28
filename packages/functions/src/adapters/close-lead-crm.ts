import {
  type CloseApi,
  type CloseLead,
  type CrmLeadRecord,
  closeCustomFieldKey,
  closeLeadUrl,
  type LeadCrm,
} from "@leadrelay/core";

const present = (value: unknown): string | null =>
  typeof value === "string" && value.trim() !== "" ? value.trim() : null;

/** The message field as configured: `description`, a top-level field, or `custom.cf_…` (also given as `cf_…`). */
export function closeMessageOf(lead: CloseLead, field: string): unknown {
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

/** A Close lead as the CRM port describes it: the first contact with each value, the lead as the company. */
export function closeLeadRecord(leadId: string, lead: CloseLead, messageField: string): CrmLeadRecord {
  const contacts = lead.contacts ?? [];
  const firstWith = <T>(pick: (contact: (typeof contacts)[number]) => T | null): T | null => {
    for (const contact of contacts) {
      const value = pick(contact);
      if (value !== null) return value;
    }
    return null;
  };
  return {
    name: firstWith((contact) => present(contact.name)) ?? present(lead.display_name) ?? present(lead.name),
    company: present(lead.display_name) ?? present(lead.name),
    email: firstWith((contact) =>
      present(contact.emails?.map((email) => email.email).find((email) => present(email))),
    ),
    phone: firstWith((contact) =>
      present(contact.phones?.map((phone) => phone.phone).find((phone) => present(phone))),
    ),
    message: closeMessageOf(lead, messageField),
    messageField,
    url: closeLeadUrl(leadId),
  };
}

/**
 * Close behind the CRM port: `GET /lead/{id}/`, the label into a custom field (`CLOSE_TRIAGE_FIELD_ID`,
 * skipped when unset), a plain-text note on the lead.
 */
export function createCloseLeadCrm(
  close: CloseApi,
  options: { messageField: string; labelFieldId?: string },
): LeadCrm {
  return {
    kind: "close",
    async readLead(leadId) {
      return closeLeadRecord(leadId, await close.getLead(leadId), options.messageField);
    },
    async writeLabel(leadId, label) {
      if (!options.labelFieldId) return { skipped: "CLOSE_TRIAGE_FIELD_ID is not set" };
      const key = closeCustomFieldKey(options.labelFieldId);
      await close.updateLead(leadId, { [key]: label });
      return { key, value: label };
    },
    addNote(leadId, note) {
      return close.createNote(leadId, note);
    },
  };
}

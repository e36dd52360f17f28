import * as z from "zod/mini";

/**
 * Close's REST API as the flows use it: read a lead (for its contacts), write custom fields, add a
 * note. Close has no idempotency key on writes, so callers guard notes with a marker of their own.
 */

const text = z.nullish(z.string());

export const CloseLeadEmail = z.looseObject({ email: z.string(), type: text });
export const CloseLeadPhone = z.looseObject({ phone: z.string(), type: text });

export const CloseLeadContact = z.looseObject({
  id: text,
  name: text,
  emails: z._default(z.array(CloseLeadEmail), []),
  phones: z._default(z.array(CloseLeadPhone), []),
});
export type CloseLeadContact = z.infer<typeof CloseLeadContact>;

/**
 * `GET /lead/{id}/`. Loose: custom fields come back as flat `"custom.cf_…"` keys and are kept, as
 * is everything else Close adds.
 */
export const CloseLead = z.looseObject({
  id: z.string(),
  display_name: text,
  name: text,
  description: text,
  status_label: text,
  contacts: z._default(z.array(CloseLeadContact), []),
});
export type CloseLead = z.infer<typeof CloseLead>;

/** The key a custom field is written and read under (`cf_abc` → `custom.cf_abc`); field ids, not names. */
export function closeCustomFieldKey(fieldId: string): string {
  return fieldId.startsWith("custom.") ? fieldId : `custom.${fieldId}`;
}

export interface CloseApi {
  getLead(leadId: string): Promise<CloseLead>;
  /** A partial update (Close's PUT patches): only the given fields change; `null` clears one. */
  updateLead(leadId: string, fields: Record<string, unknown>): Promise<void>;
  createNote(leadId: string, note: string): Promise<{ noteId: string }>;
}

import * as z from "zod/mini";

const text = z.nullish(z.string());

/** The owner file `{OWNER_BASE_URL}/{lead_id}.json`. Any field may be null. */
export const OwnerRecord = z.looseObject({
  lead_id: text,
  display_name: text,
  lead_email: text,
  lead_owner: text,
  funnel: text,
  status_label: text,
  date_created: text,
});
export type OwnerRecord = z.infer<typeof OwnerRecord>;

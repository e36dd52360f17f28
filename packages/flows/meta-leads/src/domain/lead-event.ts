import type { BusinessEvent } from "@leadrelay/core";
import type { Category, Membership } from "./membership";
import type { MetaLead } from "./meta-lead";

export const EVENT_SOURCE = "leadrelay.meta-leads";

/** The webhook's ids for this lead (absent for organic or test leads). */
export interface WebhookIds {
  pageId: string | null;
  formId: string | null;
  adId: string | null;
  adgroupId: string | null;
}

/**
 * `meta-lead.<category>` on the stage's bus: subscribers match on the detail-type; the detail
 * carries the normalised lead, its category, the membership status behind it and the source ids.
 */
export function leadEvent(input: {
  lead: MetaLead;
  category: Category;
  membership: Membership;
  webhook: WebhookIds;
  receivedAt: string;
}): BusinessEvent {
  return {
    source: EVENT_SOURCE,
    detailType: `meta-lead.${input.category}`,
    detail: {
      leadgenId: input.lead.leadgenId,
      category: input.category,
      membership: input.membership,
      lead: input.lead,
      source: { leadgenId: input.lead.leadgenId, ...input.webhook, receivedAt: input.receivedAt },
    },
  };
}

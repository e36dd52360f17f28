import * as z from "zod/mini";

/**
 * A reply as the flow carries it between states: keys and small fields, never the text (a LinkedIn
 * message is hostile input of up to several KB; it stays in storage under `replyKey`).
 */
export const ReplySummary = z.object({
  /** Where the reply's fields came from: LGM's API (canonical) or the webhook body as received. */
  source: z.enum(["lgm-api", "webhook"]),
  /** Why the webhook body was used, or what LGM's answer lacked. */
  reason: z.optional(z.string()),
  replyKey: z.string(),
  /** The reply's business key (its first execution's name); written into the note to find it again. */
  replyRef: z.string(),
  conversationKey: z.string(),
  messageKey: z.string(),
  conversationId: z.optional(z.string()),
  leadId: z.optional(z.string()),
  email: z.optional(z.string()),
  linkedinUrl: z.optional(z.string()),
  firstname: z.optional(z.string()),
  lastname: z.optional(z.string()),
  campaign: z.optional(z.string()),
  campaignId: z.optional(z.string()),
  channel: z.optional(z.string()),
  /** When the lead sent it (ISO 8601 UTC); the delivery time when LGM did not say. */
  sentAt: z.string(),
});
export type ReplySummary = z.infer<typeof ReplySummary>;

/** What `replyKey` holds. */
export const StoredReply = z.extend(ReplySummary, { text: z.string() });
export type StoredReply = z.infer<typeof StoredReply>;

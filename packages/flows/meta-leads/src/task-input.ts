import * as z from "zod/mini";
import { CATEGORIES } from "./domain/membership";
import { MetaLead } from "./domain/meta-lead";

const digits = z.string().check(z.regex(/^\d{1,20}$/, "must be a lead id (digits)"));
const nullableId = z.nullable(z.string());

/** What the meta source starts every execution with (the ingest adds `receivedAt`). */
export const ExecutionInput = z.object({
  leadgenId: digits,
  rawKey: z.string().check(z.startsWith("sources/meta/")),
  entry: z.number().check(z.int(), z.gte(0)),
  change: z.number().check(z.int(), z.gte(0)),
  receivedAt: z.string(),
  replayOf: z.optional(z.string()),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

export const WebhookIds = z.object({
  pageId: nullableId,
  formId: nullableId,
  adId: nullableId,
  adgroupId: nullableId,
});

export const CategorizeInput = z.object({ leadgenId: digits, email: z.nullable(z.string()) });
export type CategorizeInput = z.infer<typeof CategorizeInput>;

export const PublishInput = z.object({
  leadgenId: digits,
  lead: MetaLead,
  webhook: WebhookIds,
  category: z.enum(CATEGORIES),
  membership: z.string(),
  receivedAt: z.string(),
});
export type PublishInput = z.infer<typeof PublishInput>;

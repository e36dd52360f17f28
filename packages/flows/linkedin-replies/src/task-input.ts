import * as z from "zod/mini";
import { ReplySummary } from "./domain/reply";

/** What the lgm source starts every execution with (the ingest adds `receivedAt`). */
export const ExecutionInput = z.object({
  conversationKey: z.string(),
  messageKey: z.string(),
  rawKey: z.string(),
  receivedAt: z.string(),
  conversationId: z.optional(z.string()),
  messageId: z.optional(z.string()),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

export const FetchConversationInput = z.object({
  conversationKey: z.string(),
  messageKey: z.string(),
  rawKey: z.string(),
  receivedAt: z.string(),
  /** "canonical": ask LGM's API when a key is set; "webhook": the degraded path after LGM failed. */
  mode: z.enum(["canonical", "webhook"]),
  /** On the degraded path: why LGM could not be read (the caught error's cause). */
  lgmError: z.optional(z.string()),
});
export type FetchConversationInput = z.infer<typeof FetchConversationInput>;

/** `execution` is `$$.Execution.Name`: a replay's name carries a suffix, its business key does not. */
export const UpsertContactInput = z.object({ reply: ReplySummary, execution: z.string() });
export const EnsureDealInput = z.object({
  reply: ReplySummary,
  contactId: z.string(),
  execution: z.string(),
});
export const AddNoteInput = z.object({
  reply: ReplySummary,
  contactId: z.string(),
  dealId: z.string(),
  execution: z.string(),
});

/** A HubSpot Task whose credential is missing: the history says which variable. */
export type Skipped = { status: "skipped"; reason: string };

import { LeadSummary, MergedLead, OwnerRecord } from "@leadrelay/core";
import { z } from "zod";

/** What ingest starts every execution with. */
export const ExecutionInput = z.object({
  leadId: z.string(),
  rawKey: z.string(),
  receivedAt: z.string(),
  eventId: z.string().optional(),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

export const FetchRawInput = ExecutionInput;
export const FetchOwnerInput = ExecutionInput.extend({ lead: LeadSummary });
export const MergeInput = FetchOwnerInput.extend({ owner: OwnerRecord });

export const NotifyInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("lead"), leadId: z.string(), merged: MergedLead }),
  z.object({ kind: z.literal("unassigned"), leadId: z.string(), lead: LeadSummary, receivedAt: z.string() }),
]);
export type NotifyInput = z.infer<typeof NotifyInput>;

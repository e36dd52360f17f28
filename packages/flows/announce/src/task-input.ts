import { LeadSummary, MergedLead, OwnerRecord } from "@leadrelay/core";
import * as z from "zod/mini";

/** What ingest starts every execution with. */
export const ExecutionInput = z.object({
  leadId: z.string(),
  rawKey: z.string(),
  receivedAt: z.string(),
  eventId: z.optional(z.string()),
});
export type ExecutionInput = z.infer<typeof ExecutionInput>;

export const FetchRawInput = ExecutionInput;
export const FetchOwnerInput = z.extend(ExecutionInput, { lead: LeadSummary });
export const MergeInput = z.extend(FetchOwnerInput, { owner: OwnerRecord });

export const NotifyInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("lead"), leadId: z.string(), merged: MergedLead }),
  z.object({ kind: z.literal("unassigned"), leadId: z.string(), lead: LeadSummary, receivedAt: z.string() }),
]);
export type NotifyInput = z.infer<typeof NotifyInput>;

/** EmailAnnouncement's Parameters: the lead as NotifySlack announces it. */
export const EmailAnnouncementInput = z.object({ leadId: z.string(), merged: MergedLead });
export type EmailAnnouncementInput = z.infer<typeof EmailAnnouncementInput>;

import * as z from "zod/mini";

const text = z.nullable(z.string());

/** Every execution starts with what the Close source gives (see functions/src/sources/close.ts). */
export const ExecutionInput = z.looseObject({ leadId: z.string() });

export const TriageLeadSchema = z.object({
  leadId: z.string(),
  name: text,
  company: text,
  email: text,
  phone: text,
  message: z.string(),
  messageField: z.string(),
  rawMessageLength: z.number(),
  closeUrl: z.string(),
});

export const Verdict = z.looseObject({ label: z.string(), classifier: z.string() });

/** What each action Task is invoked with (its Parameters). */
export const ActionInput = z.object({ leadId: z.string(), lead: TriageLeadSchema, triage: Verdict });
export type ActionInput = z.infer<typeof ActionInput>;

export const ClassifyInput = z.object({
  leadId: z.string(),
  message: z.string(),
  offline: z.optional(z.boolean()),
  llmError: z.optional(z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) })),
});

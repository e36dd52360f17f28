import type { GraphLead } from "@leadrelay/core";
import * as z from "zod/mini";

/**
 * The lead as the flow hands it on (and publishes it): Graph's lead with `field_data` normalised.
 * `full_name`, `email` and `phone_number` become fields of their own; every other question keeps
 * its key in `answers`. A lead form is filled in by anyone: the record is bounded so it always fits
 * between states (256 KiB) and in one event; the full answer stays in `flows/meta-leads/<id>/lead.json`.
 */
export const MetaLead = z.object({
  leadgenId: z.string(),
  createdTime: z.nullable(z.string()),
  formId: z.nullable(z.string()),
  adId: z.nullable(z.string()),
  adsetId: z.nullable(z.string()),
  campaignId: z.nullable(z.string()),
  isOrganic: z.nullable(z.boolean()),
  platform: z.nullable(z.string()),
  fullName: z.nullable(z.string()),
  /** Trimmed and lower-cased; null when absent or not an email address. */
  email: z.nullable(z.string()),
  phone: z.nullable(z.string()),
  /** Other questions by their key: one value as a string, several as an array (option keys). */
  answers: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  /** Answers left out of this record to keep it small. */
  answersOmitted: z.optional(z.number()),
});
export type MetaLead = z.infer<typeof MetaLead>;

const MAX_VALUE_LENGTH = 500;
const MAX_KEY_LENGTH = 100;
const MAX_VALUES_PER_ANSWER = 20;
/** The answers' share of the record; the rest of it is a few hundred bytes. */
const ANSWERS_BUDGET_BYTES = 16 * 1024;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Control and bidirectional-override characters would reorder or hide text wherever a person reads it. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function clean(value: string, max = MAX_VALUE_LENGTH): string {
  const text = value.replace(UNSAFE, "").replace(/\s+/g, " ").trim();
  return [...text].slice(0, max).join("");
}

function first(values: readonly string[] | undefined): string | null {
  const value = values?.map((item) => clean(item)).find((item) => item !== "");
  return value ?? null;
}

export function normaliseEmail(value: string | null): string | null {
  const email = value?.toLowerCase();
  return email && email.length <= 254 && EMAIL.test(email) ? email : null;
}

/** Graph's lead → the flow's record. */
export function normaliseLead(lead: GraphLead): MetaLead {
  const byName = new Map<string, string[]>();
  for (const field of lead.field_data) {
    const name = clean(field.name, MAX_KEY_LENGTH);
    if (name !== "" && !byName.has(name)) byName.set(name, field.values);
  }
  const fullName =
    first(byName.get("full_name")) ??
    ([first(byName.get("first_name")), first(byName.get("last_name"))].filter(Boolean).join(" ") || null);
  const rawEmail = first(byName.get("email"));
  const email = normaliseEmail(rawEmail);
  const standard = new Set(["full_name", "email", "phone_number"]);

  const answers: Record<string, string | string[]> = {};
  let budget = ANSWERS_BUDGET_BYTES;
  let omitted = 0;
  // An email that is not an address is still what the person typed: it stays, as an answer.
  const entries = [...byName].filter(
    ([name]) => !standard.has(name) || (name === "email" && !email && rawEmail),
  );
  for (const [name, values] of entries) {
    const kept = values.map((value) => clean(value)).filter((value) => value !== "");
    const value = kept.length === 1 ? (kept[0] as string) : kept.slice(0, MAX_VALUES_PER_ANSWER);
    if (kept.length === 0) continue;
    const size = Buffer.byteLength(JSON.stringify([name, value]));
    if (size > budget) {
      omitted++;
      continue;
    }
    budget -= size;
    answers[name] = value;
  }

  return {
    leadgenId: lead.id,
    createdTime: lead.created_time ?? null,
    formId: lead.form_id ?? null,
    adId: lead.ad_id ?? null,
    adsetId: lead.adset_id ?? null,
    campaignId: lead.campaign_id ?? null,
    isOrganic: lead.is_organic ?? null,
    platform: lead.platform ?? null,
    fullName,
    email,
    phone: first(byName.get("phone_number")),
    answers,
    ...(omitted > 0 ? { answersOmitted: omitted } : {}),
  };
}

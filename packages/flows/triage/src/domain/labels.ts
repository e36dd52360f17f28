/**
 * The four branches of the triage flow. The order is a contract: the generated train corpus stores a label as
 * its index in this list, and the Route Choice state matches these exact strings.
 */
export const TRIAGE_LABELS = ["URGENT_BUYER", "TIRE_KICKER", "SUPPORT_REQUEST", "SPAM"] as const;

export type TriageLabel = (typeof TRIAGE_LABELS)[number];

export function isTriageLabel(value: unknown): value is TriageLabel {
  return typeof value === "string" && (TRIAGE_LABELS as readonly string[]).includes(value);
}

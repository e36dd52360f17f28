import type { FlowSpec } from "./flow-spec";

/**
 * How long leadrelay keeps what one event left behind (executions, their objects, stand-in logs):
 * LEADRELAY_RETENTION_DAYS, 90 by default — Step Functions' own history retention, so the local
 * runtime and AWS keep the same.
 */
export const DEFAULT_RETENTION_DAYS = 90;

/**
 * Nothing younger than this is removed whatever the setting: a dedupe marker (an execution's name,
 * a stored webhook, a side effect's marker) must outlive the longest redelivery a source documents
 * — Close retries for 72 h (Meta 36 h, HubSpot 24 h; LGM documents none).
 */
export const LONGEST_REDELIVERY_MS = 72 * 3600 * 1000;

/** Failure-alert markers (packages/core failure-alert.ts): one per finished execution, per event too. */
const ALERT_MARKERS = "alerts/";

export function retentionDays(env: Record<string, string | undefined>): number {
  const value = env.LEADRELAY_RETENTION_DAYS;
  if (value === undefined || value.trim() === "") return DEFAULT_RETENTION_DAYS;
  const days = Number(value);
  if (!Number.isFinite(days) || days <= 0)
    throw new Error(`LEADRELAY_RETENTION_DAYS must be a positive number of days, not "${value}"`);
  return days;
}

/** How old something must be to be removed: the setting, never under the longest redelivery window. */
export function retentionMs(days: number): number {
  return Math.max(days * 24 * 3600 * 1000, LONGEST_REDELIVERY_MS);
}

/** A key pattern (`sources/lgm/*`, `crm_event_*.json`) as the prefix before its first `*`. */
const prefixOf = (pattern: string) => pattern.split("*")[0] ?? pattern;

/**
 * The key prefixes whose objects expire: every prefix of the flows' and their sources' storage
 * grants, and the failure-alert markers, except what a flow declares retained (`retainedKeys`).
 * A prefix that would cover a retained one is split no further and left out: it is kept whole.
 */
export function expiringPrefixes(flows: readonly FlowSpec[]): string[] {
  const retained = flows.flatMap((flow) => (flow.retainedKeys ?? []).map(prefixOf));
  const candidates = new Set<string>([ALERT_MARKERS]);
  for (const flow of flows) {
    for (const key of flow.source.storage) candidates.add(prefixOf(key));
    for (const task of Object.values(flow.tasks))
      for (const grant of task.storage ?? []) candidates.add(prefixOf(grant.keys));
  }
  const expiring = [...candidates].filter(
    (prefix) => prefix !== "" && !retained.some((kept) => kept.startsWith(prefix) || prefix.startsWith(kept)),
  );
  // A prefix inside another expiring one adds nothing.
  return expiring
    .filter((prefix) => !expiring.some((other) => other !== prefix && prefix.startsWith(other)))
    .sort();
}

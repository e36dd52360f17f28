import type { Clock, ObjectStore } from "@leadrelay/core";
import { atMostOnce } from "@leadrelay/functions/at-most-once";
import { missingVariables } from "@leadrelay/functions/config";
import { type ActionResult, skipped, type TriageAction } from "./domain/actions";

/** Markers of triage's side effects, one per lead and action (IAM gives the flow `flows/triage/*` only). */
export const markerKey = (leadId: string, action: TriageAction) => `flows/triage/${leadId}/${action}.json`;

export interface ActionDeps {
  store: ObjectStore;
  /** TRIAGE_ACTIONS */
  enabled: ReadonlySet<TriageAction>;
  env: Record<string, string | undefined>;
  clock?: Clock;
}

/**
 * One automatic action, at most once per lead: skipped when the team has not turned it on or a
 * credential is missing (the history and the note say which), otherwise done behind a marker.
 */
export async function runAction(
  action: TriageAction,
  deps: ActionDeps,
  leadId: string,
  required: { variables: readonly string[]; reason?: string },
  call: () => Promise<{ id?: string; detail?: string }>,
  options: { idempotencyWindowMs?: number } = {},
): Promise<ActionResult> {
  if (!deps.enabled.has(action)) return skipped(action, `${action} is not in TRIAGE_ACTIONS`);
  const missing = missingVariables(deps.env, required.variables);
  if (missing.length > 0)
    return skipped(action, `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`);
  if (required.reason) return skipped(action, required.reason);
  const outcome = await atMostOnce(deps.store, markerKey(leadId, action), call, {
    clock: deps.clock,
    idempotencyWindowMs: options.idempotencyWindowMs,
  });
  if (outcome.status === "uncertain") {
    return {
      action,
      status: "uncertain",
      since: outcome.since,
      detail: "an earlier attempt never confirmed",
    };
  }
  return { action, status: outcome.status, at: outcome.at, ...outcome.result };
}

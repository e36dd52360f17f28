import type { LeadCrm } from "@leadrelay/core";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import * as z from "zod/mini";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import type { TriageCrm } from "./crm-branches";
import { type ActionResult, type CaughtError, isCaughtError, type TriageAction } from "./domain/actions";
import { outcomeNote } from "./domain/notifications";
import { CRM_CREDENTIAL, crmOf, otherCrmLead, type TriageCrms, triageCrmsFromEnv } from "./lead-crm";
import { TriageLeadSchema, Verdict } from "./task-input";

const ORDER: readonly TriageAction[] = ["sms", "slack", "email", "ticket"];

const OutcomeInput = z.looseObject({
  leadId: z.string(),
  lead: TriageLeadSchema,
  triage: Verdict,
  actions: z.optional(z.record(z.string(), z.unknown())),
});

export interface OutcomeResult {
  /** An action failed for good: the execution ends in TriageActionFailed after this note. */
  failed: boolean;
  summary: string;
  note: string;
  crm: ActionResult;
  field?: { key: string; value: string } | { skipped: string };
}

/**
 * The CRM that sent the lead (Close, or HubSpot for a `hubspot-{portal}-{contact}` lead id): the
 * label into its triage field or property (a write of the same value is harmless to repeat) and
 * one note listing exactly what was done, so no human repeats the work. Neither CRM has an
 * idempotency key: the note goes out behind a marker.
 */
export function createRecordOutcome(deps: ActionDeps & { crms: TriageCrms; serves?: TriageCrm }) {
  return async (event: unknown): Promise<OutcomeResult> => {
    const input = OutcomeInput.parse(event);
    const actions = ORDER.flatMap((action): Array<[TriageAction, ActionResult | CaughtError]> => {
      const result = input.actions?.[action];
      if (result === undefined) return [];
      return [[action, isCaughtError(result) ? result : (result as ActionResult)]];
    });
    const { note, failed } = outcomeNote(input.triage, actions);
    let field: OutcomeResult["field"];
    const chosen = crmOf(deps.crms, input.leadId);
    // A lead of the other CRM is skipped, saying why, rather than reported as a missing key.
    const reason = otherCrmLead(deps.serves, input.leadId);
    const variables = reason ? [] : [CRM_CREDENTIAL[chosen.kind]];
    const crm = await runAction("crm", deps, input.leadId, { variables, reason }, async () => {
      const target = chosen.crm as LeadCrm;
      field = await target.writeLabel(input.leadId, input.triage.label);
      const created = await target.addNote(input.leadId, note);
      return {
        id: created.noteId,
        detail: field && "key" in field ? `${field.key} = ${field.value}` : field?.skipped,
      };
    });
    const summary =
      failed.length === 0
        ? "every action done or skipped"
        : `failed: ${failed.map((action) => `${action} (${(input.actions?.[action] as CaughtError | undefined)?.Error})`).join(", ")}`;
    return { failed: failed.length > 0, summary, note, crm, ...(field ? { field } : {}) };
  };
}

/** RecordOutcome: the Close lead's field and note (CLOSE_API_KEY). */
export const build: HandlerBuild = (env, kit) =>
  createRecordOutcome({ ...actionDeps(env, kit), crms: triageCrmsFromEnv(env, "close"), serves: "close" });
export const handler = taskHandler("triage-record-outcome", build);

import { type CloseApi, closeCustomFieldKey } from "@leadrelay/core";
import { closeApiFromEnv } from "@leadrelay/functions/adapters/close-api";
import { readEnv } from "@leadrelay/functions/config";
import { type HandlerBuild, lambdaHandler } from "@leadrelay/functions/lambda";
import * as z from "zod/mini";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import { type ActionResult, type CaughtError, isCaughtError, type TriageAction } from "./domain/actions";
import { outcomeNote } from "./domain/notifications";
import { TriageSettings } from "./settings";
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
 * Close: the label into the triage custom field (a PUT of the same value is harmless to repeat)
 * and one note listing exactly what was done, so no human repeats the work. Close has no
 * idempotency key: the note goes out behind a marker.
 */
export function createRecordOutcome(deps: ActionDeps & { close?: CloseApi; fieldId?: string }) {
  return async (event: unknown): Promise<OutcomeResult> => {
    const input = OutcomeInput.parse(event);
    const actions = ORDER.flatMap((action): Array<[TriageAction, ActionResult | CaughtError]> => {
      const result = input.actions?.[action];
      if (result === undefined) return [];
      return [[action, isCaughtError(result) ? result : (result as ActionResult)]];
    });
    const { note, failed } = outcomeNote(input.triage, actions);
    let field: OutcomeResult["field"];
    const crm = await runAction("crm", deps, input.leadId, { variables: ["CLOSE_API_KEY"] }, async () => {
      const close = deps.close as CloseApi;
      if (deps.fieldId) {
        const key = closeCustomFieldKey(deps.fieldId);
        await close.updateLead(input.leadId, { [key]: input.triage.label });
        field = { key, value: input.triage.label };
      } else field = { skipped: "CLOSE_TRIAGE_FIELD_ID is not set" };
      const created = await close.createNote(input.leadId, note);
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

export const build: HandlerBuild = (env, kit) => {
  const { CLOSE_TRIAGE_FIELD_ID } = readEnv(
    { CLOSE_TRIAGE_FIELD_ID: TriageSettings.CLOSE_TRIAGE_FIELD_ID },
    env,
  );
  return createRecordOutcome({
    ...actionDeps(env, kit),
    close: closeApiFromEnv(env),
    fieldId: CLOSE_TRIAGE_FIELD_ID,
  });
};
export const handler = lambdaHandler("triage-record-outcome", build);

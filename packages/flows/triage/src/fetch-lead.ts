import type { CloseApi } from "@leadrelay/core";
import { closeApiFromEnv } from "@leadrelay/functions/adapters/close-api";
import { readEnv } from "@leadrelay/functions/config";
import { type HandlerBuild, lambdaHandler } from "@leadrelay/functions/lambda";
import { type TriageLead, triageLeadOf } from "./domain/triage-lead";
import { TriageSettings } from "./settings";
import { ExecutionInput } from "./task-input";

/** A Close API key is missing: triage cannot read the lead at all (not retried). */
export class LeadUnreadable extends Error {
  override readonly name = "LeadUnreadable";
}

/** Close `GET /lead/{id}/` → the contacts and the message, sanitized: a small record for the next states. */
export function createFetchLead(deps: { close: CloseApi | undefined; messageField: string }) {
  return async (event: unknown): Promise<TriageLead> => {
    const { leadId } = ExecutionInput.parse(event);
    if (!deps.close) throw new LeadUnreadable("CLOSE_API_KEY is not set: the lead cannot be read from Close");
    return triageLeadOf(leadId, await deps.close.getLead(leadId), deps.messageField);
  };
}

export const build: HandlerBuild = (env) => {
  const { TRIAGE_MESSAGE_FIELD } = readEnv(
    { TRIAGE_MESSAGE_FIELD: TriageSettings.TRIAGE_MESSAGE_FIELD },
    env,
  );
  return createFetchLead({
    close: closeApiFromEnv(env),
    messageField: TRIAGE_MESSAGE_FIELD,
  });
};
export const handler = lambdaHandler("triage-fetch-lead", build);

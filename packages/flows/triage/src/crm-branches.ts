import type { AslDefinition, AslState } from "@leadrelay/functions/state-machine";

/**
 * Which CRM's Tasks triage runs, from its chosen sources (TRIAGE_SOURCES). Each CRM has its own
 * read and record Tasks — their own Lambda, secret (CLOSE_API_KEY or HUBSPOT_TOKEN) and vendor
 * budget — so a HubSpot-only stage needs no Close key and a HubSpot burst never waits on Close's
 * budget. The ASL file is the Close flow as it always was; this adds the HubSpot Tasks (copies of
 * the Close ones with their own Lambda) and, when both CRMs send leads, a Choice on the lead id
 * before each, so the history names the CRM a lead went through.
 */

export type TriageCrm = "close" | "hubspot";

/** The states of each CRM: the Close ones are the ASL file's. */
export const CRM_STATES = {
  close: { fetch: "FetchLead", record: "RecordOutcome" },
  hubspot: { fetch: "FetchHubSpotContact", record: "RecordInHubSpot" },
} as const;

/** The Choices of a stage whose triage listens to both CRMs. */
export const CRM_CHOICES = { fetch: "ByCrm", record: "RecordByCrm" } as const;

/** The Lambda placeholders of the HubSpot Tasks (the Close ones are the ASL file's). */
export const HUBSPOT_PLACEHOLDERS = {
  fetch: "FetchHubSpotContactFunctionArn",
  record: "RecordInHubSpotFunctionArn",
} as const;

/** A HubSpot lead id (`hubspot-{portal}-{contact}`, see core's crmLeadRef). */
const HUBSPOT_LEAD_PATTERN = "hubspot-*";

/** HubSpot's rolling window is 10 s (`X-HubSpot-RateLimit-Interval-Milliseconds`): no retry comes sooner. */
const HUBSPOT_RESET_SECONDS = 10;

const hubspotTask = (close: AslState | undefined, placeholder: string, comment: string): AslState => {
  if (!close) throw new Error("triage.asl.json lost a CRM Task");
  const task: AslState = { ...structuredClone(close), Resource: `\${${placeholder}}`, Comment: comment };
  for (const retrier of task.Retry ?? []) {
    if (retrier.ErrorEquals.includes("ServiceRateLimited"))
      retrier.IntervalSeconds = Math.max(HUBSPOT_RESET_SECONDS, retrier.IntervalSeconds ?? 1);
  }
  return task;
};

const byCrm = (comment: string, hubspot: string, close: string): AslState => ({
  Type: "Choice",
  Comment: comment,
  Choices: [{ Variable: "$.leadId", StringMatches: HUBSPOT_LEAD_PATTERN, Next: hubspot }],
  Default: close,
});

/** Every `Next`/`Default` (top level and Choice rules) that names `from` now names `to`. */
function redirect(definition: AslDefinition, from: string, to: string, except: string) {
  for (const [name, state] of Object.entries(definition.States)) {
    if (name === except) continue;
    if (state.Next === from) state.Next = to;
    if (state.Default === from) state.Default = to;
    for (const choice of (state.Choices ?? []) as Array<{ Next?: string }>) {
      if (choice.Next === from) choice.Next = to;
    }
  }
}

/** The definition with the Tasks of these CRMs (the file itself for Close alone). */
export function withCrmBranches(definition: AslDefinition, crms: readonly TriageCrm[]): AslDefinition {
  if (!crms.includes("hubspot")) return definition;
  const states = definition.States;
  const close = CRM_STATES.close;
  const hubspot = CRM_STATES.hubspot;
  states[hubspot.fetch] = hubspotTask(
    states[close.fetch],
    HUBSPOT_PLACEHOLDERS.fetch,
    "HubSpot batch read of the contact: name, company, email, phone and the message property (HUBSPOT_TRIAGE_MESSAGE_PROPERTY), sanitized.",
  );
  states[hubspot.record] = hubspotTask(
    states[close.record],
    HUBSPOT_PLACEHOLDERS.record,
    "HubSpot: the label property on the contact (HUBSPOT_TRIAGE_PROPERTY), and one note associated with it listing exactly what was done, skipped or failed.",
  );
  if (crms.includes("close")) {
    states[CRM_CHOICES.fetch] = byCrm(
      "The CRM that sent the lead: a HubSpot contact (hubspot-{portal}-{contact}) or a Close lead.",
      hubspot.fetch,
      close.fetch,
    );
    states[CRM_CHOICES.record] = byCrm(
      "The outcome goes back to the CRM that sent the lead.",
      hubspot.record,
      close.record,
    );
    definition.StartAt = CRM_CHOICES.fetch;
    redirect(definition, close.record, CRM_CHOICES.record, CRM_CHOICES.record);
    return definition;
  }
  // HubSpot alone: no Close Task is left, so no Close key is needed.
  definition.StartAt = hubspot.fetch;
  redirect(definition, close.record, hubspot.record, "");
  delete states[close.fetch];
  delete states[close.record];
  return definition;
}

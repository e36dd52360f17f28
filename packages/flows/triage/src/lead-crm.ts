import { crmLeadRef, type LeadCrm } from "@leadrelay/core";
import { closeApiFromEnv } from "@leadrelay/functions/adapters/close-api";
import { createCloseLeadCrm } from "@leadrelay/functions/adapters/close-lead-crm";
import { createHubSpotCrm } from "@leadrelay/functions/adapters/hubspot";
import { createHubSpotLeadCrm } from "@leadrelay/functions/adapters/hubspot-lead-crm";
import { readConfig, readEnv } from "@leadrelay/functions/config";
import type { Env } from "@leadrelay/functions/lambda";
import type { TriageCrm } from "./crm-branches";
import { TriageSettings } from "./settings";

/** The CRMs triage can read and write, each present only when its credential is set. */
export interface TriageCrms {
  close?: LeadCrm;
  hubspot?: LeadCrm;
}

/** The credential each CRM cannot work without (named in a skip or an error). */
export const CRM_CREDENTIAL = { close: "CLOSE_API_KEY", hubspot: "HUBSPOT_TOKEN" } as const;

export const CRM_NAME = { close: "Close", hubspot: "HubSpot" } as const;

/** The CRM a lead id belongs to (`hubspot-{portal}-{contact}` or a Close lead id), or the variable it lacks. */
export function crmOf(
  crms: TriageCrms,
  leadId: string,
): { crm: LeadCrm; kind: TriageCrm } | { crm: undefined; kind: TriageCrm; missing: string } {
  const kind = crmLeadRef(leadId).crm;
  const crm = crms[kind];
  return crm ? { crm, kind } : { crm: undefined, kind, missing: CRM_CREDENTIAL[kind] };
}

/**
 * A lead of another CRM than the one a Task serves (each CRM has its own Tasks, see crm-branches.ts):
 * e.g. a replay of a HubSpot lead on a stage whose TRIAGE_SOURCES no longer has hubspot.
 */
export function otherCrmLead(serves: TriageCrm | undefined, leadId: string): string | undefined {
  const kind = crmLeadRef(leadId).crm;
  if (serves === undefined || kind === serves) return undefined;
  return `${leadId} is a ${CRM_NAME[kind]} lead and this Task serves ${CRM_NAME[serves]} leads: add ${kind} to TRIAGE_SOURCES`;
}

/**
 * Close (CLOSE_API_KEY) and HubSpot (HUBSPOT_TOKEN) from a Task's environment, with triage's field
 * settings; `only` the one CRM a Task serves.
 */
export function triageCrmsFromEnv(env: Env, only?: TriageCrm): TriageCrms {
  const settings = readEnv(
    {
      TRIAGE_MESSAGE_FIELD: TriageSettings.TRIAGE_MESSAGE_FIELD,
      CLOSE_TRIAGE_FIELD_ID: TriageSettings.CLOSE_TRIAGE_FIELD_ID,
      HUBSPOT_TRIAGE_MESSAGE_PROPERTY: TriageSettings.HUBSPOT_TRIAGE_MESSAGE_PROPERTY,
      HUBSPOT_TRIAGE_PROPERTY: TriageSettings.HUBSPOT_TRIAGE_PROPERTY,
    },
    env,
  );
  const close = closeApiFromEnv(env);
  const hubspot = readConfig(["HUBSPOT_BASE_URL", "HUBSPOT_TOKEN", "HTTP_TIMEOUT_MS"], env);
  const token = hubspot.HUBSPOT_TOKEN?.trim();
  return {
    ...(close && only !== "hubspot"
      ? {
          close: createCloseLeadCrm(close, {
            messageField: settings.TRIAGE_MESSAGE_FIELD,
            labelFieldId: settings.CLOSE_TRIAGE_FIELD_ID,
          }),
        }
      : {}),
    ...(token && only !== "close"
      ? {
          hubspot: createHubSpotLeadCrm(
            createHubSpotCrm(
              { baseUrl: hubspot.HUBSPOT_BASE_URL, token },
              { timeoutMs: hubspot.HTTP_TIMEOUT_MS },
            ),
            {
              messageProperty: settings.HUBSPOT_TRIAGE_MESSAGE_PROPERTY,
              labelProperty: settings.HUBSPOT_TRIAGE_PROPERTY,
            },
          ),
        }
      : {}),
  };
}

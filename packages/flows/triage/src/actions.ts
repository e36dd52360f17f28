import type { FlowAction } from "@leadrelay/functions/flow-spec";
import { SMS_VARIABLES } from "./send-sms";

/** Which CRM's actions an execution has, by its name (see core's crmLeadRef). */
const HUBSPOT_KEYS = "^hubspot-";
const CLOSE_KEYS = "^(?!hubspot-)";

const SES = { setting: "EMAIL_PROVIDER", value: "ses", vendor: "ses", requires: ["EMAIL_FROM"] } as const;

/**
 * What triage does through vendors. The automatic actions carry their TRIAGE_ACTIONS name as id (or
 * `enabledAs`: recording in HubSpot is `crm` too); each CRM's read and record are actions of its own
 * (only the chosen sources' are in the definition, see crm-branches.ts);
 * reading the lead and classifying it are what every lead goes through (the LLM is optional: without
 * LLM_BASE_URL and LLM_MODEL the offline classifier decides, nothing is skipped).
 */
export const TRIAGE_FLOW_ACTIONS: readonly FlowAction[] = [
  {
    id: "read-lead",
    title: "Read the lead from Close",
    vendor: "close",
    requires: ["CLOSE_API_KEY"],
    forKeys: CLOSE_KEYS,
    states: ["FetchLead"],
    result: "$.lead",
  },
  {
    id: "read-contact",
    title: "Read the contact from HubSpot",
    vendor: "hubspot",
    requires: ["HUBSPOT_TOKEN"],
    forKeys: HUBSPOT_KEYS,
    states: ["FetchHubSpotContact"],
    result: "$.lead",
  },
  {
    id: "classify",
    title: "Classify the lead's message",
    vendor: "llm",
    requires: [],
    states: ["Classify", "ClassifyOffline"],
    result: "$.triage",
  },
  {
    id: "sms",
    title: "Text the on-call rep",
    vendor: "twilio",
    requires: SMS_VARIABLES,
    enabledBy: "TRIAGE_ACTIONS",
    states: ["TextOnCall"],
    result: "$.actions.sms",
  },
  {
    id: "slack",
    title: "Post the urgent lead in Slack",
    vendor: "slack",
    requires: ["SLACK_WEBHOOK_URL"],
    enabledBy: "TRIAGE_ACTIONS",
    states: ["PostUrgentSlack"],
    result: "$.actions.slack",
  },
  {
    id: "email",
    title: "Email the lead",
    vendor: "brevo",
    requires: ["EMAIL_FROM", "BREVO_API_KEY"],
    enabledBy: "TRIAGE_ACTIONS",
    alternative: SES,
    states: ["EmailLead"],
    result: "$.actions.email",
  },
  {
    id: "ticket",
    title: "Open a support ticket",
    vendor: "zendesk",
    requires: ["ZENDESK_BASE_URL", "ZENDESK_EMAIL", "ZENDESK_API_TOKEN"],
    enabledBy: "TRIAGE_ACTIONS",
    states: ["OpenTicket"],
    result: "$.actions.ticket",
  },
  {
    id: "crm",
    title: "Record the outcome in Close",
    vendor: "close",
    requires: ["CLOSE_API_KEY"],
    enabledBy: "TRIAGE_ACTIONS",
    forKeys: CLOSE_KEYS,
    states: ["RecordOutcome"],
    result: "$.outcome.crm",
  },
  {
    id: "crm-hubspot",
    title: "Record the outcome in HubSpot",
    vendor: "hubspot",
    requires: ["HUBSPOT_TOKEN"],
    enabledBy: "TRIAGE_ACTIONS",
    // `crm` in TRIAGE_ACTIONS records in whichever CRM sent the lead.
    enabledAs: "crm",
    forKeys: HUBSPOT_KEYS,
    states: ["RecordInHubSpot"],
    result: "$.outcome.crm",
  },
];

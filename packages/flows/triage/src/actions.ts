import type { FlowAction } from "@leadrelay/functions/flow-spec";
import { SMS_VARIABLES } from "./send-sms";

const SES = { setting: "EMAIL_PROVIDER", value: "ses", vendor: "ses", requires: ["EMAIL_FROM"] } as const;

/**
 * What triage does through vendors. The five automatic actions carry their TRIAGE_ACTIONS name as id;
 * reading the lead and classifying it are what every lead goes through (the LLM is optional: without
 * LLM_BASE_URL and LLM_MODEL the offline classifier decides, nothing is skipped).
 */
export const TRIAGE_FLOW_ACTIONS: readonly FlowAction[] = [
  {
    id: "read-lead",
    title: "Read the lead from Close",
    vendor: "close",
    requires: ["CLOSE_API_KEY"],
    states: ["FetchLead"],
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
    states: ["RecordOutcome"],
    result: "$.outcome.crm",
  },
];

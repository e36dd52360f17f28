import { KnownErrorNames } from "@leadrelay/core";
import type { FlowSpec, StorageGrant, TaskSpec } from "@leadrelay/functions/flow-spec";
import { closeSource } from "@leadrelay/functions/sources/close";
import type { AslDefinition } from "@leadrelay/functions/state-machine";
import asl from "../triage.asl.json";
import { TRIAGE_FLOW_ACTIONS } from "./actions";
import { SMS_VARIABLES } from "./send-sms";
import { triageView } from "./view";

const handler = (file: string) => `packages/flows/triage/src/${file}.handler`;
/** Triage's markers: `flows/triage/{lead}/{action}.json`, nothing of any other flow. */
const MARKERS: StorageGrant[] = [
  { actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], keys: "flows/triage/*" },
];
const action = (id: string, file: string, more: Partial<TaskSpec>): TaskSpec => ({
  id,
  handler: handler(file),
  storage: MARKERS,
  existenceChecks: true,
  ...more,
  env: ["TRIAGE_ACTIONS", ...(more.env ?? [])],
});

/**
 * triage: a new Close lead is read from Close, its message sanitized and classified into one of
 * four intents (LLM when configured, offline classifier otherwise), routed to the matching actions
 * (SMS + Slack for urgent buyers, an email for tire kickers, a ticket for support requests, nothing
 * for spam), and the outcome recorded in Close.
 */
export const triageFlow: FlowSpec = {
  id: "triage",
  title: "Qualify new leads and alert a human",
  source: closeSource,
  asl: asl as unknown as AslDefinition,
  tasks: {
    FetchLeadFunctionArn: {
      id: "FetchLead",
      handler: handler("fetch-lead"),
      env: ["CLOSE_API_BASE_URL", "TRIAGE_MESSAGE_FIELD"],
      secrets: ["CLOSE_API_KEY"],
      calls: { close: 1 },
    },
    ClassifyFunctionArn: {
      id: "Classify",
      handler: handler("classify"),
      env: ["LLM_BASE_URL", "LLM_MODEL"],
      // A model answers slower than a REST API: 25 s for the call, 45 s for the Lambda, 60 s for the Task.
      timeoutSeconds: 45,
      optionalSecrets: ["LLM_API_KEY"],
      calls: { llm: 1 },
    },
    SendSmsFunctionArn: action("SendSms", "send-sms", {
      env: ["TWILIO_BASE_URL", ...SMS_VARIABLES.filter((name) => name !== "TWILIO_AUTH_TOKEN")],
      optionalSecrets: ["TWILIO_AUTH_TOKEN"],
      calls: { twilio: 1 },
    }),
    PostUrgentSlackFunctionArn: action("PostUrgentSlack", "post-urgent-slack", {
      optionalSecrets: ["SLACK_WEBHOOK_URL"],
      calls: { slack: 1 },
    }),
    SendEmailFunctionArn: action("SendEmail", "send-email", {
      env: [
        "EMAIL_PROVIDER",
        "EMAIL_FROM",
        "BREVO_BASE_URL",
        "TRIAGE_CALENDAR_URL",
        "TRIAGE_CASE_STUDY_URLS",
      ],
      optionalSecrets: ["BREVO_API_KEY"],
      sendsEmail: true,
      calls: { brevo: 1 },
    }),
    CreateTicketFunctionArn: action("CreateTicket", "create-ticket", {
      env: ["ZENDESK_BASE_URL", "ZENDESK_EMAIL"],
      optionalSecrets: ["ZENDESK_API_TOKEN"],
      calls: { zendesk: 1 },
    }),
    RecordOutcomeFunctionArn: action("RecordOutcome", "record-outcome", {
      env: ["CLOSE_API_BASE_URL", "CLOSE_TRIAGE_FIELD_ID"],
      secrets: ["CLOSE_API_KEY"],
      // The custom field, then the note.
      calls: { close: 2 },
    }),
  },
  actions: TRIAGE_FLOW_ACTIONS,
  view: triageView,
  errorNames: [
    ...KnownErrorNames,
    "LeadUnreadable",
    "SlackRateLimited",
    "SlackUnavailable",
    // The Fail states: what an operator sees on a failed triage.
    "LeadNotFetched",
    "OutcomeNotRecorded",
    "TriageActionFailed",
    "TriageFailed",
  ],
  /**
   * Where a caught failure goes on by design: the offline classifier when the LLM gave up; an
   * action that failed for good is recorded (its branch's Pass state, then RecordOutcome) and the
   * execution ends in TriageActionFailed after the note.
   */
  degradedStates: ["ClassifyOffline", "RecordOutcome", "SmsNotSent", "SlackAlertNotPosted"],
};

import { KnownErrorNames } from "@leadrelay/core";
import { type FlowSpec, flowSources, type StorageGrant, type TaskSpec } from "@leadrelay/functions/flow-spec";
import { closeSource } from "@leadrelay/functions/sources/close";
import { hubspotSource } from "@leadrelay/functions/sources/hubspot";
import type { AslDefinition } from "@leadrelay/functions/state-machine";
import asl from "../triage.asl.json";
import { TRIAGE_FLOW_ACTIONS } from "./actions";
import { HUBSPOT_PLACEHOLDERS, type TriageCrm, withCrmBranches } from "./crm-branches";
import { triageHubSpotProperties } from "./hubspot-properties";
import { SMS_VARIABLES } from "./send-sms";
import { TriageSettings } from "./settings";
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

/** The CRMs whose leads start triage with these settings (TRIAGE_SOURCES). */
const crmsOf = (settings: Record<string, string | undefined>): TriageCrm[] =>
  flowSources(triageFlow, settings).map((source) => (source.id === hubspotSource.id ? "hubspot" : "close"));

/**
 * triage: a new lead is read from the CRM that sent it (Close, or HubSpot with TRIAGE_SOURCES), its
 * message sanitized and classified into one of four intents (LLM when configured, offline
 * classifier otherwise), routed to the matching actions (SMS + Slack for urgent buyers, an email
 * for tire kickers, a ticket for support requests, nothing for spam), and the outcome recorded in
 * that CRM. Each CRM has its own read and record Tasks (crm-branches.ts): its own secret, its own
 * vendor budget, and only the chosen CRMs' Tasks are in the definition.
 */
export const triageFlow: FlowSpec = {
  id: "triage",
  title: "Qualify new leads and alert a human",
  source: closeSource,
  // TRIAGE_SOURCES: Close (default), HubSpot, or both; only the chosen sources' secrets are needed.
  sourceChoice: { setting: "TRIAGE_SOURCES", sources: [closeSource, hubspotSource], default: ["close"] },
  asl: asl as unknown as AslDefinition,
  configure: (definition, settings) => withCrmBranches(definition, crmsOf(settings)),
  // The label property, when HubSpot is one of the chosen sources.
  hubspotProperties: (settings) =>
    flowSources(triageFlow, settings).some((source) => source.id === hubspotSource.id)
      ? triageHubSpotProperties(settings.HUBSPOT_TRIAGE_PROPERTY?.trim() || undefined)
      : [],
  settings: TriageSettings,
  tasks: {
    FetchLeadFunctionArn: {
      id: "FetchLead",
      handler: handler("fetch-lead"),
      env: ["CLOSE_API_BASE_URL", "TRIAGE_MESSAGE_FIELD"],
      secrets: ["CLOSE_API_KEY"],
      calls: { close: 1 },
    },
    /** In the definition only when TRIAGE_SOURCES has hubspot (see `configure`). */
    [HUBSPOT_PLACEHOLDERS.fetch]: {
      id: "FetchHubSpotContact",
      handler: handler("fetch-hubspot-contact"),
      env: ["HUBSPOT_BASE_URL", "HUBSPOT_TRIAGE_MESSAGE_PROPERTY"],
      secrets: ["HUBSPOT_TOKEN"],
      // One batch read (consistent at once, unlike search).
      calls: { hubspot: 1 },
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
    /** In the definition only when TRIAGE_SOURCES has hubspot (see `configure`). */
    [HUBSPOT_PLACEHOLDERS.record]: action("RecordInHubSpot", "record-in-hubspot", {
      env: ["HUBSPOT_BASE_URL", "HUBSPOT_TRIAGE_PROPERTY"],
      secrets: ["HUBSPOT_TOKEN"],
      // The label property, then the note (created with its association in one call).
      calls: { hubspot: 2 },
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
  degradedStates: [
    "ClassifyOffline",
    "RecordOutcome",
    "RecordInHubSpot",
    "RecordByCrm",
    "SmsNotSent",
    "SlackAlertNotPosted",
  ],
};

import { enrichedKey, KnownErrorNames, notifiedKey, rawEventKey } from "@leadrelay/core";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { closeSource } from "@leadrelay/functions/sources/close";
import asl from "../announce.asl.json";
import { ANNOUNCE_ACTIONS } from "./actions";
import { DEFAULT_WAIT_SECONDS, definitionWithWait, withEmailAnnouncement } from "./definition";
import { readDeploySettings } from "./deploy-settings";
import { ANNOUNCEMENT_EMAIL_FAILED } from "./domain/lead-email";
import { announceView } from "./view";

const handler = (file: string) => `packages/flows/announce/src/${file}.handler`;
const RAW = rawEventKey("*");
const ENRICHED = enrichedKey("*");
/** `notified/*.json` also covers the `.unassigned.json` marker. */
const NOTIFIED = notifiedKey("*");

/**
 * announce: a new Close lead is held ten minutes (time for a rep to be assigned), its owner file
 * is fetched with retries, the merged record stored, and the lead announced in Slack (and by email
 * when ANNOUNCE_EMAIL_TO is set).
 */
export const announceFlow: FlowSpec = {
  id: "announce",
  title: "Announce new leads in Slack",
  source: closeSource,
  asl,
  deploySettings(env, { stage, mode, offline }) {
    const settings = readDeploySettings(offline ? "test" : stage, mode, env);
    return {
      OWNER_BASE_URL: settings.ownerBaseUrl,
      LEAD_WAIT_SECONDS: String(settings.waitSeconds),
      NOTIFY_UNASSIGNED: String(settings.notifyUnassigned),
      ...(settings.announceEmail
        ? {
            ANNOUNCE_EMAIL_TO: settings.announceEmail.to,
            EMAIL_FROM: settings.announceEmail.from,
            ...(settings.announceEmail.provider ? { EMAIL_PROVIDER: settings.announceEmail.provider } : {}),
            ...(settings.announceEmail.brevoBaseUrl
              ? { BREVO_BASE_URL: settings.announceEmail.brevoBaseUrl }
              : {}),
          }
        : {}),
    };
  },
  configure: (_definition, settings) => {
    const definition = definitionWithWait(
      settings.LEAD_WAIT_SECONDS ? Number(settings.LEAD_WAIT_SECONDS) : DEFAULT_WAIT_SECONDS,
    );
    // Without ANNOUNCE_EMAIL_TO the definition is the file as it is: Slack only.
    return settings.ANNOUNCE_EMAIL_TO?.trim() ? withEmailAnnouncement(definition) : definition;
  },
  tasks: {
    FetchRawFunctionArn: {
      id: "FetchRaw",
      handler: handler("fetch-raw"),
      storage: [{ actions: ["s3:GetObject"], keys: RAW }],
      existenceChecks: true,
    },
    FetchOwnerFunctionArn: { id: "FetchOwner", handler: handler("fetch-owner"), env: ["OWNER_BASE_URL"] },
    MergeAndStoreFunctionArn: {
      id: "MergeAndStore",
      handler: handler("merge-and-store"),
      storage: [
        { actions: ["s3:GetObject"], keys: RAW },
        { actions: ["s3:PutObject"], keys: ENRICHED },
      ],
      existenceChecks: true,
    },
    NotifySlackFunctionArn: {
      id: "NotifySlack",
      handler: handler("notify-slack"),
      env: ["NOTIFY_UNASSIGNED"],
      secrets: ["SLACK_WEBHOOK_URL"],
      storage: [{ actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], keys: NOTIFIED }],
      existenceChecks: true,
      calls: { slack: 1 },
    },
    /** In the definition only when ANNOUNCE_EMAIL_TO is set (see `configure`). */
    EmailAnnouncementFunctionArn: {
      id: "EmailAnnouncement",
      handler: handler("email-announcement"),
      env: ["ANNOUNCE_EMAIL_TO", "EMAIL_PROVIDER", "EMAIL_FROM", "BREVO_BASE_URL"],
      optionalSecrets: ["BREVO_API_KEY"],
      sendsEmail: true,
      calls: { brevo: 1 },
      // Its marker `notified/{lead}.email.json`; no ListBucket: the marker is only read once it exists.
      storage: [{ actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], keys: NOTIFIED }],
    },
  },
  actions: ANNOUNCE_ACTIONS,
  view: announceView,
  errorNames: [...KnownErrorNames, ANNOUNCEMENT_EMAIL_FAILED],
};

import type { FlowAction } from "@leadrelay/functions/flow-spec";
import { EMAIL_AFTER_SLACK_ERROR_STATE, EMAIL_STATE, NOTIFY_STATE } from "./definition";

/** Email through Amazon SES needs no Brevo key (EMAIL_PROVIDER=ses). */
const SES = { setting: "EMAIL_PROVIDER", value: "ses", vendor: "ses", requires: ["EMAIL_FROM"] } as const;

/** What announce does through vendors: the owner file, the Slack announcement, the email (ANNOUNCE_EMAIL_TO). */
export const ANNOUNCE_ACTIONS: readonly FlowAction[] = [
  {
    id: "owner",
    title: "Fetch the lead's owner file",
    vendor: "owners",
    requires: ["OWNER_BASE_URL"],
    states: ["FetchOwner"],
    result: "$.owner",
  },
  {
    id: "slack",
    title: "Announce the lead in Slack",
    vendor: "slack",
    requires: ["SLACK_WEBHOOK_URL"],
    states: [NOTIFY_STATE],
    result: "$.notification",
  },
  {
    id: "email",
    title: "Email the announcement",
    vendor: "brevo",
    requires: ["ANNOUNCE_EMAIL_TO", "EMAIL_FROM", "BREVO_API_KEY"],
    enabledBy: "ANNOUNCE_EMAIL_TO",
    alternative: SES,
    states: [EMAIL_STATE, EMAIL_AFTER_SLACK_ERROR_STATE],
    result: "$.emailAnnouncement",
    errorAt: "$.emailError",
  },
];

import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import {
  type AslDefinition,
  type AslRetrier,
  type AslState,
  causeGuardName,
  guardedFail,
} from "@leadrelay/functions/state-machine";
import asl from "../announce.asl.json";
import { ANNOUNCEMENT_EMAIL_FAILED } from "./domain/lead-email";

/** The hold before the owner lookup: time for a rep to be assigned in Close. */
export const WAIT_STATE = "HoldForOwner";
export const DEFAULT_WAIT_SECONDS = 600;

/** The ASL file with the hold set; ARNs stay `${…}` placeholders (CloudFormation or the local runtime fill them). */
export function definitionWithWait(waitSeconds: number = DEFAULT_WAIT_SECONDS): AslDefinition {
  const definition = structuredClone(asl) as AslDefinition;
  const wait = definition.States[WAIT_STATE];
  if (wait?.Type !== "Wait") throw new Error(`The definition has no Wait state ${WAIT_STATE}`);
  wait.Seconds = waitSeconds;
  return definition;
}

/** The email announcement (ANNOUNCE_EMAIL_TO): after NotifySlack, whether Slack took the lead or not. */
export const EMAIL_STATE = "EmailAnnouncement";
/** The same email when Slack failed: it goes out, then the execution fails with Slack's error. */
export const EMAIL_AFTER_SLACK_ERROR_STATE = "EmailAnnouncementAfterSlackError";
export const SLACK_ERROR_CHOICE = "SlackFailed";
export const NOTIFY_STATE = "NotifySlack";

/** An email vendor's limits reset within seconds; its outages and the Lambda's own errors are retried longer. */
const EMAIL_RETRY: AslRetrier[] = [
  {
    ErrorEquals: ["ServiceRateLimited"],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 6,
    MaxDelaySeconds: 60,
    // Never below the interval: full jitter could retry before the vendor's reset (as every flow's
    // rate-limit retriers do).
    JitterStrategy: "NONE",
  },
  {
    ErrorEquals: ["ServiceUnavailable", "StorageUnavailable", ...TRANSIENT_TASK_ERRORS],
    IntervalSeconds: 3,
    BackoffRate: 2,
    MaxAttempts: 6,
    MaxDelaySeconds: 120,
    JitterStrategy: "FULL",
  },
];

function emailTask(comment: string, onError: string, next: Partial<AslState>): AslState {
  return {
    Type: "Task",
    Comment: comment,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the ASL's ARN placeholder syntax
    Resource: "${EmailAnnouncementFunctionArn}",
    TimeoutSeconds: 30,
    Parameters: { "leadId.$": "$.leadId", "merged.$": "$.merged" },
    ResultPath: "$.emailAnnouncement",
    Retry: structuredClone(EMAIL_RETRY),
    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.emailError", Next: onError }],
    ...next,
  };
}

/**
 * Slack and email, neither blocking the other: NotifySlack's Catch entries go on to the email
 * (the Slack error kept in `$.error`), and a Choice then ends in the Fail state the Catch named
 * before (SlackRejected, SlackUnavailable, NotificationUncertain, PipelineFailed). With Slack done,
 * the email is the last Task; its own failure ends in AnnouncementEmailFailed. Both outcomes are in
 * the history: `$.notification` or `$.error`, and `$.emailAnnouncement` or `$.emailError`.
 */
export function withEmailAnnouncement(source: AslDefinition): AslDefinition {
  const definition = structuredClone(source);
  const notify = definition.States[NOTIFY_STATE];
  if (notify?.Type !== "Task" || notify.End !== true) {
    throw new Error(`The definition has no final Task ${NOTIFY_STATE} to add the email after`);
  }
  const catches = notify.Catch ?? [];
  const choices = catches
    .filter((catcher) => !catcher.ErrorEquals.includes("States.ALL"))
    .map((catcher) => {
      const rules = catcher.ErrorEquals.map((name) => ({ Variable: "$.error.Error", StringEquals: name }));
      return rules.length === 1 ? { ...rules[0], Next: catcher.Next } : { Or: rules, Next: catcher.Next };
    });
  const fallback = catches.find((catcher) => catcher.ErrorEquals.includes("States.ALL"))?.Next;
  if (!fallback) throw new Error(`${NOTIFY_STATE} has no catch-all to end a Slack error in`);

  notify.Catch = catches.map((catcher) => ({
    ...catcher,
    ResultPath: "$.error",
    Next: EMAIL_AFTER_SLACK_ERROR_STATE,
  }));
  delete notify.End;
  notify.Next = EMAIL_STATE;
  definition.States[EMAIL_STATE] = emailTask(
    "Announces the lead by email too (ANNOUNCE_EMAIL_TO), at most once per lead.",
    causeGuardName(ANNOUNCEMENT_EMAIL_FAILED),
    { End: true },
  );
  definition.States[EMAIL_AFTER_SLACK_ERROR_STATE] = emailTask(
    "Slack failed: the email still goes out, then the execution fails with Slack's error.",
    SLACK_ERROR_CHOICE,
    { Next: SLACK_ERROR_CHOICE },
  );
  definition.States[SLACK_ERROR_CHOICE] = {
    Type: "Choice",
    Comment: "Ends in the Fail state NotifySlack's Catch named for this error.",
    Choices: choices,
    Default: fallback,
  };
  Object.assign(
    definition.States,
    guardedFail(ANNOUNCEMENT_EMAIL_FAILED, ANNOUNCEMENT_EMAIL_FAILED, "$.emailError.Cause", {
      Comment: "Slack announced the lead; the email could not be sent.",
    }),
  );
  return definition;
}

import type { SmsSender } from "@leadrelay/core";
import { createTwilioSmsSender } from "@leadrelay/functions/adapters/twilio-sms";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { actionDeps } from "./action-settings";
import { type ActionDeps, runAction } from "./action-task";
import type { ActionResult } from "./domain/actions";
import { urgentSms } from "./domain/notifications";
import { ActionInput } from "./task-input";

export const SMS_VARIABLES = [
  "TWILIO_ACCOUNT_SID",
  "TWILIO_AUTH_TOKEN",
  "TWILIO_FROM",
  "ON_CALL_PHONE",
] as const;

/** URGENT_BUYER: an SMS to the on-call rep. Twilio has no idempotency key: the marker alone keeps it at most once. */
export function createSendSms(deps: ActionDeps & { sms?: SmsSender; from?: string; onCall?: string }) {
  return async (event: unknown): Promise<ActionResult> => {
    const { leadId, lead } = ActionInput.parse(event);
    return runAction("sms", deps, leadId, { variables: SMS_VARIABLES }, async () => {
      const sent = await (deps.sms as SmsSender).send({
        to: deps.onCall as string,
        from: deps.from as string,
        body: urgentSms(lead),
      });
      return { id: sent.sid, detail: `to ${deps.onCall}, ${sent.status}` };
    });
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(
    [
      "TWILIO_BASE_URL",
      "TWILIO_ACCOUNT_SID",
      "TWILIO_AUTH_TOKEN",
      "TWILIO_FROM",
      "ON_CALL_PHONE",
      "HTTP_TIMEOUT_MS",
    ],
    env,
  );
  const sms =
    config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN
      ? createTwilioSmsSender(
          {
            baseUrl: config.TWILIO_BASE_URL,
            accountSid: config.TWILIO_ACCOUNT_SID,
            authToken: config.TWILIO_AUTH_TOKEN,
          },
          { timeoutMs: config.HTTP_TIMEOUT_MS },
        )
      : undefined;
  return createSendSms({
    ...actionDeps(env, kit),
    sms,
    from: config.TWILIO_FROM,
    onCall: config.ON_CALL_PHONE,
  });
};
export const handler = taskHandler("triage-send-sms", build);

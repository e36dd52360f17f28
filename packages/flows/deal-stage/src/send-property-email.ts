import { type Clock, deterministicUuid, type EmailSender, type ObjectStore } from "@leadrelay/core";
import {
  EMAIL_SENDER_ENV,
  EMAIL_SENDER_SECRETS,
  emailSenderFromEnv,
  missingEmailCredentials,
} from "@leadrelay/functions/adapters/email-sender";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { atMostOnce } from "@leadrelay/functions/at-most-once";
import { missingVariables, readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { loadDeal } from "./deal-record";
import { OutcomeUncertain } from "./domain/errors";
import { dealBusinessKey, emailMarkerKey } from "./domain/keys";
import { propertyEmail } from "./domain/property-email";
import { type ActionResult, SendPropertyEmailInput } from "./task-input";

export const SEND_PROPERTY_EMAIL_ENV = [
  "EMAIL_FROM",
  "BREVO_PROPERTY_TEMPLATE_ID",
  ...EMAIL_SENDER_ENV,
] as const;
export const SEND_PROPERTY_EMAIL_SECRETS = [...EMAIL_SENDER_SECRETS] as const;

/** Brevo keeps an idempotency key 30 minutes: a dangling marker younger than that is safely retried with it. */
const BREVO_IDEMPOTENCY_WINDOW_MS = 25 * 60_000;

export interface SendPropertyEmailDeps {
  store: ObjectStore;
  /** `undefined` when a setting is missing: `skippedBecause` says which. */
  email?: EmailSender;
  skippedBecause?: string;
  from?: string;
  /** BREVO_PROPERTY_TEMPLATE_ID: Brevo renders its template with the email's params (SES sends the text and HTML). */
  templateId?: number;
  clock?: Clock;
}

export interface EmailSentRecord {
  provider: string;
  messageId: string;
  duplicate?: boolean;
}

/**
 * The property-details email of a committed deal, at most once per deal: a marker under
 * flows/deal-stage/emails/ guards the send, and Brevo gets an idempotency key derived from the
 * deal, so a retry that follows an unanswered call is deduplicated by Brevo itself.
 */
export function createSendPropertyEmail(deps: SendPropertyEmailDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<ActionResult> => {
    const input = SendPropertyEmailInput.parse(event);
    const email = deps.email;
    const from = deps.from;
    if (!email || !from) {
      return {
        ok: true,
        action: "property-email",
        status: "skipped",
        reason: deps.skippedBecause ?? "not configured",
      };
    }
    const deal = await loadDeal(deps.store, input);
    const businessKey = dealBusinessKey(deal.dealId, deal.status);
    const markerKey = emailMarkerKey(businessKey);
    const outcome = await atMostOnce<EmailSentRecord>(
      deps.store,
      markerKey,
      async () => {
        const content = propertyEmail(deal);
        const useTemplate = deps.templateId !== undefined && email.provider === "brevo";
        const sent = await email.send(
          {
            from: { email: from },
            to: content.to,
            subject: content.subject,
            text: content.text,
            html: content.html,
            tags: ["leadrelay", "deal-stage"],
            ...(useTemplate ? { templateId: deps.templateId, params: content.params } : {}),
          },
          deterministicUuid("deal-stage", businessKey, "property-email"),
        );
        return {
          provider: email.provider,
          messageId: sent.messageId,
          ...(sent.duplicate ? { duplicate: true } : {}),
        };
      },
      { clock, idempotencyWindowMs: email.provider === "brevo" ? BREVO_IDEMPOTENCY_WINDOW_MS : 0 },
    );
    if (outcome.status === "uncertain") throw new OutcomeUncertain(markerKey, outcome.since, email.provider);
    return {
      ok: true,
      action: "property-email",
      status: outcome.status,
      at: outcome.at,
      markerKey,
      ...outcome.result,
    };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["EMAIL_FROM", "BREVO_PROPERTY_TEMPLATE_ID"], env);
  const missing = [...missingVariables(env, ["EMAIL_FROM"]), ...missingEmailCredentials(env)];
  return createSendPropertyEmail({
    store: storeFromEnv(env, kit),
    email: missing.length === 0 ? emailSenderFromEnv(env, kit) : undefined,
    skippedBecause: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`,
    from: config.EMAIL_FROM,
    templateId: config.BREVO_PROPERTY_TEMPLATE_ID,
  });
};
export const handler = taskHandler("send-property-email", build);

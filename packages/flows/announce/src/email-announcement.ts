import {
  type Clock,
  deterministicUuid,
  type EmailProvider,
  type EmailSender,
  NotificationUncertain,
  type ObjectStore,
} from "@leadrelay/core";
import { emailSenderFromEnv, missingEmailCredentials } from "@leadrelay/functions/adapters/email-sender";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { atMostOnce } from "@leadrelay/functions/at-most-once";
import { missingVariables, readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { emailNoticeKey, leadAnnouncementEmail } from "./domain/lead-email";
import { EmailAnnouncementInput } from "./task-input";

/** Brevo keeps an idempotency key 30 minutes: a dangling marker younger than that is safely retried with it. */
const BREVO_IDEMPOTENCY_WINDOW_MS = 25 * 60_000;

export type EmailAnnouncementResult =
  | {
      status: "sent" | "already-sent";
      at: string;
      messageId: string;
      provider: EmailProvider;
      markerKey: string;
    }
  | { status: "skipped"; reason: string };

export interface EmailAnnouncementDeps {
  store: ObjectStore;
  /** ANNOUNCE_EMAIL_TO */
  to?: string;
  /** EMAIL_FROM */
  from?: string;
  /** Absent when `missing` names what it lacks. */
  email?: EmailSender;
  /** Settings and credentials that are not set: the email is skipped, the history says which. */
  missing: readonly string[];
  clock?: Clock;
}

/**
 * The announcement by email (ANNOUNCE_EMAIL_TO), at most once per lead: a marker before the send
 * (`notified/{lead}.email.json`) and Brevo's idempotency key, so a retry, a redrive or a replay
 * never sends a second one. A marker left "sending" by a cut-off attempt is not sent again either:
 * the execution fails and its alert asks a person to check the mailbox.
 */
export function createEmailAnnouncement(deps: EmailAnnouncementDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<EmailAnnouncementResult> => {
    const { leadId, merged } = EmailAnnouncementInput.parse(event);
    if (!deps.to) return { status: "skipped", reason: "ANNOUNCE_EMAIL_TO is not set" };
    const sender = deps.email;
    if (deps.missing.length > 0 || !sender || !deps.from) {
      const missing = deps.missing.length > 0 ? deps.missing : ["EMAIL_FROM"];
      return {
        status: "skipped",
        reason: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`,
      };
    }
    const from = deps.from;
    const to = deps.to;
    const markerKey = emailNoticeKey(leadId);
    const outcome = await atMostOnce(
      deps.store,
      markerKey,
      () =>
        sender.send(
          {
            from: { email: from },
            to: { email: to },
            ...leadAnnouncementEmail(merged),
            tags: ["leadrelay", "announce"],
          },
          deterministicUuid("announce", leadId, "email"),
        ),
      { clock, idempotencyWindowMs: sender.provider === "brevo" ? BREVO_IDEMPOTENCY_WINDOW_MS : 0 },
    );
    if (outcome.status === "uncertain") throw new NotificationUncertain(markerKey, outcome.since);
    return {
      status: outcome.status,
      at: outcome.at,
      messageId: outcome.result.messageId,
      provider: sender.provider,
      markerKey,
    };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["ANNOUNCE_EMAIL_TO", "EMAIL_FROM"], env);
  const missing = [...missingVariables(env, ["EMAIL_FROM"]), ...missingEmailCredentials(env)];
  return createEmailAnnouncement({
    store: storeFromEnv(env, kit),
    to: config.ANNOUNCE_EMAIL_TO,
    from: config.EMAIL_FROM,
    // Without its settings the sender is not built: the email is skipped, naming what is missing.
    email: config.ANNOUNCE_EMAIL_TO && missing.length === 0 ? emailSenderFromEnv(env, kit) : undefined,
    missing,
  });
};
export const handler = taskHandler("email-announcement", build);

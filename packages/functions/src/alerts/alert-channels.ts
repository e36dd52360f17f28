import type { AlertEmail, Clock, EmailSender, ObjectStore, SlackMessage, SlackPoster } from "@leadrelay/core";
import { emailSenderFromEnv, missingEmailCredentials } from "../adapters/email-sender";
import { atMostOnce, type OnceOutcome } from "../at-most-once";
import { missingVariables, readConfig } from "../config";
import type { Env, TaskKit } from "../lambda";

/**
 * The channels every alert goes out on (a failed execution's, a skipped action's): Slack and, when
 * ALERT_EMAIL_TO is set, an email, each at most once per marker — created before the send, so a
 * repeated event or a retried invocation never sends twice — and neither waiting for the other.
 */

/** Brevo keeps an idempotency key 30 minutes: a dangling email marker younger than that is safely retried with it. */
const BREVO_IDEMPOTENCY_WINDOW_MS = 25 * 60_000;

export type ChannelOutcome =
  | { status: "sent" | "already-sent"; at: string }
  /** An earlier attempt began sending and never confirmed it: not sent again. */
  | { status: "uncertain"; since: string }
  | { status: "skipped"; reason: string }
  | { status: "failed"; error: string };

export interface AlertEmailChannel {
  sender: EmailSender;
  from: string;
  to: string;
}

export interface AlertChannels {
  store: ObjectStore;
  /** Absent: no Slack webhook is configured, the Slack alert is skipped (and logged). */
  slack?: SlackPoster;
  /** Absent: no email (ALERT_EMAIL_TO unset, or `emailSkipped` says what is missing). */
  email?: AlertEmailChannel;
  emailSkipped?: string;
  clock?: Clock;
}

export interface AlertDelivery {
  slack: ChannelOutcome;
  email: ChannelOutcome;
  /** The first channel's error, when one failed (the other kept its marker). */
  failure?: unknown;
}

function channelOutcome(outcome: OnceOutcome<unknown>): ChannelOutcome {
  return outcome.status === "uncertain"
    ? { status: "uncertain", since: outcome.since }
    : { status: outcome.status, at: outcome.at };
}

function outcomeOf(settled: PromiseSettledResult<ChannelOutcome>): ChannelOutcome {
  if (settled.status === "fulfilled") return settled.value;
  const error = settled.reason;
  return {
    status: "failed",
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  };
}

/**
 * One alert on each channel, behind its marker (`markers.slack`, `markers.email`); the email carries
 * `idempotencyKey` for the vendors that dedup on one.
 */
export async function deliverAlert(
  channels: AlertChannels,
  alert: { slack: SlackMessage; email: AlertEmail },
  markers: { slack: string; email: string },
  idempotencyKey: string,
): Promise<AlertDelivery> {
  const clock = channels.clock ?? Date.now;
  const slack = async (): Promise<ChannelOutcome> => {
    const poster = channels.slack;
    if (!poster) return { status: "skipped", reason: "SLACK_WEBHOOK_URL is not set" };
    return channelOutcome(
      await atMostOnce(channels.store, markers.slack, () => poster.post(alert.slack), { clock }),
    );
  };
  const email = async (): Promise<ChannelOutcome> => {
    const channel = channels.email;
    if (!channel) return { status: "skipped", reason: channels.emailSkipped ?? "ALERT_EMAIL_TO is not set" };
    const outcome = await atMostOnce(
      channels.store,
      markers.email,
      () =>
        channel.sender.send(
          {
            from: { email: channel.from, name: "leadrelay alerts" },
            to: { email: channel.to },
            ...alert.email,
            tags: ["leadrelay", "alert"],
          },
          idempotencyKey,
        ),
      {
        clock,
        idempotencyWindowMs: channel.sender.provider === "brevo" ? BREVO_IDEMPOTENCY_WINDOW_MS : 0,
      },
    );
    return channelOutcome(outcome);
  };
  const [slackSettled, emailSettled] = await Promise.allSettled([slack(), email()]);
  const failed = [slackSettled, emailSettled].find((settled) => settled.status === "rejected");
  return {
    slack: outcomeOf(slackSettled),
    email: outcomeOf(emailSettled),
    ...(failed ? { failure: failed.reason } : {}),
  };
}

/** The email channel from ALERT_EMAIL_TO and the email vendor's settings, or why there is none. */
export function alertEmailFromEnv(
  env: Env,
  kit: TaskKit,
): { email?: AlertEmailChannel; emailSkipped?: string } {
  const config = readConfig(["ALERT_EMAIL_TO", "EMAIL_FROM"], env);
  if (!config.ALERT_EMAIL_TO) return {};
  const missing = [...missingVariables(env, ["EMAIL_FROM"]), ...missingEmailCredentials(env)];
  if (missing.length > 0)
    return { emailSkipped: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set` };
  return {
    email: {
      sender: emailSenderFromEnv(env, kit),
      from: config.EMAIL_FROM as string,
      to: config.ALERT_EMAIL_TO,
    },
  };
}

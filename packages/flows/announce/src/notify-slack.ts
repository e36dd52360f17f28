import {
  buildLeadMessage,
  buildUnassignedMessage,
  type Clock,
  NotificationUncertain,
  notifiedKey,
  type ObjectStore,
  type SlackMessage,
  type SlackPoster,
  unassignedNoticeKey,
} from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { createSlackPoster } from "@leadrelay/functions/adapters/slack-poster";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { createLogger, type Logger } from "@leadrelay/functions/log";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { NotifyInput } from "./task-input";

/** `notified/{lead_id}.json`: what was posted, when, and whether Slack confirmed it. */
export interface NotificationMarker {
  status: "sending" | "sent";
  at: string;
  message: SlackMessage;
}

export type NotifyResult =
  | { status: "sent"; notifiedAt: string; markerKey: string }
  | { status: "already-sent"; notifiedAt: string; markerKey: string }
  | { status: "disabled" };

export interface NotifyDeps {
  store: ObjectStore;
  slack: SlackPoster;
  notifyUnassigned?: boolean;
  clock?: Clock;
  log?: Logger;
}

/**
 * At most once: a "sending" marker is created (conditionally) before the post and turned into
 * "sent" after it. A retry that finds "sent" or a dangling "sending" does not post again; a post
 * that Slack definitely refused (an HTTP answer, or no connection) removes the marker so the
 * state machine's Retry can try again.
 */
export function createNotifySlack(deps: NotifyDeps) {
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createLogger("notify-slack");

  async function postOnce(markerKey: string, message: SlackMessage): Promise<NotifyResult> {
    const sending: NotificationMarker = { status: "sending", at: new Date(clock()).toISOString(), message };
    // The conditional create is the check: on the happy path one write, no read.
    if ((await deps.store.putIfAbsent(markerKey, JSON.stringify(sending))) === "exists") {
      const previous = await deps.store.get(markerKey);
      const marker = previous === undefined ? undefined : (JSON.parse(previous) as NotificationMarker);
      if (marker?.status === "sent") return { status: "already-sent", notifiedAt: marker.at, markerKey };
      log.warn("an earlier post was cut off before Slack confirmed it; not posting again", { markerKey });
      throw new NotificationUncertain(markerKey, marker?.at ?? sending.at);
    }
    try {
      await deps.slack.post(message);
    } catch (error) {
      await deps.store.delete(markerKey);
      throw error;
    }
    const sent: NotificationMarker = { status: "sent", at: new Date(clock()).toISOString(), message };
    await deps.store.put(markerKey, JSON.stringify(sent));
    return { status: "sent", notifiedAt: sent.at, markerKey };
  }

  return async (event: unknown): Promise<NotifyResult> => {
    const input = NotifyInput.parse(event);
    if (input.kind === "lead") return postOnce(notifiedKey(input.leadId), buildLeadMessage(input.merged));
    if (deps.notifyUnassigned === false) return { status: "disabled" };
    const minutes = (clock() - Date.parse(input.receivedAt)) / 60_000;
    return postOnce(unassignedNoticeKey(input.leadId), buildUnassignedMessage(input.lead, minutes));
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["SLACK_WEBHOOK_URL", "NOTIFY_UNASSIGNED", "HTTP_TIMEOUT_MS"], env);
  return createNotifySlack({
    store: storeFromEnv(env, kit),
    slack: createSlackPoster(config.SLACK_WEBHOOK_URL, { timeoutMs: config.HTTP_TIMEOUT_MS }),
    notifyUnassigned: config.NOTIFY_UNASSIGNED,
    log: kit.log,
  });
};
export const handler = taskHandler("notify-slack", build);

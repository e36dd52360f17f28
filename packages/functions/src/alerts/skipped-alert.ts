import { buildSkippedAlert, deterministicUuid, skippedAlertMarkerKey } from "@leadrelay/core";
import * as z from "zod/mini";
import { storeFromEnv } from "../adapters/s3-store";
import { createSlackPoster } from "../adapters/slack-poster";
import { EnvSchema, readConfig, readEnv } from "../config";
import type { Env, TaskKit } from "../lambda";
import type { SkippedAlerter } from "../skipped-report";
import { type AlertChannels, alertEmailFromEnv, deliverAlert } from "./alert-channels";

/**
 * The alert of a skipped action, sent by the Task that skipped it (LEADRELAY_ALERT_ON_SKIPPED=true,
 * no other Lambda involved) on the failure alerts' channels, once per flow, action and Task input:
 * `flows/<flow>/skipped-alerts/<sha256>.json` (and `.email.json`) is created before each send, so a Task retried
 * after its skip, or redriven, never alerts twice.
 */
export function createSkippedAlerter(
  channels: AlertChannels,
  options: { flow: string; link: string },
): SkippedAlerter {
  return async (action, taskInput) => {
    const marker = skippedAlertMarkerKey(options.flow, action.id, taskInput);
    const alert = buildSkippedAlert({
      flow: options.flow,
      action: action.id,
      title: action.title,
      reason: action.reason,
      link: options.link,
    });
    const delivery = await deliverAlert(
      channels,
      alert,
      { slack: marker, email: marker.replace(/\.json$/, ".email.json") },
      deterministicUuid("skipped-alert", marker),
    );
    if ("failure" in delivery) throw delivery.failure;
    return `slack ${delivery.slack.status}, email ${delivery.email.status}`;
  };
}

/** On AWS: the channels from the Task's environment (SLACK_WEBHOOK_URL bound by the stack, ALERT_EMAIL_TO). */
export function skippedAlerterFromEnv(env: Env, kit: TaskKit, flow: string): SkippedAlerter {
  const config = readConfig(["HTTP_TIMEOUT_MS"], env);
  const { SLACK_WEBHOOK_URL } = readEnv({ SLACK_WEBHOOK_URL: z.optional(EnvSchema.SLACK_WEBHOOK_URL) }, env);
  return createSkippedAlerter(
    {
      store: storeFromEnv(env, kit),
      slack: SLACK_WEBHOOK_URL
        ? createSlackPoster(SLACK_WEBHOOK_URL, { timeoutMs: config.HTTP_TIMEOUT_MS })
        : undefined,
      ...alertEmailFromEnv(env, kit),
    },
    { flow, link: env.LEADRELAY_ALERT_LINK || "https://console.aws.amazon.com/states/home" },
  );
}

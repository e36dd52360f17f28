import type { Clock, EventPublisher, ObjectStore } from "@leadrelay/core";
import { createEventPublisher } from "@leadrelay/functions/adapters/event-publisher";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { atMostOnce } from "@leadrelay/functions/at-most-once";
import { readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { createLogger, type Logger } from "@leadrelay/functions/log";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { leadRecordKey } from "./domain/keys";
import { leadEvent } from "./domain/lead-event";
import { PublishInput } from "./task-input";

export type PublishResult =
  | { status: "published"; eventId: string; detailType: string; markerKey: string }
  | { status: "already-published"; eventId: string; detailType: string; markerKey: string }
  /** An earlier attempt began the put and never confirmed it (cut off, or no answer): not put again. */
  | { status: "uncertain"; since: string; detailType: string; markerKey: string }
  | { status: "skipped"; reason: string };

export interface PublishDeps {
  store: ObjectStore;
  /** Absent when EVENT_BUS_NAME is not set. */
  events?: EventPublisher;
  clock?: Clock;
  log?: Logger;
}

/**
 * `meta-lead.<category>` on the stage's bus, at most once per lead: EventBridge has no
 * idempotency key, so the marker `flows/meta-leads/<id>/published.json` is what keeps retries,
 * redrives, replays and redelivered webhooks from publishing twice.
 */
export function createPublish(deps: PublishDeps) {
  const log = deps.log ?? createLogger("publish");
  return async (event: unknown): Promise<PublishResult> => {
    const input = PublishInput.parse(event);
    if (!deps.events) return { status: "skipped", reason: "EVENT_BUS_NAME is not set" };
    const events = deps.events;
    const businessEvent = leadEvent(input);
    const markerKey = leadRecordKey(input.leadgenId, "published");
    const { detailType } = businessEvent;
    const outcome = await atMostOnce(
      deps.store,
      markerKey,
      async () => ({ ...(await events.publish(businessEvent)), detailType }),
      { clock: deps.clock },
    );
    if (outcome.status === "uncertain") {
      log.warn("an earlier publish was not confirmed; not publishing again", { markerKey });
      return { status: "uncertain", since: outcome.since, detailType, markerKey };
    }
    // The marker's detail-type: a replay may categorize differently, but what was published stays.
    const status = outcome.status === "sent" ? "published" : "already-published";
    return { status, eventId: outcome.result.eventId, detailType: outcome.result.detailType, markerKey };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(["EVENT_BUS_NAME"], env);
  return createPublish({
    store: storeFromEnv(env, kit),
    events: config.EVENT_BUS_NAME
      ? createEventPublisher(config.EVENT_BUS_NAME, kit.aws("events"))
      : undefined,
    log: kit.log,
  });
};
export const handler = taskHandler("publish", build);

import type { Clock, ConversionsApi, ObjectStore } from "@leadrelay/core";
import { createConversionsApi, GRAPH_BASE_URL } from "@leadrelay/functions/adapters/meta-capi";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { atMostOnce } from "@leadrelay/functions/at-most-once";
import { missingVariables, readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { loadDeal } from "./deal-record";
import { conversionEvent } from "./domain/conversion-event";
import { OutcomeUncertain } from "./domain/errors";
import { conversionMarkerKey, dealBusinessKey } from "./domain/keys";
import { type ActionResult, SendConversionInput } from "./task-input";

/** The settings SendConversion reads (its TaskSpec lists exactly these). */
export const SEND_CONVERSION_ENV = [
  "META_GRAPH_BASE_URL",
  "META_API_VERSION",
  "META_PIXEL_ID",
  "META_TEST_EVENT_CODE",
  "DEFAULT_PHONE_COUNTRY_CODE",
  "HTTP_TIMEOUT_MS",
] as const;
export const SEND_CONVERSION_SECRETS = ["META_ACCESS_TOKEN"] as const;
/** Without these the event cannot be sent: the Task reports "skipped" and names them. */
const REQUIRED = ["META_PIXEL_ID", "META_ACCESS_TOKEN"] as const;

export interface SendConversionDeps {
  store: ObjectStore;
  /** `undefined` when a credential is missing: `skippedBecause` says which. */
  capi?: ConversionsApi;
  skippedBecause?: string;
  defaultPhoneCountryCode?: string;
  clock?: Clock;
}

export interface ConversionSent {
  eventName: string;
  eventId: string;
  eventsReceived: number;
  fbtraceId?: string;
}

/**
 * One Conversions API event per deal and stage (`Lead` for Qualified, `Purchase` for Committed),
 * at most once: a marker under flows/deal-stage/conversions/ guards the call, and the event id is
 * derived from the deal and stage so Meta sees the same event whatever happens to the marker.
 */
export function createSendConversion(deps: SendConversionDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<ActionResult> => {
    const input = SendConversionInput.parse(event);
    const action = input.eventName === "Lead" ? "lead-event" : "purchase-event";
    const capi = deps.capi;
    if (!capi)
      return { ok: true, action, status: "skipped", reason: deps.skippedBecause ?? "not configured" };
    const deal = await loadDeal(deps.store, input);
    const markerKey = conversionMarkerKey(dealBusinessKey(deal.dealId, deal.status));
    const outcome = await atMostOnce<ConversionSent>(
      deps.store,
      markerKey,
      async () => {
        const conversion = conversionEvent(deal, input.eventName, {
          now: clock(),
          defaultPhoneCountryCode: deps.defaultPhoneCountryCode,
        });
        const receipt = await capi.send([conversion]);
        return {
          eventName: conversion.event_name,
          eventId: conversion.event_id,
          eventsReceived: receipt.eventsReceived,
          ...(receipt.fbtraceId ? { fbtraceId: receipt.fbtraceId } : {}),
        };
      },
      { clock },
    );
    if (outcome.status === "uncertain")
      throw new OutcomeUncertain(markerKey, outcome.since, "Meta Events Manager");
    return { ok: true, action, status: outcome.status, at: outcome.at, markerKey, ...outcome.result };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig([...SEND_CONVERSION_ENV, ...SEND_CONVERSION_SECRETS], env);
  const missing = missingVariables(env, REQUIRED);
  const capi =
    missing.length === 0
      ? createConversionsApi(
          {
            baseUrl: config.META_GRAPH_BASE_URL ?? GRAPH_BASE_URL,
            version: config.META_API_VERSION,
            pixelId: config.META_PIXEL_ID ?? "",
            accessToken: config.META_ACCESS_TOKEN ?? "",
            testEventCode: config.META_TEST_EVENT_CODE,
          },
          { timeoutMs: config.HTTP_TIMEOUT_MS },
        )
      : undefined;
  return createSendConversion({
    store: storeFromEnv(env, kit),
    capi,
    skippedBecause: `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not set`,
    defaultPhoneCountryCode: config.DEFAULT_PHONE_COUNTRY_CODE,
  });
};
export const handler = taskHandler("send-conversion", build);

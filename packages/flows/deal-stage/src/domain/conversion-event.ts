import type { ConversionEvent as WireEvent } from "@leadrelay/core";
import type { Deal } from "./deal";
import { hashedUserData, type MetaUserData } from "./meta-user-data";

/** The Conversions API events this flow sends: Meta's standard names, case-sensitive. */
export type ConversionEventName = "Lead" | "Purchase";

export interface ConversionEvent extends WireEvent {
  event_name: ConversionEventName;
  /** Unix seconds. Meta refuses a whole request holding an event older than 7 days. */
  event_time: number;
  event_id: string;
  action_source: "system_generated";
  user_data: MetaUserData;
  custom_data?: { value?: number; currency?: string };
}

/**
 * Meta keeps the first of two events with the same `event_id` and `event_name` within 48 hours:
 * the id is derived from the deal and its stage, so a retry, a redrive or a replay is the same
 * event to Meta even if our own marker were lost.
 */
export const conversionEventId = (dealId: string, status: string) => `deal:${dealId}:${status.toLowerCase()}`;

export interface ConversionOptions {
  now: number;
  defaultPhoneCountryCode?: string;
}

export function conversionEvent(
  deal: Deal,
  eventName: ConversionEventName,
  options: ConversionOptions,
): ConversionEvent {
  const money =
    deal.value !== undefined && deal.currency !== undefined
      ? { custom_data: { value: deal.value, currency: deal.currency } }
      : {};
  return {
    event_name: eventName,
    event_time: Math.floor(options.now / 1000),
    event_id: conversionEventId(deal.dealId, deal.status),
    action_source: "system_generated",
    user_data: hashedUserData(deal.customer, options.defaultPhoneCountryCode),
    ...money,
  };
}

/**
 * Meta's Conversions API as the flows use it: server events about people the business already
 * knows (a CRM deal reaching a stage), matched by Meta on hashed customer data. The adapter throws
 * the outbound errors of `outbound-errors.ts` (Graph throttling and transient codes are retryable,
 * a bad token is not).
 */

/** SHA-256 hex of Meta's normalised values; never the raw email or phone. */
export interface ConversionUserData {
  em?: string;
  ph?: string;
  fn?: string;
  ln?: string;
  external_id?: string;
}

export interface ConversionEvent {
  /** Standard (`Lead`, `Purchase`…) or custom; case-sensitive. */
  event_name: string;
  /** Unix seconds. */
  event_time: number;
  /** With `event_name`, Meta's deduplication key (48 hours). */
  event_id: string;
  action_source: string;
  user_data: ConversionUserData;
  custom_data?: { value?: number; currency?: string; [other: string]: unknown };
}

export interface ConversionsReceipt {
  eventsReceived: number;
  /** Meta's trace id, for a support request. */
  fbtraceId?: string;
  messages: string[];
}

export interface ConversionsApi {
  /** One request; Meta rejects the whole batch when one event is invalid. */
  send(events: readonly ConversionEvent[]): Promise<ConversionsReceipt>;
}

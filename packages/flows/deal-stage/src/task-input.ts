import * as z from "zod/mini";

/** What ingest starts every execution with (plus `receivedAt`). */
export const DealExecutionInput = z.object({
  dealId: z.string().check(z.minLength(1), z.maxLength(64)),
  /** Trimmed and lower-cased: the Choice compares it with "qualified" and "committed". */
  status: z.string().check(z.minLength(1), z.maxLength(64)),
  rawKey: z.string().check(z.minLength(1), z.maxLength(300)),
});
export type DealExecutionInput = z.infer<typeof DealExecutionInput>;

export const SendConversionInput = z.extend(DealExecutionInput, {
  eventName: z.enum(["Lead", "Purchase"]),
});
export type SendConversionInput = z.infer<typeof SendConversionInput>;

export const SendPropertyEmailInput = DealExecutionInput;
export type SendPropertyEmailInput = z.infer<typeof SendPropertyEmailInput>;

/** A Task's answer: a small record the history shows (never the customer's data). */
export type ActionResult =
  | {
      ok: true;
      action: "lead-event" | "purchase-event" | "property-email";
      status: "sent" | "already-sent";
      at: string;
      markerKey: string;
      [detail: string]: unknown;
    }
  | {
      ok: true;
      action: "lead-event" | "purchase-event" | "property-email";
      status: "skipped";
      reason: string;
    };

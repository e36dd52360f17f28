import {
  type ConversionEvent,
  type ConversionsApi,
  type EmailSender,
  type EmailSent,
  type OutboundEmail,
  ServiceUnavailable,
} from "@leadrelay/core";
import type { MemoryStore } from "../../../functions/test/fakes";
import { dealBusinessKey, dealRawKey } from "../src/domain/keys";
import { fixtureBody } from "./fixtures";

/** The Conversions API as a list of what it received; `failWith` makes the next calls throw. */
export class FakeConversions implements ConversionsApi {
  readonly batches: ConversionEvent[][] = [];
  failures: Error[] = [];
  async send(events: readonly ConversionEvent[]) {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.batches.push([...events]);
    return { eventsReceived: events.length, fbtraceId: "AFL-fake", messages: [] };
  }
}

export class FakeEmail implements EmailSender {
  readonly sent: Array<{ message: OutboundEmail; key: string }> = [];
  failures: Error[] = [];
  constructor(readonly provider: "brevo" | "ses" = "brevo") {}
  async send(message: OutboundEmail, key: string): Promise<EmailSent> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ message, key });
    return { messageId: `<msg-${this.sent.length}@fake>` };
  }
}

export const unavailable = (unanswered = false) =>
  new ServiceUnavailable({
    service: "fake",
    status: unanswered ? undefined : 503,
    detail: "scripted",
    unanswered,
  });

/** Stores a fixture where ingest would, and returns the execution input ingest would start. */
export async function storedDeal(
  store: MemoryStore,
  name: "deal-committed" | "deal-qualified" = "deal-committed",
  body = fixtureBody(name),
) {
  const { dealId, dealDetails } = JSON.parse(body).data as {
    dealId: string;
    dealDetails: { status: string };
  };
  const status = dealDetails.status.trim().toLowerCase();
  const rawKey = dealRawKey(dealBusinessKey(String(dealId), status));
  await store.put(rawKey, body);
  return { dealId: String(dealId), status, rawKey };
}

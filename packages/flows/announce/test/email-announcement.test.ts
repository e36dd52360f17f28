import { classifyWebhook, type MergedLead, mergeLead, summarizeLead } from "@leadrelay/core";
import { createBrevoEmailSender } from "@leadrelay/functions/adapters/brevo-email";
import { createLogger } from "@leadrelay/functions/log";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeFixture, LEAD_IDS, ownerFixture } from "../../../core/test/fixture-files";
import {
  failureOf,
  startVendorServer,
  type VendorServer,
} from "../../../functions/test/adapters/vendor-server";
import { clock, MemoryStore, NOW } from "../../../functions/test/fakes";
import { build, createEmailAnnouncement, type EmailAnnouncementDeps } from "../src/email-announcement";

const LEAD_ID = LEAD_IDS["lead-created.json"];
const MARKER = `notified/${LEAD_ID}.email.json`;

function merged(): MergedLead {
  const verdict = classifyWebhook(closeFixture("lead-created.json"));
  if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
  return mergeLead(summarizeLead(LEAD_ID, verdict.data), ownerFixture(LEAD_ID), new Date(NOW).toISOString());
}
const input = { leadId: LEAD_ID, merged: merged() };

let brevo: VendorServer;
let store: MemoryStore;

beforeAll(async () => {
  brevo = await startVendorServer(() => ({ status: 201, json: { messageId: "<1@smtp-relay.mailin.fr>" } }));
});
afterAll(async () => {
  await brevo.close();
});
beforeEach(() => {
  brevo.reset();
  store = new MemoryStore();
});

function handler(overrides: Partial<EmailAnnouncementDeps> = {}) {
  return createEmailAnnouncement({
    store,
    to: "sales@example.com",
    from: "leads@example.com",
    email: createBrevoEmailSender({ baseUrl: brevo.url, apiKey: "xkeysib-test" }, { timeoutMs: 500 }),
    missing: [],
    clock,
    ...overrides,
  });
}

describe("EmailAnnouncement", () => {
  it("sends the announcement once: a second invocation (retry, redrive, replay) finds the marker", async () => {
    const first = await handler()(input);
    expect(first).toMatchObject({ status: "sent", provider: "brevo", markerKey: MARKER });
    const second = await handler()(input);
    expect(second).toMatchObject({ status: "already-sent", markerKey: MARKER });
    expect(brevo.requests).toHaveLength(1);
    const body = JSON.parse(brevo.requests[0]?.body ?? "{}");
    expect(body).toMatchObject({
      sender: { email: "leads@example.com" },
      to: [{ email: "sales@example.com" }],
      tags: ["leadrelay", "announce"],
    });
    expect(body.subject).toContain(LEAD_ID);
    expect(body.textContent).toContain(`Lead ID: ${LEAD_ID}`);
    expect(JSON.parse(store.text(MARKER) ?? "{}")).toMatchObject({ status: "sent" });
  });

  it("an email Brevo refused for now removes the marker, so the state machine's Retry sends it", async () => {
    brevo.next({ status: 503, json: { code: "internal_error", message: "try later" } });
    const error = await failureOf(handler()(input));
    expect(error.name).toBe("ServiceUnavailable");
    expect(store.text(MARKER)).toBeUndefined();
    expect(await handler()(input)).toMatchObject({ status: "sent" });
    // Both attempts carry the same idempotency key.
    const keys = brevo.requests.map((request) => JSON.parse(request.body).headers.idempotencyKey);
    expect(new Set(keys).size).toBe(1);
  });

  it("a marker left 'sending' by a cut-off attempt is not sent again once Brevo's key has expired", async () => {
    const since = new Date(NOW - 40 * 60_000).toISOString();
    await store.put(MARKER, JSON.stringify({ status: "sending", at: since }));
    const error = await failureOf(handler()(input));
    expect(error.name).toBe("NotificationUncertain");
    expect(error.message).toContain(MARKER);
    expect(brevo.requests).toHaveLength(0);
  });

  it("a younger dangling marker is retried with the same key (Brevo drops a duplicate)", async () => {
    await store.put(MARKER, JSON.stringify({ status: "sending", at: new Date(NOW - 60_000).toISOString() }));
    expect(await handler()(input)).toMatchObject({ status: "sent" });
    expect(brevo.requests).toHaveLength(1);
  });

  it("is skipped, naming what is missing, without a sender or credentials", async () => {
    expect(await handler({ email: undefined, missing: ["BREVO_API_KEY"] })(input)).toEqual({
      status: "skipped",
      reason: "BREVO_API_KEY is not set",
    });
    expect(await handler({ to: undefined })(input)).toEqual({
      status: "skipped",
      reason: "ANNOUNCE_EMAIL_TO is not set",
    });
    expect(brevo.requests).toHaveLength(0);
    expect(store.keys()).toEqual([]);
  });

  it("built from the environment: a Brevo base URL without its key or EMAIL_FROM skips the email", async () => {
    const kit = { log: createLogger("test", { level: "silent" }), aws: () => ({}) };
    const env = {
      BUCKET_NAME: "bucket",
      ANNOUNCE_EMAIL_TO: "sales@example.com",
      BREVO_BASE_URL: brevo.url,
      EMAIL_PROVIDER: "brevo",
    };
    expect(await build(env, kit)(input)).toEqual({
      status: "skipped",
      reason: "EMAIL_FROM, BREVO_API_KEY are not set",
    });
    expect(await build({ ...env, EMAIL_FROM: "leads@example.com" }, kit)(input)).toEqual({
      status: "skipped",
      reason: "BREVO_API_KEY is not set",
    });
    expect(brevo.requests).toHaveLength(0);
  });

  it("refuses an input that is not a lead", async () => {
    const error = await failureOf(handler()({ leadId: LEAD_ID }));
    expect(error.name).toMatch(/ZodError/);
  });
});

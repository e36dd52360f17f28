import type { OutboundEmail } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { brevoIdempotencyKey, createBrevoEmailSender } from "../../src/adapters/brevo-email";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const API_KEY = "xkeysib-0123456789abcdef-brevo";
const EMAIL: OutboundEmail = {
  from: { email: "sales@leadrelay.example", name: "Leadrelay Sales" },
  to: { email: "maya.okafor@harborpine.example", name: "Maya Okafor" },
  subject: "Thanks for your interest",
  text: "Hi Maya, here is our pricing.",
  html: "<p>Hi Maya, here is our pricing.</p>",
  tags: ["triage", "tire-kicker"],
};
const KEY = "triage-email-lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";

let brevo: VendorServer;
let sender: ReturnType<typeof createBrevoEmailSender>;

beforeAll(async () => {
  brevo = await startVendorServer(() => ({
    status: 201,
    json: { messageId: "<202611201403.123456789@smtp-relay.mailin.fr>" },
  }));
  sender = createBrevoEmailSender({ baseUrl: brevo.url, apiKey: API_KEY }, { timeoutMs: 300 });
});
afterAll(async () => {
  await brevo.close();
});
beforeEach(() => brevo.reset());

describe("Brevo email adapter: requests", () => {
  it("POSTs /v3/smtp/email with the api-key header and the idempotency key in the body", async () => {
    const sent = await sender.send(EMAIL, KEY);

    const request = brevo.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/v3/smtp/email");
    expect(header(request.headers, "api-key")).toBe(API_KEY);
    expect(header(request.headers, "content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(request.body)).toEqual({
      sender: { email: "sales@leadrelay.example", name: "Leadrelay Sales" },
      to: [{ email: "maya.okafor@harborpine.example", name: "Maya Okafor" }],
      subject: "Thanks for your interest",
      htmlContent: "<p>Hi Maya, here is our pricing.</p>",
      textContent: "Hi Maya, here is our pricing.",
      tags: ["triage", "tire-kicker"],
      headers: { idempotencyKey: brevoIdempotencyKey(KEY) },
    });
    expect(sent).toEqual({ messageId: "<202611201403.123456789@smtp-relay.mailin.fr>" });
    expect(sender.provider).toBe("brevo");
  });

  it("sends the same UUID-shaped key on every attempt; a UUID key goes as it is", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(brevoIdempotencyKey(KEY)).toMatch(uuid);
    expect(brevoIdempotencyKey(KEY)).toBe(brevoIdempotencyKey(KEY));
    expect(brevoIdempotencyKey(`${KEY}x`)).not.toBe(brevoIdempotencyKey(KEY));
    const given = "7f3c2b2e-2d6a-4f0e-9a4d-0c1f3e6b9a11";
    expect(brevoIdempotencyKey(given)).toBe(given);
  });

  it("a template goes as templateId + params instead of the HTML and text", async () => {
    await sender.send({ ...EMAIL, templateId: 12, params: { firstName: "Maya" }, tags: [] }, KEY);
    const body = JSON.parse(brevo.only().body);
    expect(body.templateId).toBe(12);
    expect(body.params).toEqual({ firstName: "Maya" });
    expect(body).not.toHaveProperty("htmlContent");
    expect(body).not.toHaveProperty("textContent");
    expect(body).not.toHaveProperty("tags");
  });
});

describe("Brevo email adapter: failures", () => {
  it("a reused idempotency key (400 duplicate_parameter) means the email already went out", async () => {
    brevo.next({ status: 400, json: { code: "duplicate_parameter", message: "Duplicate idempotency key" } });
    expect(await sender.send(EMAIL, KEY)).toEqual({ messageId: `duplicate:${KEY}`, duplicate: true });
  });

  it("429: the x-sib-ratelimit-reset seconds are the Retry-After, the limit headers in the message", async () => {
    brevo.next({
      status: 429,
      headers: {
        "x-sib-ratelimit-limit": "1000",
        "x-sib-ratelimit-remaining": "0",
        "x-sib-ratelimit-reset": "12",
      },
      json: { code: "too_many_requests", message: "Too many requests" },
    });
    const error = await failureOf(sender.send(EMAIL, KEY));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.retryAfterSeconds).toBe(12);
    expect(error.message).toContain("Retry-After 12s");
    expect(error.message).toContain("x-sib-ratelimit-remaining: 0");
  });

  it("other 4xx are rejected with Brevo's code; no credits is a used-up quota", async () => {
    brevo.next({ status: 400, json: { code: "missing_parameter", message: "sender is missing" } });
    const missing = await failureOf(sender.send(EMAIL, KEY));
    expect(missing.name).toBe("ServiceRejected");
    expect(missing.code).toBe("missing_parameter");
    expect(missing.message).toContain("sender is missing");

    brevo.next({ status: 401, json: { code: "unauthorized", message: "Key not found" } });
    const unauthorized = await failureOf(sender.send(EMAIL, KEY));
    expect(unauthorized.name).toBe("ServiceRejected");
    expect(unauthorized.message).not.toContain(API_KEY);

    brevo.next({ status: 402, json: { code: "not_enough_credits", message: "Not enough credits" } });
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceQuotaExhausted");
  });

  it("5xx and a hung connection are unavailable", async () => {
    brevo.next({ status: 502, text: "Bad Gateway" });
    expect((await failureOf(sender.send(EMAIL, KEY))).name).toBe("ServiceUnavailable");

    brevo.next({ status: 201, hang: true });
    const timeout = await failureOf(sender.send(EMAIL, KEY));
    expect(timeout.name).toBe("ServiceUnavailable");
    expect(timeout.message).toContain("no answer within 300 ms");
  });
});

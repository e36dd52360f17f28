import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connectCloseWebhook, createCloseWebhooks } from "../../src/adapters/close-webhooks";
import { failureOf, startVendorServer, type VendorServer } from "./vendor-server";

/** Close's `/webhook/` API on loopback, answers scripted per request: what connect reads and writes. */

const KEY = "a1".repeat(32);
const URL_ = "https://abc.execute-api.us-east-1.amazonaws.com/webhook/close";
const sub = (fields: Record<string, unknown>) => ({
  id: "whsub_1",
  url: URL_,
  events: [{ object_type: "lead", action: "created" }],
  status: "active",
  ...fields,
});

let close: VendorServer;
const webhooks = () =>
  createCloseWebhooks({ baseUrl: `${close.url}/api/v1`, apiKey: "k" }, { timeoutMs: 1_000 });
const calls = () => close.requests.map((request) => `${request.method} ${request.url.split("?")[0]}`);

beforeAll(async () => {
  close = await startVendorServer(() => ({ status: 500, json: { error: "unscripted" } }));
});
afterAll(() => close.close());
beforeEach(() => close.reset());

describe("connectCloseWebhook", () => {
  it("creates when no subscription delivers lead.created to a leadrelay webhook", async () => {
    close.next(
      {
        status: 200,
        json: { data: [sub({ id: "whsub_other", url: "https://zapier.test/hook" })], has_more: false },
      },
      { status: 201, json: sub({ signature_key: KEY }) },
    );
    const result = await connectCloseWebhook(webhooks(), URL_);
    expect(result).toMatchObject({ actions: ["created"], signatureKey: KEY, others: [] });
    expect(calls()).toEqual(["GET /api/v1/webhook/", "POST /api/v1/webhook/"]);
    expect(JSON.parse(close.requests[1]?.body ?? "{}")).toEqual({
      url: URL_,
      events: [{ object_type: "lead", action: "created" }],
      verify_ssl: true,
    });
  });

  it("a list without signature_key is read again by id; a read without a key keeps the stored one and never creates", async () => {
    close.next({ status: 200, json: [sub({})] }, { status: 200, json: sub({ signature_key: KEY }) });
    expect((await connectCloseWebhook(webhooks(), URL_)).signatureKey).toBe(KEY);
    expect(calls()).toEqual(["GET /api/v1/webhook/", "GET /api/v1/webhook/whsub_1/"]);

    close.reset();
    close.next({ status: 200, json: { data: [sub({})] } }, { status: 200, json: sub({}) });
    const result = await connectCloseWebhook(webhooks(), URL_);
    expect(result.signatureKey).toBeUndefined();
    expect(result.actions).toEqual(["unchanged"]);
    expect(calls()).not.toContain("POST /api/v1/webhook/");
  });

  it("pages through has_more, moves the URL of the known subscription, and re-activates a paused one", async () => {
    close.next(
      { status: 200, json: { data: [sub({ id: "whsub_a", url: "https://zapier.test/a" })], has_more: true } },
      {
        status: 200,
        json: {
          data: [sub({ id: "whsub_b", url: "https://old.test/webhook/close", status: "paused" })],
          has_more: false,
        },
      },
      { status: 200, json: sub({ id: "whsub_b", status: "paused", signature_key: KEY }) },
      { status: 200, json: sub({ id: "whsub_b", status: "active", signature_key: KEY }) },
    );
    const result = await connectCloseWebhook(webhooks(), URL_);
    expect(result.actions).toEqual(["url-updated", "reactivated"]);
    expect(calls()).toEqual([
      "GET /api/v1/webhook/",
      "GET /api/v1/webhook/",
      "PUT /api/v1/webhook/whsub_b/",
      "PUT /api/v1/webhook/whsub_b/",
    ]);
    expect(close.requests[1]?.url).toContain("_skip=1");
    expect(JSON.parse(close.requests[2]?.body ?? "{}")).toEqual({ url: URL_ });
    expect(JSON.parse(close.requests[3]?.body ?? "{}")).toEqual({ status: "active" });
  });

  it("a refused key says webhooks need an admin's API key", async () => {
    close.next({ status: 401, json: { error: "Unauthorized" } });
    const error = await failureOf(connectCloseWebhook(webhooks(), URL_));
    expect(error.name).toBe("CloseWebhookError");
    expect(error.message).toContain("CLOSE_API_KEY");
  });
});

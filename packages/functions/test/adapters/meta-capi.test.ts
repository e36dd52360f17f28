import type { ConversionEvent } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createConversionsApi } from "../../src/adapters/meta-capi";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const TOKEN = "EAAB-test-capi-token-0123456789";
const PIXEL = "1234567890";
const EVENT: ConversionEvent = {
  event_name: "Purchase",
  event_time: 1_795_442_891,
  event_id: "deal:D-100234:committed",
  action_source: "system_generated",
  user_data: { em: "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f" },
  custom_data: { value: 485000, currency: "USD" },
};
const OK = { status: 200, json: { events_received: 1, messages: [], fbtrace_id: "AFL-Qp2rTrace" } };
const graphError = (code: number, extra: Record<string, unknown> = {}) => ({
  status: 400,
  json: {
    error: { message: `(#${code}) scripted`, type: "OAuthException", code, fbtrace_id: "AxTrace", ...extra },
  },
});

let meta: VendorServer;
const capi = (testEventCode?: string) =>
  createConversionsApi(
    { baseUrl: meta.url, version: "v21.0", pixelId: PIXEL, accessToken: TOKEN, testEventCode },
    { timeoutMs: 300 },
  );

beforeAll(async () => {
  meta = await startVendorServer(() => OK);
});
afterAll(async () => {
  await meta.close();
});
beforeEach(() => meta.reset());

describe("Conversions API adapter: requests", () => {
  it("POSTs /{version}/{pixel}/events with data and the token in the JSON body, never in the URL", async () => {
    const receipt = await capi().send([EVENT]);

    const request = meta.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe(`/v21.0/${PIXEL}/events`);
    expect(header(request.headers, "content-type")).toMatch(/^application\/json/);
    expect(JSON.parse(request.body)).toEqual({ data: [EVENT], access_token: TOKEN });
    expect(receipt).toEqual({ eventsReceived: 1, fbtraceId: "AFL-Qp2rTrace", messages: [] });
  });

  it("adds test_event_code when one is configured", async () => {
    await capi("TEST12345").send([EVENT]);
    expect(JSON.parse(meta.only().body)).toMatchObject({ test_event_code: "TEST12345" });
  });

  it("reads a 2xx without Meta's fields as zero events received", async () => {
    meta.next({ status: 200, text: "ok" });
    expect(await capi().send([EVENT])).toEqual({ eventsReceived: 0, messages: [] });
  });
});

describe("Conversions API adapter: Graph errors are classified by code, not status", () => {
  it.each([4, 17, 32, 613, 80004])("HTTP 400 code %i (throttling) → ServiceRateLimited", async (code) => {
    meta.next(graphError(code));
    const error = await failureOf(capi().send([EVENT]));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.code).toBe(String(code));
    expect(error.status).toBe(400);
  });

  it.each([1, 2])("HTTP 400 code %i (transient) → ServiceUnavailable", async (code) => {
    meta.next(graphError(code));
    expect((await failureOf(capi().send([EVENT]))).name).toBe("ServiceUnavailable");
  });

  it("HTTP 400 with is_transient: true → ServiceUnavailable", async () => {
    meta.next(graphError(100, { is_transient: true }));
    expect((await failureOf(capi().send([EVENT]))).name).toBe("ServiceUnavailable");
  });

  it("HTTP 400 code 190 (token invalid or expired) → ServiceRejected, saying what to do", async () => {
    meta.next({
      status: 400,
      json: { error: { message: "Error validating access token", code: 190, error_subcode: 463 } },
    });
    const error = await failureOf(capi().send([EVENT]));
    expect(error.name).toBe("ServiceRejected");
    expect(error.code).toBe("190");
    expect(error.message).toMatch(/access token is invalid or expired/);
  });

  it("HTTP 400 code 100 (invalid parameter, e.g. an event too old) → ServiceRejected", async () => {
    meta.next(graphError(100));
    expect((await failureOf(capi().send([EVENT]))).name).toBe("ServiceRejected");
  });

  it("HTTP 500 without a Graph envelope → ServiceUnavailable; 429 → ServiceRateLimited", async () => {
    meta.next({ status: 500, text: "upstream error" }, { status: 429, json: {} });
    expect((await failureOf(capi().send([EVENT]))).name).toBe("ServiceUnavailable");
    expect((await failureOf(capi().send([EVENT]))).name).toBe("ServiceRateLimited");
  });

  it("no answer in time → ServiceUnavailable marked unanswered (Meta may have the event)", async () => {
    meta.next({ status: 200, hang: true });
    const error = await failureOf(capi().send([EVENT]));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.unanswered).toBe(true);
  });

  it("keeps the access token out of errors (it travels in the body, the error names the path)", async () => {
    meta.next({ status: 503, text: "unavailable" });
    const error = await failureOf(capi().send([EVENT]));
    expect(error.message).toContain(`POST /v21.0/${PIXEL}/events`);
    expect(error.message).not.toContain(TOKEN);
  });
});

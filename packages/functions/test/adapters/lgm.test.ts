import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLgmApi } from "../../src/adapters/lgm";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const API_KEY = "lgm_4f1c2d3e4f5a6b7c8d9e";

let lgm: VendorServer;
let api: ReturnType<typeof createLgmApi>;

beforeAll(async () => {
  lgm = await startVendorServer(() => ({ status: 200, json: { data: [], total: 0 } }));
  api = createLgmApi({ baseUrl: `${lgm.url}/flow`, apiKey: API_KEY }, { timeoutMs: 300 });
});
afterAll(async () => {
  await lgm.close();
});
beforeEach(() => lgm.reset());

describe("LGM adapter", () => {
  it("reads a conversation's messages by page (ours from 1, LGM's from 0) with the key in x-api-key, never in the URL", async () => {
    lgm.next({ status: 200, json: { data: [{ id: "m1", status: "RECEIVED" }], total: 1 } });
    expect(await api.conversationMessages("65f1a2b3c4d5e6f708192a01", 2)).toEqual({
      data: [{ id: "m1", status: "RECEIVED" }],
      total: 1,
    });
    const request = lgm.only();
    expect([request.method, request.url]).toEqual([
      "GET",
      "/flow/conversations/65f1a2b3c4d5e6f708192a01/messages?page=1",
    ]);
    expect(header(request.headers, "x-api-key")).toBe(API_KEY);
    expect(request.url).not.toContain(API_KEY);
  });

  it("searches a lead by the first identifier given, a 404 meaning no such lead", async () => {
    lgm.next(
      { status: 200, json: { lead: { id: "L1" }, recentLogs: [] } },
      { status: 404, json: { error: "Lead not found" } },
    );
    expect(await api.searchLead({ leadId: "L1" })).toEqual({ lead: { id: "L1" }, recentLogs: [] });
    expect(await api.searchLead({ linkedinUrl: "https://www.linkedin.com/in/a" })).toBeUndefined();
    expect(lgm.requests.map((r) => r.url)).toEqual([
      "/flow/leads/search?leadId=L1",
      "/flow/leads/search?linkedinUrl=https%3A%2F%2Fwww.linkedin.com%2Fin%2Fa",
    ]);
  });

  it("escapes a hostile conversation id into one path segment", async () => {
    await api.conversationMessages("../members?x=1", 1);
    expect(lgm.only().url).toBe("/flow/conversations/..%2Fmembers%3Fx%3D1/messages?page=0");
  });

  it("refuses a page before the first without asking LGM", async () => {
    for (const page of [0, -1, 1.5, Number.NaN]) {
      expect((await failureOf(api.conversationMessages("c", page))).name).toBe("RangeError");
    }
    expect(lgm.requests).toEqual([]);
  });

  it("classifies LGM's failures by status", async () => {
    lgm.next(
      { status: 401, json: { error: "Unauthorized" } },
      { status: 429, headers: { "retry-after": "7" }, text: "Too Many Requests" },
      { status: 503, text: "Service Unavailable" },
    );
    const refused = await failureOf(api.conversationMessages("c", 1));
    expect(refused.name).toBe("ServiceRejected");
    expect(refused.message).not.toContain(API_KEY);
    const limited = await failureOf(api.conversationMessages("c", 1));
    expect([limited.name, limited.retryAfterSeconds]).toEqual(["ServiceRateLimited", 7]);
    expect((await failureOf(api.searchLead({ leadId: "L" }))).name).toBe("ServiceUnavailable");
  });
});

import { GraphLeadInvalid } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyGraphError } from "../../src/adapters/meta-graph";
import { createLeadAdsReader, readGraphLead } from "../../src/adapters/meta-lead-ads";
import { createHttpClient } from "../../src/http-client";
import { unusedUrl } from "../fakes";
import { failureOf, header, startVendorServer, type VendorServer } from "./vendor-server";

const TOKEN = "EAAG-page-token-for-tests-0123456789";
const LEAD_ID = "12345678901234567";
/** Graph's lead object, ids as strings (Graph always sends them so). */
const LEAD = {
  id: LEAD_ID,
  created_time: "2026-11-20T14:03:11+0000",
  ad_id: "23849853425890183",
  adset_id: "23849853425900183",
  campaign_id: "23849853425910183",
  form_id: "447333180259108",
  is_organic: false,
  platform: "ig",
  field_data: [
    { name: "email", values: ["someone@example.com"] },
    { name: "full_name", values: ["Shazad Rana"] },
  ],
};
/** Graph's error envelope: HTTP 400 with the code that decides. */
const graphError = (code: number, extra: Record<string, unknown> = {}) => ({
  status: 400,
  json: {
    error: {
      message: `(#${code}) scripted by the test`,
      type: "OAuthException",
      code,
      fbtrace_id: "AxTrace",
      ...extra,
    },
  },
});

let graph: VendorServer;
const reader = () =>
  createLeadAdsReader({ baseUrl: graph.url, version: "v21.0", pageAccessToken: TOKEN }, { timeoutMs: 300 });
/** The bare HTTP client with Graph's rules, to read classifyGraphError through a real HTTP exchange. */
const client = () =>
  createHttpClient({ service: "meta", baseUrl: graph.url, classify: classifyGraphError, timeoutMs: 300 });

beforeAll(async () => {
  graph = await startVendorServer(() => ({ status: 200, json: LEAD }));
});
afterAll(async () => {
  await graph.close();
});
beforeEach(() => graph.reset());

describe("classifyGraphError: Graph errors are read by code, not by HTTP status", () => {
  const cases: Array<[string, number, string]> = [
    ["1 (unknown, transient)", 1, "ServiceUnavailable"],
    ["2 (service temporarily unavailable)", 2, "ServiceUnavailable"],
    ["4 (application request limit)", 4, "ServiceRateLimited"],
    ["17 (user request limit)", 17, "ServiceRateLimited"],
    ["32 (page request limit)", 32, "ServiceRateLimited"],
    ["341 (application limit)", 341, "ServiceRateLimited"],
    ["368 (temporarily blocked)", 368, "ServiceUnavailable"],
    ["613 (calls exceeded the rate)", 613, "ServiceRateLimited"],
    ["80000 (business use case limit, low end)", 80000, "ServiceRateLimited"],
    ["80005 (LeadGen business use case limit)", 80005, "ServiceRateLimited"],
    ["80014 (business use case limit, high end)", 80014, "ServiceRateLimited"],
    ["190 (access token invalid or expired)", 190, "ServiceRejected"],
    ["100 (invalid parameter)", 100, "ServiceRejected"],
    ["200 (permissions)", 200, "ServiceRejected"],
    ["80015 (outside the business use case range)", 80015, "ServiceRejected"],
  ];
  for (const [name, code, expected] of cases) {
    it(`HTTP 400 code ${name} → ${expected}`, async () => {
      graph.next(graphError(code));
      const error = await failureOf(client().request({ path: "v21.0/1" }));
      expect(error.name).toBe(expected);
      expect(error.code).toBe(String(code));
      expect(error.status).toBe(400);
    });
  }

  it("is_transient: true makes an otherwise unknown code worth retrying", async () => {
    graph.next(graphError(12345, { is_transient: true }));
    expect((await failureOf(client().request({ path: "v21.0/1" }))).name).toBe("ServiceUnavailable");
  });

  it("190 says what to do, in the message the execution history shows", async () => {
    graph.next(
      graphError(190, { error_subcode: 463, message: "Error validating access token: Session has expired" }),
    );
    const error = await failureOf(client().request({ path: "v21.0/1" }));
    expect(error.message).toContain("Session has expired");
    expect(error.message).toMatch(/access token is invalid or expired: issue a new one/);
  });

  it("without a Graph envelope the status rules hold: 500 → ServiceUnavailable, 429 → ServiceRateLimited", async () => {
    graph.next(
      { status: 500, text: "upstream broke" },
      { status: 429, headers: { "retry-after": "7" }, text: "slow down" },
    );
    expect((await failureOf(client().request({ path: "v21.0/1" }))).name).toBe("ServiceUnavailable");
    const limited = await failureOf(client().request({ path: "v21.0/1" }));
    expect(limited.name).toBe("ServiceRateLimited");
    expect(limited.retryAfterSeconds).toBe(7);
  });

  it("a 2xx is never an error, whatever its body", async () => {
    graph.next({ status: 200, json: { error: { code: 17 } } });
    expect((await client().request({ path: "v21.0/1" })).status).toBe(200);
  });
});

describe("Lead Ads reader", () => {
  it("GETs /{version}/{leadgen_id} with the fields it needs and the Page token as a Bearer header", async () => {
    const lead = await reader().fetchLead(LEAD_ID);

    const request = graph.only();
    expect(request.method).toBe("GET");
    const url = new URL(request.url, "http://graph.local");
    expect(url.pathname).toBe(`/v21.0/${LEAD_ID}`);
    expect(url.searchParams.get("fields")).toBe(
      "id,created_time,ad_id,adset_id,campaign_id,form_id,field_data,is_organic,platform",
    );
    expect(url.searchParams.has("access_token")).toBe(false);
    expect(header(request.headers, "authorization")).toBe(`Bearer ${TOKEN}`);
    expect(lead).toEqual(LEAD);
  });

  it("keeps a 17-digit id that Graph sent as a JSON number exactly", async () => {
    graph.next({
      status: 200,
      text: `{"id":${LEAD_ID},"ad_id":23849853425890183,"field_data":[]}`,
    });
    const lead = await reader().fetchLead(LEAD_ID);
    expect(lead.id).toBe(LEAD_ID);
    expect(lead.ad_id).toBe("23849853425890183");
  });

  it("refuses an answer for another lead, without field_data, or not JSON: GraphLeadInvalid", async () => {
    graph.next(
      { status: 200, json: { ...LEAD, id: "12345678901234568" } },
      { status: 200, json: { id: LEAD_ID } },
      { status: 200, text: "<html>captive portal</html>" },
    );
    for (const why of [/it is lead 12345678901234568/, /no field_data/, /not JSON/]) {
      const error = await failureOf(reader().fetchLead(LEAD_ID));
      expect(error).toBeInstanceOf(GraphLeadInvalid);
      expect(error.message).toMatch(why);
    }
  });

  it("keeps only string answers of field_data and drops entries that are not fields", () => {
    const lead = readGraphLead(
      "1",
      JSON.stringify({
        id: "1",
        field_data: [{ name: "q", values: ["a", 2, null, "b"] }, { values: ["x"] }, "junk"],
      }),
    );
    expect(lead.field_data).toEqual([{ name: "q", values: ["a", "b"] }]);
  });

  it("never asks Graph about an id that is not digits", async () => {
    const error = await failureOf(reader().fetchLead("../me/accounts"));
    expect(error).toBeInstanceOf(GraphLeadInvalid);
    expect(graph.requests).toHaveLength(0);
  });

  it("a throttled lead read is ServiceRateLimited; the token is in no error", async () => {
    graph.next(graphError(80005, { message: "There have been too many leadgen api calls to this Page" }));
    const error = await failureOf(reader().fetchLead(LEAD_ID));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.message).toContain(`GET /v21.0/${LEAD_ID}`);
    expect(error.message).not.toContain(TOKEN);
  });

  it("no answer in time → ServiceUnavailable; nothing listening → ServiceUnavailable", async () => {
    graph.next({ status: 200, hang: true });
    expect((await failureOf(reader().fetchLead(LEAD_ID))).name).toBe("ServiceUnavailable");
    const nowhere = createLeadAdsReader({
      baseUrl: await unusedUrl(),
      version: "v21.0",
      pageAccessToken: TOKEN,
    });
    expect((await failureOf(nowhere.fetchLead(LEAD_ID))).name).toBe("ServiceUnavailable");
  });
});

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createEventPublisher } from "@leadrelay/functions/adapters/event-publisher";
import { createMemberDirectory } from "@leadrelay/functions/adapters/member-directory";
import { createLeadAdsReader } from "@leadrelay/functions/adapters/meta-lead-ads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS, LOCAL_REGION, type Runtime } from "../src/runtime";
import { derivedLead } from "../src/stand-ins/meta";
import { startTestRuntime, tempDir } from "./harness";

/**
 * The stand-ins of meta-leads' vendors, reached as the flows reach them: the meta Graph API (lead
 * reads and the Conversions API), the membership directory and the EventBridge bus, each with the
 * project's own adapter where there is one.
 */

let runtime: Runtime;
let standInDir: string;
let membersDir: string;
const url = (slug: string, path = "") => `${runtime.url}/_local/${slug}${path}`;

beforeAll(async () => {
  standInDir = tempDir("stand-ins-");
  membersDir = tempDir("members-");
  runtime = await startTestRuntime({
    flows: "meta-leads",
    env: { LEADRELAY_STANDIN_DIR: standInDir, LEADRELAY_MEMBERS_DIR: membersDir },
  });
});
afterAll(async () => {
  await runtime?.stop();
});

/** The answers these stand-ins give: Graph's error envelope, CAPI's receipt, the bus's listing. */
interface Answer {
  error?: { code?: number; message?: string; type?: string; fbtrace_id?: string };
  events_received?: number;
  events?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

async function getJson(target: string, init?: RequestInit) {
  const response = await fetch(target, init);
  return { status: response.status, json: (await response.json()) as Answer };
}

describe("the runtime's settings for meta-leads", () => {
  it("fills the Graph base URL, dummy tokens, the pixel, the directory and the bus", () => {
    expect(runtime.settings).toMatchObject({
      META_GRAPH_BASE_URL: url("meta"),
      META_PIXEL_ID: "1234567890",
      MEMBERS_BASE_URL: url("members"),
      EVENT_BUS_NAME: "leadrelay-local",
    });
    expect(runtime.settings.META_PAGE_ACCESS_TOKEN).toBeTruthy();
    expect(runtime.settings.META_ACCESS_TOKEN).toBeTruthy();
  });
});

describe("meta stand-in: Graph lead reads", () => {
  const reader = () =>
    createLeadAdsReader({
      baseUrl: runtime.settings.META_GRAPH_BASE_URL ?? "",
      version: "v21.0",
      pageAccessToken: "any-token",
    });

  it("answers a deterministic lead in Graph's shape for any id, through the project's adapter", async () => {
    const lead = await reader().fetchLead("12345678901234567");
    expect(lead).toEqual(derivedLead("12345678901234567"));
    expect(await reader().fetchLead("12345678901234567")).toEqual(lead);
    expect(lead.field_data.map((field) => field.name)).toEqual([
      "full_name",
      "email",
      "phone_number",
      "which_plan_interests_you",
    ]);
    expect(lead.created_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    expect((await reader().fetchLead("12345678901234568")).id).toBe("12345678901234568");
  });

  it("serves <standInDir>/meta/leads/<id>.json when present", async () => {
    mkdirSync(join(standInDir, "meta", "leads"), { recursive: true });
    writeFileSync(
      join(standInDir, "meta", "leads", "555555555555555.json"),
      JSON.stringify({ platform: "ig", field_data: [{ name: "email", values: ["from.file@example.org"] }] }),
    );
    const lead = await reader().fetchLead("555555555555555");
    expect(lead.platform).toBe("ig");
    expect(lead.field_data).toEqual([{ name: "email", values: ["from.file@example.org"] }]);
  });

  it("honours fields; answers a minimal set without it; refuses a field leads do not have", async () => {
    const some = await getJson(url("meta", "/v21.0/777777777777777?fields=id,email_typo&access_token=t"));
    expect(some.status).toBe(400);
    expect(some.json.error).toMatchObject({ code: 100, message: expect.stringContaining("email_typo") });
    const two = await getJson(url("meta", "/v21.0/777777777777777?fields=id,platform&access_token=t"));
    expect(Object.keys(two.json).sort()).toEqual(["id", "platform"]);
    const bare = await getJson(url("meta", "/v21.0/777777777777777"), {
      headers: { authorization: "Bearer t" },
    });
    expect(Object.keys(bare.json).sort()).toEqual(["created_time", "id"]);
  });

  it("refuses a request without a token: 400 with Graph's OAuthException code 190", async () => {
    const answer = await getJson(url("meta", "/v21.0/777777777777777?fields=id"));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({
      type: "OAuthException",
      code: 190,
      fbtrace_id: expect.any(String),
    });
  });

  it("refuses ids that are not digits and unknown versions", async () => {
    expect((await getJson(url("meta", "/v21.0/me?access_token=t"))).json.error?.code).toBe(100);
    expect((await getJson(url("meta", "/vX/777?access_token=t"))).json.error?.code).toBe(2500);
  });
});

describe("meta stand-in: Conversions API", () => {
  const event = (overrides: Record<string, unknown> = {}) => ({
    event_name: "Lead",
    event_time: Math.floor(Date.now() / 1000) - 60,
    event_id: "lead:1:qualified",
    action_source: "system_generated",
    user_data: { em: "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f" },
    ...overrides,
  });
  const send = (body: unknown, token = "capi-token") =>
    getJson(url("meta", "/v21.0/1234567890/events"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ access_token: token, ...(body as object) }),
    });

  it("answers events_received, messages and fbtrace_id, as JSON or form-encoded", async () => {
    const answer = await send({ data: [event(), event({ event_id: "lead:2:qualified" })] });
    expect(answer).toEqual({
      status: 200,
      json: { events_received: 2, messages: [], fbtrace_id: expect.any(String) },
    });
    const form = await getJson(url("meta", "/v21.0/1234567890/events"), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ data: JSON.stringify([event()]), access_token: "t" }).toString(),
    });
    expect(form.json.events_received).toBe(1);
  });

  it("rejects the whole batch for one event older than 7 days, more than 1000 events, or no data", async () => {
    const old = await send({
      data: [event(), event({ event_time: Math.floor(Date.now() / 1000) - 8 * 86400 })],
    });
    expect(old.status).toBe(400);
    expect(old.json.error?.message).toMatch(/data\[1\]\.event_time is more than 7 days/);
    expect((await send({ data: Array.from({ length: 1001 }, () => event()) })).status).toBe(400);
    expect((await send({ data: [] })).status).toBe(400);
    expect((await send({})).status).toBe(400);
    expect((await send({ data: [event()] }, "")).json.error?.code).toBe(190);
  });
});

describe("members stand-in", () => {
  it("answers 200 {status} from the files of LEADRELAY_MEMBERS_DIR (email in any case), 404 otherwise", async () => {
    writeFileSync(
      join(membersDir, "grace.json"),
      JSON.stringify({ email: "Grace@Example.org", status: "active" }),
    );
    writeFileSync(join(membersDir, "broken.json"), "{ half-edited");
    const directory = createMemberDirectory(runtime.settings.MEMBERS_BASE_URL ?? "");
    expect(await directory.lookup("grace@example.org")).toEqual({ found: true, status: "active" });
    expect(await directory.lookup("nobody@example.org")).toEqual({ found: false });
    // An edit shows at once: the folder is read on every request.
    writeFileSync(
      join(membersDir, "grace.json"),
      JSON.stringify({ email: "grace@example.org", status: "terminated" }),
    );
    expect(await directory.lookup("grace@example.org")).toEqual({ found: true, status: "terminated" });
  });

  it("400 without an email", async () => {
    expect((await getJson(url("members", "/members"))).status).toBe(400);
  });
});

describe("events stand-in: EventBridge PutEvents", () => {
  it("takes the real SDK's PutEvents (through the project's publisher) and lists what it received", async () => {
    const publisher = createEventPublisher("leadrelay-local", {
      endpoint: url("events"),
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    const { eventId } = await publisher.publish({
      source: "leadrelay.test",
      detailType: "test.thing",
      detail: { id: "12345678901234567", name: "Łukasz" },
    });
    const listed = await getJson(url("events", "/"));
    expect(listed.json.events?.at(-1)).toMatchObject({
      eventId,
      eventBusName: "leadrelay-local",
      source: "leadrelay.test",
      detailType: "test.thing",
      detail: { id: "12345678901234567", name: "Łukasz" },
    });
  });

  it("answers a failed entry for a detail that is not a JSON object, as EventBridge does", async () => {
    const response = await fetch(url("events", "/"), {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.PutEvents" },
      body: JSON.stringify({
        Entries: [
          { Source: "s", DetailType: "d", Detail: "[1]" },
          { Source: "s", DetailType: "d", Detail: "{}" },
        ],
      }),
    });
    const answer = (await response.json()) as {
      FailedEntryCount: number;
      Entries: Array<Record<string, string>>;
    };
    expect(answer.FailedEntryCount).toBe(1);
    expect(answer.Entries[0]).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(answer.Entries[1]?.EventId).toBeTruthy();
  });

  it("refuses other operations and more than 10 entries", async () => {
    const other = await fetch(url("events", "/"), {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.ListRules", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(other.status).toBe(400);
    const many = await fetch(url("events", "/"), {
      method: "POST",
      headers: { "x-amz-target": "AWSEvents.PutEvents", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({
        Entries: Array.from({ length: 11 }, () => ({ Source: "s", DetailType: "d", Detail: "{}" })),
      }),
    });
    expect(many.status).toBe(400);
    expect(((await many.json()) as { __type: string }).__type).toBe("ValidationException");
  });
});

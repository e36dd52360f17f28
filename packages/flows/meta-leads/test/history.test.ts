import { createHash } from "node:crypto";
import { createSfnStarter } from "@leadrelay/functions/adapters/sfn-starter";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { executionHistory, redriveExecution, replayExecution } from "../../../console/src/lead-operations";
import type { Runtime } from "../../../local/src/runtime";
import type { PublishedEvent } from "../../../local/src/stand-ins/events";
import { startTestRuntime, tempDir } from "../../../local/test/harness";
import { leadRecordKey } from "../src/domain/keys";
import { leadgenBody, leadsBody, metaHeaders, writeGraphLead, writeMember } from "./meta-requests";

/**
 * meta-leads on the real local runtime: the meta source's ingest Lambda behind the API Gateway
 * adapter, the flow's ASL on the local engine, the handlers, and the meta, members and events
 * stand-ins. Each test reads the execution's history through the Step Functions API and the
 * stand-ins' records (what Graph was asked, what reached the bus).
 */

const FLOW = "meta-leads";
let runtime: Runtime;
let standInDir: string;
let membersDir: string;

beforeAll(async () => {
  standInDir = tempDir("meta-standins-");
  membersDir = tempDir("meta-members-");
  runtime = await startTestRuntime({
    flows: FLOW,
    retryIntervalMs: 20,
    env: { LEADRELAY_STANDIN_DIR: standInDir, LEADRELAY_MEMBERS_DIR: membersDir },
  });
});

afterAll(async () => {
  await runtime?.stop();
});

afterEach(async () => {
  for (const slug of ["meta", "members", "events"]) {
    await fetch(`${runtime.url}/_local/${slug}/_fail`, { method: "DELETE" });
  }
});

// ── helpers ──

const engine = () => {
  const found = runtime.engines[FLOW];
  if (!found) throw new Error("meta-leads is not running");
  return found;
};
const target = () => ({ sfn: runtime.sfnClient, stateMachineArn: engine().stateMachineArn });

async function post(body: string, headers = metaHeaders(runtime.settings.META_APP_SECRET ?? "", body)) {
  const response = await fetch(runtime.webhooks.meta ?? "", { method: "POST", headers, body });
  const text = await response.text();
  return { status: response.status, text, json: JSON.parse(text || "null") as Record<string, unknown> };
}

async function script(slug: string, failure: Record<string, unknown>) {
  const response = await fetch(`${runtime.url}/_local/${slug}/_fail`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(failure),
  });
  expect(response.status).toBe(201);
}

const settled = (leadgenId: string) => engine().settled(`meta-${leadgenId}`);

interface Story {
  states: string[];
  /** Lambda failures, by the Task they happened in. */
  failures: Array<{ state: string; error: string; cause: string }>;
  outputs: Record<string, unknown>;
  events: Awaited<ReturnType<typeof executionHistory>>;
}

/** Which states ran, which Lambda attempts failed and how, each Task's last output. */
async function storyOf(name: string): Promise<Story> {
  const events = await executionHistory(target(), engine().arnOf(name));
  const story: Story = { states: [], failures: [], outputs: {}, events };
  let state = "";
  for (const event of events) {
    if (event.type?.endsWith("StateEntered")) {
      state = event.stateEnteredEventDetails?.name ?? "";
      story.states.push(state);
    }
    if (event.type === "LambdaFunctionFailed") {
      const details = event.lambdaFunctionFailedEventDetails;
      story.failures.push({ state, error: details?.error ?? "", cause: details?.cause ?? "" });
    }
    if (event.type === "LambdaFunctionSucceeded") {
      story.outputs[state] = JSON.parse(event.lambdaFunctionSucceededEventDetails?.output ?? "null");
    }
  }
  return story;
}

async function busEvents(leadgenId?: string): Promise<PublishedEvent[]> {
  const response = await fetch(`${runtime.url}/_local/events/`);
  const { events } = (await response.json()) as { events: PublishedEvent[] };
  return events.filter(
    (event) => !leadgenId || (event.detail as { leadgenId?: string }).leadgenId === leadgenId,
  );
}

const graphReads = (leadgenId: string) =>
  (runtime.standIns.meta?.requests() ?? []).filter((request) => request.path.endsWith(`/${leadgenId}`));

const HAPPY_PATH = ["FetchLead", "LeadFetched", "Categorize", "Publish", "Done"];

// ── the happy path, a batch, redelivery ──

describe("a signed leadgen POST", () => {
  const ACTIVE = "12345678901234567";
  const UNKNOWN = "12345678901234568";
  const body = leadsBody(ACTIVE, UNKNOWN);

  it("starts one execution per change; each fetches, categorizes and publishes; 17-digit ids survive", async () => {
    writeGraphLead(standInDir, ACTIVE, "Ada.Member@Example.com", "Ada Member");
    writeMember(membersDir, "ada.member@example.com", "active");

    const answer = await post(body);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: "accepted", leadgenIds: [ACTIVE, UNKNOWN] });

    for (const id of [ACTIVE, UNKNOWN]) {
      expect((await settled(id))?.status).toBe("SUCCEEDED");
      expect((await storyOf(`meta-${id}`)).states).toEqual(HAPPY_PATH);
      expect(graphReads(id)).toHaveLength(1);
      expect(graphReads(id)[0]?.path).toBe(`/v21.0/${id}`);
    }
    const [active] = await busEvents(ACTIVE);
    const [unknown] = await busEvents(UNKNOWN);
    expect(active).toMatchObject({
      eventBusName: "leadrelay-local",
      source: "leadrelay.meta-leads",
      detailType: "meta-lead.already_subscribed",
      detail: {
        leadgenId: ACTIVE,
        category: "already_subscribed",
        membership: "active",
        lead: { leadgenId: ACTIVE, email: "ada.member@example.com", fullName: "Ada Member" },
        source: { leadgenId: ACTIVE, pageId: "153125381133", adgroupId: "23849853425900183" },
      },
    });
    expect(unknown).toMatchObject({
      detailType: "meta-lead.pending",
      detail: { leadgenId: UNKNOWN, membership: "not_found" },
    });

    // Stored: the delivery once, byte for byte; per lead the change, Graph's lead and the category.
    const rawKey = `sources/meta/${createHash("sha256").update(body).digest("hex")}.json`;
    expect(await runtime.store.get(rawKey)).toBe(body);
    for (const id of [ACTIVE, UNKNOWN]) {
      const change = JSON.parse((await runtime.store.get(leadRecordKey(id, "change"))) ?? "{}");
      expect(change.value.leadgen_id).toBe(id);
      expect(JSON.parse((await runtime.store.get(leadRecordKey(id, "lead"))) ?? "{}").id).toBe(id);
      expect(await runtime.store.get(leadRecordKey(id, "category"))).toBeDefined();
    }
  });

  it("delivered again: 200 duplicate, no new execution, no new Graph read, nothing published again", async () => {
    const before = (await busEvents()).length;
    const answer = await post(body);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ status: "duplicate" });
    for (const id of [ACTIVE, UNKNOWN]) {
      expect((await settled(id))?.status).toBe("SUCCEEDED");
      expect(graphReads(id)).toHaveLength(1);
    }
    expect((await busEvents()).length).toBe(before);
    // The same leads inside another batch: still nothing new.
    expect((await post(leadgenBody([[{ leadgenId: UNKNOWN, as: "string" }]]))).json).toMatchObject({
      status: "duplicate",
    });
    expect((await busEvents()).length).toBe(before);
  });

  it("replayed (a new execution, same input): runs again but publishes nothing more", async () => {
    // The operator's replay (console and CLI): a new execution with the first one's input.
    const { name } = await replayExecution(target(), `meta-${ACTIVE}`);
    expect(name).toMatch(new RegExp(`^meta-${ACTIVE}-replay-`));
    expect((await engine().settled(name))?.status).toBe("SUCCEEDED");
    const replay = await storyOf(name);
    expect(replay.states).toEqual(HAPPY_PATH);
    expect(replay.outputs.Publish).toMatchObject({
      status: "already-published",
      detailType: "meta-lead.already_subscribed",
    });
    expect(await busEvents(ACTIVE)).toHaveLength(1);
  });
});

describe("categories", () => {
  it("sorts a batch into already subscribed, terminated (terminated or cancelled) and pending", async () => {
    const people: Array<[string, string, string | undefined, string]> = [
      ["100000000000000101", "active.one@example.org", "active", "meta-lead.already_subscribed"],
      ["100000000000000102", "ended.two@example.org", "terminated", "meta-lead.terminated"],
      ["100000000000000103", "ended.three@example.org", "cancelled", "meta-lead.terminated"],
      ["100000000000000104", "paused.four@example.org", "paused", "meta-lead.pending"],
      ["100000000000000105", "new.five@example.org", undefined, "meta-lead.pending"],
      // A form without an email: pending, without asking the directory (a null through Parameters).
      ["100000000000000106", "", undefined, "meta-lead.pending"],
    ];
    for (const [id, email, status] of people) {
      writeGraphLead(standInDir, id, email);
      if (status) writeMember(membersDir, email, status);
    }
    const answer = await post(
      leadgenBody([
        people.slice(0, 2).map(([leadgenId]) => ({ leadgenId })),
        people.slice(2).map(([leadgenId]) => ({ leadgenId })),
      ]),
    );
    expect(answer.status).toBe(200);
    for (const [id, , , detailType] of people) {
      expect((await settled(id))?.status).toBe("SUCCEEDED");
      expect((await busEvents(id)).map((event) => event.detailType)).toEqual([detailType]);
    }
    const [noEmail] = await busEvents("100000000000000106");
    expect(noEmail?.detail).toMatchObject({ membership: "no_email", lead: { email: null } });
  });
});

// ── Graph ──

describe("FetchLead against Graph", () => {
  it("throttled (code 17, twice): retried with backoff, then fetched and published once", async () => {
    const id = "100000000000000201";
    await script("meta", {
      status: 400,
      body: {
        error: {
          message: "(#17) User request limit reached",
          type: "OAuthException",
          code: 17,
          fbtrace_id: "A1",
        },
      },
      times: 2,
      path: `/v21.0/${id}`,
    });
    await post(leadsBody(id));
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    const story = await storyOf(`meta-${id}`);
    expect(story.states).toEqual(HAPPY_PATH);
    expect(story.failures.map((failure) => [failure.state, failure.error])).toEqual([
      ["FetchLead", "ServiceRateLimited"],
      ["FetchLead", "ServiceRateLimited"],
    ]);
    expect(story.failures[0]?.cause).toMatch(/code 17/);
    expect(graphReads(id)).toHaveLength(3);
    expect(await busEvents(id)).toHaveLength(1);
  });

  it("a transient code (2) is retried too", async () => {
    const id = "100000000000000202";
    await script("meta", {
      status: 400,
      body: { error: { message: "Service temporarily unavailable", code: 2 } },
      path: `/v21.0/${id}`,
    });
    await post(leadsBody(id));
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    expect((await storyOf(`meta-${id}`)).failures.map((failure) => failure.error)).toEqual([
      "ServiceUnavailable",
    ]);
  });

  it("a bad token (190) fails at once as LeadNotFetched with a clear cause; redriven once fixed, it publishes once", async () => {
    const id = "100000000000000203";
    await script("meta", {
      status: 400,
      body: {
        error: {
          message: "Error validating access token: Session has expired",
          type: "OAuthException",
          code: 190,
          error_subcode: 463,
        },
      },
      path: `/v21.0/${id}`,
    });
    await post(leadsBody(id));
    const failed = await settled(id);
    expect(failed?.status).toBe("FAILED");
    expect(failed?.error).toBe("LeadNotFetched");
    expect(failed?.cause).toMatch(/code 190.*Session has expired.*access token is invalid or expired/s);
    const story = await storyOf(`meta-${id}`);
    expect(story.states).toEqual(["FetchLead", "LeadNotFetchedHasCause", "LeadNotFetched"]);
    expect(story.failures).toHaveLength(1);
    expect(await busEvents(id)).toHaveLength(0);

    // The token is renewed (the script is used up): redrive through the Step Functions API.
    await redriveExecution(target(), `meta-${id}`);
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    const redriven = await storyOf(`meta-${id}`);
    expect(redriven.events.some((event) => event.type === "ExecutionRedriven")).toBe(true);
    expect(redriven.states.slice(-HAPPY_PATH.length)).toEqual(HAPPY_PATH);
    expect(await busEvents(id)).toHaveLength(1);
  });

  it("a delivery that is gone from storage ends in ChangeMissing", async () => {
    const name = "meta-100000000000000204";
    await createSfnStarter(runtime.sfnClient, engine().stateMachineArn).start(name, {
      leadgenId: "100000000000000204",
      rawKey: "sources/meta/never-stored.json",
      entry: 0,
      change: 0,
      receivedAt: new Date().toISOString(),
    });
    const record = await engine().settled(name);
    expect(record?.error).toBe("ChangeMissing");
    expect((await storyOf(name)).states).toEqual(["FetchLead", "ChangeMissingHasCause", "ChangeMissing"]);
  });
});

// ── the membership directory ──

describe("Categorize against the membership directory", () => {
  it("unavailable twice (503): retried, then categorized", async () => {
    const id = "100000000000000301";
    await script("members", { status: 503, body: { error: "maintenance" }, times: 2 });
    await post(leadsBody(id));
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    const story = await storyOf(`meta-${id}`);
    expect(story.failures.map((failure) => [failure.state, failure.error])).toEqual([
      ["Categorize", "ServiceUnavailable"],
      ["Categorize", "ServiceUnavailable"],
    ]);
    expect(await busEvents(id)).toHaveLength(1);
  });

  it("unavailable through every retry: MembershipLookupFailed, nothing published, no email in the cause; redrive publishes once", async () => {
    const id = "100000000000000302";
    writeGraphLead(standInDir, id, "secret.person@example.org");
    await script("members", { status: 500, body: { error: "down for secret.person@example.org" }, times: 7 });
    await post(leadsBody(id));
    const failed = await settled(id);
    expect(failed?.error).toBe("MembershipLookupFailed");
    const story = await storyOf(`meta-${id}`);
    expect(story.states).toEqual([
      "FetchLead",
      "LeadFetched",
      "Categorize",
      "MembershipLookupFailedHasCause",
      "MembershipLookupFailed",
    ]);
    expect(story.failures).toHaveLength(7);
    expect(failed?.cause).not.toContain("secret.person");
    for (const failure of story.failures) expect(failure.cause).not.toContain("secret.person");
    expect(await busEvents(id)).toHaveLength(0);

    await redriveExecution(target(), `meta-${id}`);
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    expect(graphReads(id)).toHaveLength(1);
    expect(await busEvents(id)).toHaveLength(1);
  });
});

// ── the bus ──

describe("Publish to the bus", () => {
  it("throttled once: retried, published once", async () => {
    const id = "100000000000000401";
    await script("events", {
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: { __type: "ThrottlingException", message: "Rate exceeded" },
    });
    await post(leadsBody(id));
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    expect((await storyOf(`meta-${id}`)).failures.map((failure) => [failure.state, failure.error])).toEqual([
      ["Publish", "ServiceRateLimited"],
    ]);
    expect(await busEvents(id)).toHaveLength(1);
  });

  it("an entry refused (MalformedDetail): PublishFailed, the marker removed; a redrive publishes once", async () => {
    const id = "100000000000000402";
    await script("events", {
      status: 200,
      headers: { "content-type": "application/x-amz-json-1.1" },
      body: {
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }],
      },
    });
    await post(leadsBody(id));
    const failed = await settled(id);
    expect(failed?.error).toBe("PublishFailed");
    expect(failed?.cause).toMatch(/MalformedDetail/);
    expect((await storyOf(`meta-${id}`)).states).toEqual([
      ...HAPPY_PATH.slice(0, 4),
      "PublishFailedHasCause",
      "PublishFailed",
    ]);
    expect(await runtime.store.get(leadRecordKey(id, "published"))).toBeUndefined();
    expect(await busEvents(id)).toHaveLength(0);

    await redriveExecution(target(), `meta-${id}`);
    expect((await settled(id))?.status).toBe("SUCCEEDED");
    const story = await storyOf(`meta-${id}`);
    expect(story.outputs.Publish).toMatchObject({ status: "published", detailType: "meta-lead.pending" });
    // Redriven from Publish: Graph and the directory were not asked again.
    expect(graphReads(id)).toHaveLength(1);
    expect(await busEvents(id)).toHaveLength(1);
  });
});

// ── without credentials ──

describe("without META_PAGE_ACCESS_TOKEN", () => {
  let bare: Runtime;
  beforeAll(async () => {
    // A Graph base URL given without its token: the stand-in fills nothing, FetchLead skips.
    bare = await startTestRuntime({
      flows: FLOW,
      retryIntervalMs: 20,
      env: { META_GRAPH_BASE_URL: "http://127.0.0.1:9/never-called" },
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it("keeps the change and ends in FetchSkipped, the history saying which variable is missing", async () => {
    const id = "100000000000000501";
    const body = leadsBody(id);
    const response = await fetch(bare.webhooks.meta ?? "", {
      method: "POST",
      headers: metaHeaders(bare.settings.META_APP_SECRET ?? "", body),
      body,
    });
    expect(response.status).toBe(200);
    const bareEngine = bare.engines[FLOW];
    const record = await bareEngine?.settled(`meta-${id}`);
    expect(record?.status).toBe("SUCCEEDED");
    const events = await executionHistory(
      { sfn: bare.sfnClient, stateMachineArn: bareEngine?.stateMachineArn ?? "" },
      bareEngine?.arnOf(`meta-${id}`) ?? "",
    );
    const entered = events
      .filter((event) => event.type?.endsWith("StateEntered"))
      .map((event) => event.stateEnteredEventDetails?.name);
    expect(entered).toEqual(["FetchLead", "LeadFetched", "FetchSkipped"]);
    const output = events.find((event) => event.type === "LambdaFunctionSucceeded")
      ?.lambdaFunctionSucceededEventDetails?.output;
    expect(JSON.parse(output ?? "{}")).toMatchObject({
      status: "skipped",
      reason: "META_PAGE_ACCESS_TOKEN is not set",
    });
    expect(await bare.store.get(leadRecordKey(id, "change"))).toBeDefined();
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { redriveExecution, replayExecution } from "../../../console/src/lead-operations";
import { unusedUrl } from "../../../functions/test/fakes";
import { LAST_REPLY_PROPERTY, LINKEDIN_URL_PROPERTY } from "../src/domain/hubspot-properties";
import type { ReplySummary } from "../src/domain/reply";
import { runHubSpotSetup } from "../src/hubspot-setup";
import {
  attemptsOf,
  clearFailures,
  crmOf,
  crmState,
  deliver,
  deliverAndSettle,
  engineOf,
  type FlowRuntime,
  failuresOf,
  historyOf,
  lgmKnowsLead,
  outputOf,
  pathOf,
  replyBody,
  scriptFailure,
  settle,
  startFlowRuntime,
} from "./runtime";

const HAPPY_PATH = [
  "FetchConversation",
  "UpsertContact",
  "HubSpotConfigured",
  "EnsureDeal",
  "AddNote",
  "Done",
];

/**
 * The flow's branches on the real local runtime: the ingest Lambda behind the API Gateway adapter,
 * the ASL file on the local engine, the real handlers, the HubSpot and LGM stand-ins. Assertions
 * read the execution history (which states ran, retries, catches) and the HubSpot stand-in's state.
 */
describe("with LGM and HubSpot (stand-ins)", () => {
  let runtime: FlowRuntime;
  beforeAll(async () => {
    runtime = await startFlowRuntime();
  });
  afterAll(async () => {
    await runtime.stop();
  });
  afterEach(async () => {
    await clearFailures(runtime);
  });

  it("turns a reply into a contact, its deal and a note, from LGM's canonical data", async () => {
    const body = replyBody();
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.status).toBe("SUCCEEDED");
    expect(pathOf(events)).toEqual(HAPPY_PATH);
    expect(outputOf<ReplySummary>(events, "FetchConversation", "reply")).toMatchObject({ source: "lgm-api" });
    expect(outputOf(events, "UpsertContact", "contact")).toMatchObject({
      status: "created",
      matchedBy: "email",
    });
    expect(outputOf(events, "EnsureDeal", "deal")).toMatchObject({ status: "created" });
    expect(outputOf(events, "AddNote", "note")).toMatchObject({ status: "created" });

    const { contact, deals, notes, noteDeals } = await crmOf(runtime, { email: body.proEmail });
    expect(contact?.properties).toMatchObject({
      firstname: "Ada",
      lastname: "Lovelace",
      [LINKEDIN_URL_PROPERTY]: body.linkedinUrl,
      [LAST_REPLY_PROPERTY]: "2026-11-20T14:00:00.000Z",
    });
    expect(deals.map((d) => [d.properties.dealname, d.properties.pipeline, d.properties.dealstage])).toEqual([
      ["Ada Lovelace — Q4 Founders", "default", "appointmentscheduled"],
    ]);
    expect(notes).toHaveLength(1);
    expect(notes[0]?.properties.hs_note_body).toContain(
      "yes, let&#39;s talk &lt;soon&gt; &amp; &quot;quickly&quot;",
    );
    expect(noteDeals[notes[0]?.id ?? ""]).toEqual([deals[0]?.id]);
  });

  it("updates the contact, reuses the deal and adds a note for the next reply; a redelivery of either changes nothing", async () => {
    const first = replyBody();
    await deliverAndSettle(runtime, first);
    const second = {
      ...first,
      messageId: `${first.messageId}-b`,
      lastname: "King",
      text: "Thursday works.",
      createdAt: "2026-11-21T09:30:00.000Z",
    };
    const { events } = await deliverAndSettle(runtime, second);
    expect(pathOf(events)).toEqual(HAPPY_PATH);
    expect(outputOf(events, "UpsertContact", "contact")).toMatchObject({ status: "updated" });
    expect(outputOf(events, "EnsureDeal", "deal")).toMatchObject({ status: "reused", foundBy: "record" });

    const before = await crmState(runtime);
    for (const body of [first, second]) {
      const again = await deliver(runtime, body);
      expect([again.status, again.json.status]).toEqual([200, "duplicate"]);
    }
    expect(await crmState(runtime)).toEqual(before);
    const { contact, deals, notes } = await crmOf(runtime, { email: first.proEmail });
    expect(contact?.properties).toMatchObject({
      lastname: "King",
      [LAST_REPLY_PROPERTY]: "2026-11-21T09:30:00.000Z",
    });
    expect(deals).toHaveLength(1);
    expect(notes.map((n) => n.properties.hs_timestamp).sort()).toEqual([
      "2026-11-20T14:00:00.000Z",
      "2026-11-21T09:30:00.000Z",
    ]);
  });

  it("takes the email the delivery lacked from LGM's lead", async () => {
    const body = replyBody({ proEmail: undefined });
    lgmKnowsLead(runtime, {
      id: body.leadId,
      firstname: "Ada",
      lastname: "Byron",
      proEmail: "ada.byron@example.com",
    });
    const { events } = await deliverAndSettle(runtime, body);
    expect(outputOf<ReplySummary>(events, "FetchConversation", "reply")).toMatchObject({
      source: "lgm-api",
      email: "ada.byron@example.com",
      lastname: "Byron",
    });
    expect((await crmOf(runtime, { email: "ada.byron@example.com" })).notes).toHaveLength(1);
  });

  it("matches replies without an email on the LinkedIn profile: one contact however late search is", async () => {
    await fetch(`${runtime.url}/_local/hubspot/_settings`, {
      method: "PUT",
      body: JSON.stringify({ searchLagMs: 600_000 }),
    });
    const first = replyBody({ proEmail: undefined });
    const one = await deliverAndSettle(runtime, first);
    const two = await deliverAndSettle(runtime, {
      ...first,
      messageId: `${first.messageId}-b`,
      text: "again",
    });
    await fetch(`${runtime.url}/_local/hubspot/_settings`, {
      method: "PUT",
      body: JSON.stringify({ searchLagMs: 2_000 }),
    });
    const contactOne = outputOf<{ contactId: string; matchedBy: string }>(
      one.events,
      "UpsertContact",
      "contact",
    );
    const contactTwo = outputOf<{ contactId: string; matchedBy: string }>(
      two.events,
      "UpsertContact",
      "contact",
    );
    expect(contactOne.matchedBy).toBe("linkedin");
    expect(contactTwo.contactId).toBe(contactOne.contactId);
    const { deals, notes } = await crmOf(runtime, { id: contactOne.contactId });
    expect([deals.length, notes.length]).toEqual([1, 2]);
  });

  it("recovers from HubSpot's 409: the email's existing contact wins over the profile's", async () => {
    const first = replyBody({ proEmail: undefined });
    const one = await deliverAndSettle(runtime, first);
    const linkedinOnly = outputOf<{ contactId: string }>(one.events, "UpsertContact", "contact").contactId;
    // Someone adds the person by hand, with the email the next reply carries.
    const email = `hand-made-${first.leadId}@example.com`;
    const made = await fetch(`${runtime.url}/_local/hubspot/crm/v3/objects/contacts`, {
      method: "POST",
      headers: { authorization: "Bearer local-hubspot-token", "content-type": "application/json" },
      body: JSON.stringify({ properties: { email, firstname: "A." } }),
    });
    const byHand = ((await made.json()) as { id: string }).id;
    const second = {
      ...first,
      messageId: `${first.messageId}-b`,
      proEmail: email,
      text: "my email is above",
    };
    lgmKnowsLead(runtime, { id: first.leadId, firstname: "Ada", lastname: "Lovelace", proEmail: email });
    const two = await deliverAndSettle(runtime, second);
    expect(two.record?.status).toBe("SUCCEEDED");
    const contact = outputOf<{ contactId: string; matchedBy: string; note: string }>(
      two.events,
      "UpsertContact",
      "contact",
    );
    expect(contact).toMatchObject({ status: "updated", contactId: byHand, matchedBy: "email" });
    expect(contact.note).toContain(`contact ${linkedinOnly}`);
    const winner = await crmOf(runtime, { id: byHand });
    expect(winner.contact?.properties).toMatchObject({
      email,
      firstname: "Ada",
      [LINKEDIN_URL_PROPERTY]: first.linkedinUrl,
    });
    expect([winner.deals.length, winner.notes.length]).toEqual([1, 1]);
    expect((await crmOf(runtime, { id: linkedinOnly })).contact?.properties.email).toBeUndefined();
  });

  it("falls back to the delivery when LGM stays unavailable through the retries (the degraded path)", async () => {
    await scriptFailure(runtime, "lgm", { status: 503, body: "Service Unavailable", times: 20 });
    const body = replyBody();
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.status).toBe("SUCCEEDED");
    expect(pathOf(events)).toEqual([
      "FetchConversation",
      "UseDeliveredReply",
      "UpsertContact",
      "HubSpotConfigured",
      "EnsureDeal",
      "AddNote",
      "Done",
    ]);
    expect(attemptsOf(events, "FetchConversation")).toBe(5);
    expect(failuresOf(events, "FetchConversation").map((f) => f.error)).toEqual(
      Array(5).fill("ServiceUnavailable"),
    );
    const reply = outputOf<ReplySummary>(events, "UseDeliveredReply", "reply");
    expect(reply.source).toBe("webhook");
    expect(reply.reason).toContain("lgm is unavailable (HTTP 503)");
    expect((await crmOf(runtime, { email: body.proEmail })).notes).toHaveLength(1);
  });

  it("retries a TEN_SECONDLY_ROLLING 429 with the vendor's Retry-After in the history: one note", async () => {
    await scriptFailure(runtime, "hubspot", {
      status: 429,
      method: "POST",
      path: "/crm/v3/objects/notes",
      times: 2,
      headers: { "retry-after": "1", "x-hubspot-ratelimit-interval-milliseconds": "10000" },
      body: {
        status: "error",
        message: "You have reached your ten_secondly_rolling limit.",
        errorType: "RATE_LIMIT",
        policyName: "TEN_SECONDLY_ROLLING",
      },
    });
    const body = replyBody();
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.status).toBe("SUCCEEDED");
    expect(attemptsOf(events, "AddNote")).toBe(3);
    const [failure] = failuresOf(events, "AddNote");
    expect(failure?.error).toBe("ServiceRateLimited");
    expect(failure?.cause).toContain("code TEN_SECONDLY_ROLLING");
    expect(failure?.cause).toContain("Retry-After 1s");
    expect((await crmOf(runtime, { email: body.proEmail })).notes).toHaveLength(1);
  });

  it("stops at once on a DAILY 429, with a cause that says the quota is used up", async () => {
    await scriptFailure(runtime, "hubspot", {
      status: 429,
      method: "POST",
      path: "/crm/v3/objects/contacts/batch/upsert",
      times: 10,
      body: {
        status: "error",
        message: "You have reached your daily limit.",
        errorType: "RATE_LIMIT",
        policyName: "DAILY",
      },
    });
    const body = replyBody();
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.status).toBe("FAILED");
    expect(record?.error).toBe("HubSpotQuotaExhausted");
    expect(record?.cause).toContain("daily API quota is used up");
    expect(attemptsOf(events, "UpsertContact")).toBe(1);
    expect(pathOf(events)).toEqual([
      "FetchConversation",
      "UpsertContact",
      "HubSpotQuotaExhaustedHasCause",
      "HubSpotQuotaExhausted",
    ]);
    expect((await crmOf(runtime, { email: body.proEmail })).contact).toBeUndefined();
  });

  it("retries a 5xx on the deal create and makes one deal", async () => {
    await scriptFailure(runtime, "hubspot", {
      status: 502,
      method: "POST",
      path: "/crm/v3/objects/deals",
      body: "Bad Gateway",
    });
    const body = replyBody();
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.status).toBe("SUCCEEDED");
    expect(attemptsOf(events, "EnsureDeal")).toBe(2);
    expect((await crmOf(runtime, { email: body.proEmail })).deals).toHaveLength(1);
  });

  it("after a refused note, a redrive writes it once without a second deal; a replay writes nothing new", async () => {
    await scriptFailure(runtime, "hubspot", {
      status: 400,
      method: "POST",
      path: "/crm/v3/objects/notes",
      body: { status: "error", message: "Invalid input", category: "VALIDATION_ERROR" },
    });
    const body = replyBody();
    const { name, record } = await deliverAndSettle(runtime, body);
    expect([record?.status, record?.error]).toEqual(["FAILED", "HubSpotRejected"]);
    expect((await crmOf(runtime, { email: body.proEmail })).notes).toHaveLength(0);

    const target = { sfn: runtime.sfnClient, stateMachineArn: engineOf(runtime).stateMachineArn };
    await redriveExecution(target, name);
    const redriven = await settle(runtime, name);
    expect(redriven.record?.status).toBe("SUCCEEDED");
    const afterRedrive = redriven.events.slice(
      redriven.events.findIndex((e) => e.type === "ExecutionRedriven"),
    );
    expect(pathOf(afterRedrive)).toEqual(["AddNote", "Done"]);

    // A replay: a new execution with the same input, as the console and the CLI start one.
    const replay = await replayExecution(target, name);
    expect(replay.name).not.toBe(name);
    const replayed = await settle(runtime, replay.name);
    expect(replayed.record?.status).toBe("SUCCEEDED");
    expect(outputOf(replayed.events, "EnsureDeal", "deal")).toMatchObject({
      status: "reused",
      foundBy: "record",
    });
    expect(outputOf(replayed.events, "AddNote", "note")).toMatchObject({ status: "already-created" });
    const { deals, notes } = await crmOf(runtime, { email: body.proEmail });
    expect([deals.length, notes.length]).toEqual([1, 1]);
  });

  it("fails a reply that names no one as ReplyWithoutIdentity", async () => {
    const body = replyBody({ proEmail: undefined, linkedinUrl: undefined, leadId: undefined });
    const { record, events } = await deliverAndSettle(runtime, body);
    expect(record?.error).toBe("ReplyWithoutIdentity");
    expect(pathOf(events).at(-1)).toBe("ReplyWithoutIdentity");
  });

  it("starts nothing for a message we sent or a wrong token", async () => {
    const before = (
      await engineOf(runtime).listExecutions({ stateMachineArn: engineOf(runtime).stateMachineArn })
    ).executions?.length;
    const sent = await deliver(runtime, replyBody({ lastMessageStatus: "SENT" }));
    expect([sent.status, sent.json.status]).toEqual([202, "ignored"]);
    const forged = await deliver(runtime, replyBody(), "not-the-token");
    expect(forged.status).toBe(404);
    expect(
      (await engineOf(runtime).listExecutions({ stateMachineArn: engineOf(runtime).stateMachineArn }))
        .executions?.length,
    ).toBe(before);
  });
});

describe("without credentials", () => {
  let runtime: FlowRuntime;
  beforeAll(async () => {
    // Base URLs set (so no stand-in fills them) without their credentials: both actions are skipped.
    const nowhere = await unusedUrl();
    runtime = await startFlowRuntime({ env: { LGM_BASE_URL: nowhere, HUBSPOT_BASE_URL: nowhere } });
  });
  afterAll(async () => {
    await runtime.stop();
  });

  it("uses the delivery without LGM_API_KEY and writes nothing without HUBSPOT_TOKEN, saying why", async () => {
    const { record, events } = await deliverAndSettle(runtime, replyBody());
    expect(record?.status).toBe("SUCCEEDED");
    expect(pathOf(events)).toEqual([
      "FetchConversation",
      "UpsertContact",
      "HubSpotConfigured",
      "HubSpotNotConfigured",
    ]);
    expect(outputOf<ReplySummary>(events, "FetchConversation", "reply")).toMatchObject({
      source: "webhook",
      reason: "LGM_API_KEY is not set: the delivery is used as is",
    });
    expect(outputOf(events, "UpsertContact", "contact")).toEqual({
      status: "skipped",
      reason: "HUBSPOT_TOKEN is not set",
    });
  });
});

describe("before `hubspot setup`", () => {
  let runtime: FlowRuntime;
  beforeAll(async () => {
    runtime = await startFlowRuntime({ setUp: false });
  });
  afterAll(async () => {
    await runtime.stop();
  });

  it("fails as HubSpotRejected naming the command; after setup a redrive completes it once", async () => {
    const body = replyBody();
    const { name, record } = await deliverAndSettle(runtime, body);
    expect([record?.status, record?.error]).toEqual(["FAILED", "HubSpotRejected"]);
    expect(record?.cause).toContain("PROPERTY_DOESNT_EXIST");
    expect(record?.cause).toContain("pnpm leadrelay hubspot setup");
    expect((await crmState(runtime)).contacts).toEqual([]);

    const lines = await runHubSpotSetup({}, runtime.url);
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/).at(-1))).toEqual([
      "created",
      "created",
      "created",
    ]);
    expect(
      (await runHubSpotSetup({}, runtime.url)).slice(1).map((line) => line.trim().split(/\s+/).at(-1)),
    ).toEqual(["exists", "exists", "exists"]);
    await redriveExecution(
      { sfn: runtime.sfnClient, stateMachineArn: engineOf(runtime).stateMachineArn },
      name,
    );
    const { record: redriven, events } = await settle(runtime, name);
    expect(redriven?.status).toBe("SUCCEEDED");
    expect(events.filter((e) => e.type === "ExecutionRedriven")).toHaveLength(1);
    const { contact, deals, notes } = await crmOf(runtime, { email: body.proEmail });
    expect(contact).toBeDefined();
    expect([deals.length, notes.length]).toEqual([1, 1]);
    expect(await historyOf(runtime, name)).toHaveLength(events.length);
  });
});

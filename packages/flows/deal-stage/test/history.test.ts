import { replayExecutionName } from "@leadrelay/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../../local/src/runtime";
import { startTestRuntime } from "../../../local/test/harness";
import { sha256Hex } from "../src/domain/meta-user-data";
import { dealBody } from "./fixtures";
import {
  capiAttemptsFor,
  capiEventsFor,
  clearScripts,
  emailsFor,
  engineOf,
  FLOW,
  failNext,
  graphError,
  historyOf,
  lambdaFailures,
  outputOf,
  postDeal,
  sfnApi,
  statesEntered,
} from "./local-runtime";

/**
 * The deal-stage state machine on the real local runtime: ingest, the ASL file on the local
 * engine, the real handlers, the Meta and Brevo stand-ins. Each test uses its own deal, so the
 * stand-ins' records can be read per deal.
 */

let runtime: Runtime;
const CAPI_PATH = "/v21.0/1234567890/events";
const EMAIL_PATH = "/v3/smtp/email";

const committed = (dealId: string) =>
  dealBody("deal-committed", (data) => {
    data.dealId = dealId;
  });
const qualified = (dealId: string) =>
  dealBody("deal-qualified", (data) => {
    data.dealId = dealId;
  });

async function run(body: string, name: string) {
  const answer = await postDeal(runtime, body);
  expect(answer.status, answer.text).toBe(202);
  const record = await engineOf(runtime).settled(name);
  return { record, events: await historyOf(runtime, name) };
}

beforeAll(async () => {
  runtime = await startTestRuntime({
    flows: FLOW,
    retryIntervalMs: 20,
    env: { DEFAULT_PHONE_COUNTRY_CODE: "1" },
  });
});
afterAll(async () => {
  await runtime?.stop();
});
afterEach(async () => {
  await clearScripts(runtime, "meta", "brevo");
});

describe("Committed: a Purchase event and the property email, in parallel", () => {
  it("runs both branches, sends one hashed Purchase and one email; three redeliveries change nothing", async () => {
    const { record, events } = await run(committed("HC-1"), "deal-HC-1-committed");

    expect(record?.status).toBe("SUCCEEDED");
    const states = statesEntered(events);
    expect(states.slice(0, 2)).toEqual(["RouteByStatus", "CommittedActions"]);
    expect(states.slice(2, 4).sort()).toEqual(["SendPropertyEmail", "SendPurchase"]);
    expect(states.slice(4)).toEqual(["CheckCommittedActions", "Done"]);
    expect(lambdaFailures(events)).toEqual([]);

    const [purchase, ...more] = capiEventsFor(runtime, "HC-1");
    expect(more).toEqual([]);
    expect(purchase).toMatchObject({
      event_name: "Purchase",
      event_id: "deal:HC-1:committed",
      action_source: "system_generated",
      user_data: {
        em: sha256Hex("valery.oconnor@example.com"),
        ph: sha256Hex("15035550147"),
        fn: sha256Hex("valéry"),
        ln: sha256Hex("oconnorsmith"),
        external_id: sha256Hex("c-55012"),
      },
      custom_data: { value: 485000, currency: "USD" },
    });
    expect(Math.abs(Number(purchase?.event_time) - Date.now() / 1000)).toBeLessThan(60);
    const [email, ...moreEmails] = emailsFor(runtime, "HC-1");
    expect(moreEmails).toEqual([]);
    expect(email?.body).toMatchObject({
      to: [{ email: "Valery.OConnor@Example.com", name: "Valéry O'Connor-Smith" }],
      subject: "Your property: 12 Harbor Lane, Portland, OR 97201",
    });

    for (const event of ["deal_updated", "deal_created", "deal_updated"]) {
      const again = await postDeal(runtime, committed("HC-1"), { "x-event": event });
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ status: "duplicate", dealId: "HC-1" });
    }
    expect(capiAttemptsFor(runtime, "HC-1")).toHaveLength(1);
    expect(emailsFor(runtime, "HC-1")).toHaveLength(1);
  });

  it("a CAPI 5xx while the email succeeds: the email is sent, the Purchase branch retries and is caught alone", async () => {
    await failNext(runtime, "meta", { status: 503, body: { error: "upstream" }, times: 7, path: CAPI_PATH });
    const { record, events } = await run(committed("HC-2"), "deal-HC-2-committed");

    expect(record?.status).toBe("FAILED");
    expect(record?.error).toBe("CommittedActionsFailed");
    expect(record?.cause).toMatch(/^failed branches: purchase-event\. purchase-event: .*ServiceUnavailable/);
    expect(record?.cause).toMatch(/meta is unavailable \(HTTP 503\)/);
    // One first attempt and six retries, then the branch's own Catch; the email branch ran to its end meanwhile.
    expect(lambdaFailures(events)).toEqual(Array(7).fill("ServiceUnavailable"));
    expect(statesEntered(events)).toEqual(
      expect.arrayContaining(["SendPurchase", "PurchaseNotSent", "SendPropertyEmail", "PurchaseEventFailed"]),
    );
    expect(statesEntered(events)).not.toContain("PropertyEmailNotSent");
    expect(statesEntered(events).at(-1)).toBe("CommittedActionsFailed");
    expect(outputOf(events, "SendPropertyEmail")).toMatchObject({ ok: true, status: "sent" });
    expect(outputOf(events, "PurchaseNotSent")).toMatchObject({
      ok: false,
      action: "purchase-event",
      error: { Error: "ServiceUnavailable" },
    });
    expect(emailsFor(runtime, "HC-2")).toHaveLength(1);
    expect(capiEventsFor(runtime, "HC-2")).toHaveLength(0);

    // RedriveExecution (the local engine restarts the Parallel): the email branch finds its marker, the Purchase goes once.
    await sfnApi(runtime, "RedriveExecution", {
      executionArn: engineOf(runtime).arnOf("deal-HC-2-committed"),
    });
    const redriven = await engineOf(runtime).settled("deal-HC-2-committed");
    expect(redriven?.status).toBe("SUCCEEDED");
    const after = await historyOf(runtime, "deal-HC-2-committed");
    expect(after.some((event) => event.type === "ExecutionRedriven")).toBe(true);
    expect(outputOf(after, "SendPropertyEmail")).toMatchObject({ ok: true, status: "already-sent" });
    expect(outputOf(after, "SendPurchase")).toMatchObject({ ok: true, status: "sent" });
    expect(emailsFor(runtime, "HC-2")).toHaveLength(1);
    expect(capiEventsFor(runtime, "HC-2")).toHaveLength(1);

    // Replay: a new execution with the same input repeats nothing.
    const first = JSON.parse(
      after.find((event) => event.type === "ExecutionStarted")?.executionStartedEventDetails?.input ?? "{}",
    );
    const replay = replayExecutionName("deal-HC-2-committed", Date.now());
    await sfnApi(runtime, "StartExecution", {
      stateMachineArn: engineOf(runtime).stateMachineArn,
      name: replay,
      input: JSON.stringify({ ...first, replayOf: "deal-HC-2-committed" }),
    });
    expect((await engineOf(runtime).settled(replay))?.status).toBe("SUCCEEDED");
    const replayed = await historyOf(runtime, replay);
    expect(outputOf(replayed, "SendPurchase")).toMatchObject({ status: "already-sent" });
    expect(outputOf(replayed, "SendPropertyEmail")).toMatchObject({ status: "already-sent" });
    expect(capiAttemptsFor(runtime, "HC-2").filter((request) => !request.scripted)).toHaveLength(1);
    expect(emailsFor(runtime, "HC-2")).toHaveLength(1);
  });

  it("an expired token (Graph code 190) is not retried: caught at once, the email still goes", async () => {
    await failNext(runtime, "meta", {
      status: 400,
      body: graphError(190, "Error validating access token"),
      path: CAPI_PATH,
    });
    const { record, events } = await run(committed("HC-3"), "deal-HC-3-committed");

    expect(record?.error).toBe("CommittedActionsFailed");
    expect(record?.cause).toMatch(/ServiceRejected.*code 190.*access token is invalid or expired/);
    expect(lambdaFailures(events)).toEqual(["ServiceRejected"]);
    expect(emailsFor(runtime, "HC-3")).toHaveLength(1);
  });

  it("both branches failing: one Fail naming both, each with its cause", async () => {
    await failNext(runtime, "meta", { status: 400, body: graphError(190), path: CAPI_PATH });
    await failNext(runtime, "brevo", {
      status: 401,
      body: { code: "unauthorized", message: "Key not found" },
      path: EMAIL_PATH,
    });
    const { record, events } = await run(committed("HC-4"), "deal-HC-4-committed");

    expect(record?.error).toBe("CommittedActionsFailed");
    expect(record?.cause).toMatch(
      /^failed branches: purchase-event, property-email\. purchase-event: .*ServiceRejected.* property-email: .*brevo rejected the call/,
    );
    expect(statesEntered(events)).toContain("BothActionsFailed");
    expect(lambdaFailures(events).sort()).toEqual(["ServiceRejected", "ServiceRejected"]);
  });

  it("Brevo rate limiting is retried (interval from the ASL), then the email goes once", async () => {
    await failNext(runtime, "brevo", {
      status: 429,
      headers: { "x-sib-ratelimit-reset": "1" },
      body: { code: "too_many_requests", message: "Too many requests" },
      times: 2,
      path: EMAIL_PATH,
    });
    const { record, events } = await run(committed("HC-5"), "deal-HC-5-committed");

    expect(record?.status).toBe("SUCCEEDED");
    expect(lambdaFailures(events)).toEqual(["ServiceRateLimited", "ServiceRateLimited"]);
    expect(emailsFor(runtime, "HC-5")).toHaveLength(1);
    expect(capiEventsFor(runtime, "HC-5")).toHaveLength(1);
  });
});

describe("Qualified: one Lead event", () => {
  it("reports a Lead and sends no email", async () => {
    const { record, events } = await run(qualified("HQ-1"), "deal-HQ-1-qualified");

    expect(record?.status).toBe("SUCCEEDED");
    expect(statesEntered(events)).toEqual(["RouteByStatus", "ReportLead", "Done"]);
    const [lead, ...more] = capiEventsFor(runtime, "HQ-1");
    expect(more).toEqual([]);
    expect(lead).toMatchObject({
      event_name: "Lead",
      event_id: "deal:HQ-1:qualified",
      user_data: { em: sha256Hex("valery.oconnor@example.com"), ph: sha256Hex("15035550147") },
      custom_data: { value: 485000, currency: "USD" },
    });
    expect(outputOf(events, "ReportLead")).toMatchObject({ leadEvent: { ok: true, status: "sent" } });
    expect(emailsFor(runtime, "HQ-1", "qualified")).toHaveLength(0);
  });

  it("Graph throttling (code 4) is retried as ServiceRateLimited, then the Lead goes once", async () => {
    await failNext(runtime, "meta", {
      status: 400,
      body: graphError(4, "(#4) Application request limit reached"),
      times: 2,
      path: CAPI_PATH,
    });
    const { record, events } = await run(qualified("HQ-2"), "deal-HQ-2-qualified");

    expect(record?.status).toBe("SUCCEEDED");
    expect(lambdaFailures(events)).toEqual(["ServiceRateLimited", "ServiceRateLimited"]);
    expect(capiEventsFor(runtime, "HQ-2")).toHaveLength(1);
  });

  it("a bad token ends in LeadEventRejected after one attempt", async () => {
    await failNext(runtime, "meta", { status: 400, body: graphError(190), path: CAPI_PATH });
    const { record, events } = await run(qualified("HQ-3"), "deal-HQ-3-qualified");

    expect(record?.error).toBe("LeadEventRejected");
    expect(statesEntered(events)).toEqual([
      "RouteByStatus",
      "ReportLead",
      "LeadEventRejectedHasCause",
      "LeadEventRejected",
    ]);
    expect(lambdaFailures(events)).toEqual(["ServiceRejected"]);
  });

  it("a transient failure that outlasts the retries ends in LeadEventFailed", async () => {
    await failNext(runtime, "meta", {
      status: 400,
      body: graphError(2, "(#2) Service temporarily unavailable"),
      times: 7,
      path: CAPI_PATH,
    });
    const { record, events } = await run(qualified("HQ-4"), "deal-HQ-4-qualified");

    expect(record?.error).toBe("LeadEventFailed");
    expect(lambdaFailures(events)).toEqual(Array(7).fill("ServiceUnavailable"));
    expect(capiEventsFor(runtime, "HQ-4")).toHaveLength(0);
  });
});

describe("any other stage: no action", () => {
  it("succeeds through NoAction, which the history shows, and calls no vendor", async () => {
    const body = dealBody("deal-prospecting", (data) => {
      data.dealId = "HN-1";
      data.dealDetails.status = "Closed Lost";
    });
    const { record, events } = await run(body, "deal-HN-1-closed_lost");

    expect(record?.status).toBe("SUCCEEDED");
    expect(statesEntered(events)).toEqual(["RouteByStatus", "NoAction", "Done"]);
    expect(outputOf(events, "NoAction")).toMatchObject({
      status: "closed lost",
      outcome: { action: "none", reason: "no action for this stage" },
    });
    expect(capiAttemptsFor(runtime, "HN-1")).toEqual([]);
    expect(lambdaFailures(events)).toEqual([]);
    expect(events.filter((event) => event.type === "LambdaFunctionScheduled")).toEqual([]);
  });
});

describe("a missing credential skips its action only", () => {
  let bare: Runtime;
  beforeAll(async () => {
    // Brevo pointed at a URL of its own without a key: the email is skipped; Meta is the stand-in.
    bare = await startTestRuntime({
      flows: FLOW,
      retryIntervalMs: 20,
      env: {
        BREVO_BASE_URL: "http://127.0.0.1:9",
        EMAIL_PROVIDER: "brevo",
        EMAIL_FROM: "homes@leadrelay.example",
      },
    });
  });
  afterAll(async () => {
    await bare?.stop();
  });

  it("the Purchase goes, the email is skipped naming BREVO_API_KEY, the execution succeeds", async () => {
    expect((await postDeal(bare, committed("HS-1"))).status).toBe(202);
    const record = await engineOf(bare).settled("deal-HS-1-committed");
    const events = await historyOf(bare, "deal-HS-1-committed");

    expect(record?.status).toBe("SUCCEEDED");
    expect(outputOf(events, "SendPropertyEmail")).toEqual({
      ok: true,
      action: "property-email",
      status: "skipped",
      reason: "BREVO_API_KEY is not set",
    });
    expect(outputOf(events, "SendPurchase")).toMatchObject({ ok: true, status: "sent" });
    expect(capiEventsFor(bare, "HS-1")).toHaveLength(1);
  });
});

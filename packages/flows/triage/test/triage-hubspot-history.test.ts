import { buildTimeline, formatTimeline, type TimelineStep } from "@leadrelay/core";
import { BUDGET_CALLBACK_RESOURCE, configuredDefinition } from "@leadrelay/functions/flow-spec";
import { stateNamed } from "@leadrelay/functions/state-machine";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  contactCreationBatch,
  type DemoContact,
  demoContacts,
  seedDemoContacts,
  signedHubSpotDelivery,
} from "../../../local/src/hubspot-sample";
import type { Runtime } from "../../../local/src/runtime";
import { LOCAL_PORTAL_ID } from "../../../local/src/stand-ins/hubspot";
import { flowHistory, leadBody, post, startTestRuntime } from "../../../local/test/harness";
import { CRM_CHOICES, CRM_STATES } from "../src/crm-branches";
import { triageFlow } from "../src/flow";
import { triageHubSpotProperties } from "../src/hubspot-properties";

/**
 * The HubSpot branch of triage as the CLI and the console read it (its local history through the
 * Step Functions API, then buildTimeline): each state, its attempts, the branch taken for the CRM;
 * and a burst of HubSpot contacts drawing on HubSpot's budget only, never Close's.
 */

const urgent = demoContacts().find((contact) => contact.label === "URGENT_BUYER") as DemoContact;

async function deliver(runtime: Runtime, contacts: readonly DemoContact[]): Promise<string[]> {
  const ids = await seedDemoContacts(
    { baseUrl: runtime.settings.HUBSPOT_BASE_URL as string, token: runtime.settings.HUBSPOT_TOKEN as string },
    triageHubSpotProperties(),
    contacts,
  );
  const { body, headers } = signedHubSpotDelivery(contactCreationBatch(ids), {
    webhookUrl: runtime.webhooks.hubspot as string,
    clientSecret: runtime.settings.HUBSPOT_CLIENT_SECRET as string,
  });
  const answer = await post(runtime.webhooks.hubspot as string, body, headers);
  expect(answer.status).toBe(202);
  return ids.map((id) => `hubspot-${LOCAL_PORTAL_ID}-${id}`);
}

const topLevel = (steps: TimelineStep[]) => steps.filter((step) => !step.branch).map((step) => step.state);
const step = (steps: TimelineStep[], state: string) => steps.find((candidate) => candidate.state === state);

describe("the history of a HubSpot lead (TRIAGE_SOURCES=close,hubspot)", () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startTestRuntime({
      flows: "triage",
      retryIntervalMs: 10,
      env: { TRIAGE_SOURCES: "close,hubspot" },
    });
  });
  afterAll(() => runtime.stop());

  it("ByCrm chose HubSpot's Tasks: a 503 on the contact read retried once, each state in order, the outcome recorded in HubSpot", async () => {
    const script = await fetch(`${runtime.url}/_local/hubspot/_fail`, {
      method: "POST",
      body: JSON.stringify({
        status: 503,
        body: { status: "error", message: "Service Unavailable", category: "SERVICE_UNAVAILABLE" },
        times: 1,
        method: "POST",
        path: "/crm/v3/objects/contacts/batch/read",
      }),
    });
    expect(script.status).toBe(201);
    const [name] = await deliver(runtime, [urgent]);

    const timeline = buildTimeline(await flowHistory(runtime, "triage", name as string));

    expect(timeline).toMatchObject({ status: "succeeded", retries: 1 });
    expect(topLevel(timeline.steps)).toEqual([
      CRM_CHOICES.fetch,
      CRM_STATES.hubspot.fetch,
      "Classify",
      "Route",
      "AlertHumans",
      CRM_CHOICES.record,
      CRM_STATES.hubspot.record,
      "CheckActions",
      "Done",
    ]);
    // Close's Tasks never ran for this lead.
    expect(step(timeline.steps, CRM_STATES.close.fetch)).toBeUndefined();
    expect(step(timeline.steps, CRM_STATES.close.record)).toBeUndefined();
    expect(step(timeline.steps, CRM_CHOICES.fetch)).toMatchObject({ kind: "Choice", status: "done" });
    expect(step(timeline.steps, CRM_CHOICES.record)).toMatchObject({ kind: "Choice", status: "done" });

    const read = step(timeline.steps, CRM_STATES.hubspot.fetch);
    expect(read).toMatchObject({
      kind: "Task",
      status: "done",
      attempts: [
        { number: 1, outcome: "failed", error: "ServiceUnavailable" },
        { number: 2, outcome: "succeeded" },
      ],
    });
    expect(read?.attempts[0]?.cause).toMatch(/hubspot/i);
    expect(JSON.parse(read?.output ?? "{}").lead).toMatchObject({
      name: "Una Okafor",
      company: "Northwind Logistics",
    });
    expect(JSON.parse(step(timeline.steps, "Classify")?.output ?? "{}").triage.label).toBe("URGENT_BUYER");
    expect(step(timeline.steps, "TextOnCall")).toMatchObject({
      status: "done",
      branch: { state: "AlertHumans", kind: "Parallel", index: 0 },
      attempts: [{ number: 1, outcome: "succeeded" }],
    });
    expect(step(timeline.steps, "PostUrgentSlack")).toMatchObject({
      status: "done",
      branch: { state: "AlertHumans", kind: "Parallel", index: 1 },
    });
    const record = step(timeline.steps, CRM_STATES.hubspot.record);
    expect(record).toMatchObject({
      kind: "Task",
      status: "done",
      attempts: [{ number: 1, outcome: "succeeded" }],
    });
    expect(JSON.parse(record?.output ?? "{}").outcome).toMatchObject({
      failed: false,
      crm: { action: "crm", status: "sent" },
      field: { key: "leadrelay_triage_label", value: "URGENT_BUYER" },
    });

    const lines = formatTimeline(timeline).join("\n");
    expect(lines).toMatch(/✓ ByCrm\s+Choice/);
    expect(lines).toMatch(/✓ FetchHubSpotContact\s+Task[^\n]*\n\s+attempt 1 failed: ServiceUnavailable/);
    expect(lines).toMatch(/✓ RecordInHubSpot\s+Task/);
  });

  it("a Close lead on the same stage takes Close's Tasks", async () => {
    const body = JSON.parse(leadBody("lead_HubSpotStageClose01", "Harbor Robotics"));
    body.event.data.description = "Just browsing, send me general info about pricing please";
    expect((await post(runtime.webhookUrl, JSON.stringify(body))).status).toBe(202);
    const timeline = buildTimeline(await flowHistory(runtime, "triage", "lead_HubSpotStageClose01"));
    expect(timeline.status).toBe("succeeded");
    expect(topLevel(timeline.steps)).toEqual([
      CRM_CHOICES.fetch,
      CRM_STATES.close.fetch,
      "Classify",
      "Route",
      "EmailLead",
      CRM_CHOICES.record,
      CRM_STATES.close.record,
      "CheckActions",
      "Done",
    ]);
  });
});

describe("a burst of HubSpot contacts draws on HubSpot's budget, never Close's", () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it("30 contacts with Close's budget at one call an hour: all recorded in HubSpot, no Close call, no wait", async () => {
    const env = {
      TRIAGE_SOURCES: "close,hubspot",
      // A Task that drew on Close's budget would wait an hour: the test would time out.
      CLOSE_RATE_LIMIT: "1/1h",
      HUBSPOT_RATE_LIMIT: "40/1s",
    };
    // Each CRM's Tasks wait for their own vendor's budget.
    const definition = configuredDefinition(triageFlow, env);
    for (const state of [CRM_STATES.hubspot.fetch, CRM_STATES.hubspot.record, CRM_STATES.close.fetch])
      expect(stateNamed(definition, state)?.Resource).toBe(BUDGET_CALLBACK_RESOURCE);
    expect(triageFlow.tasks.FetchHubSpotContactFunctionArn?.calls).toEqual({ hubspot: 1 });
    expect(triageFlow.tasks.RecordInHubSpotFunctionArn?.calls).toEqual({ hubspot: 2 });

    runtime = await startTestRuntime({ flows: "triage", env });
    const contacts = Array.from({ length: 30 }, (_, index) => ({
      label: "TIRE_KICKER",
      properties: {
        ...(demoContacts()[1] as DemoContact).properties,
        firstname: `Kim${index}`,
        email: `kim${index}@burst.example`,
      },
    }));
    const names = await deliver(runtime, contacts);
    const engine = runtime.engines.triage;
    const records = await Promise.all(names.map((name) => engine?.settled(name)));
    expect(records.map((record) => record?.status)).toEqual(names.map(() => "SUCCEEDED"));

    expect(runtime.standIns.close?.requests() ?? []).toEqual([]);
    const hubspot = runtime.standIns.hubspot?.requests() ?? [];
    const notes = hubspot.filter(
      (request) => request.method === "POST" && request.path === "/crm/v3/objects/notes",
    );
    expect(notes).toHaveLength(30);
    expect(hubspot.filter((request) => request.throttled)).toEqual([]);
  }, 120_000);
});

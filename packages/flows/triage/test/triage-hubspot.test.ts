import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hubspotHeaders } from "../../../local/src/hubspot-sample";
import type { Runtime } from "../../../local/src/runtime";
import { flowHistory, post, startTestRuntime } from "../../../local/test/harness";
import { triageHubSpotProperties } from "../src/hubspot-properties";

/**
 * Triage for a HubSpot team on the local runtime (TRIAGE_SOURCES=close,hubspot, no keys): signed
 * contact.creation batches from HubSpot's webhook, the contact read from and recorded in the
 * HubSpot stand-in, the same actions as for Close.
 */

const CLIENT_SECRET = "7d3e2f10-aaaa-bbbb-cccc-0123456789ab";
const PORTAL = 62515;
const APP = 54321;

let runtime: Runtime;
const hubspotUrl = () => runtime.settings.HUBSPOT_BASE_URL as string;
const api = async (method: string, path: string, json?: unknown) => {
  const response = await fetch(`${hubspotUrl()}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${runtime.settings.HUBSPOT_TOKEN}`,
      "content-type": "application/json",
    },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
};
interface StandInState {
  contacts: Array<{ id: string; properties: Record<string, string> }>;
  notes: Array<{ id: string; properties: Record<string, string> }>;
  associations: Array<{ fromType: string; fromId: string; toType: string; toId: string; typeId: number }>;
}
const state = async () => (await api("GET", "/_state")).json as unknown as StandInState;
const notesOf = async (contactId: string) => {
  const crm = await state();
  return crm.associations.filter(
    (a) => a.fromType === "notes" && a.toType === "contacts" && a.toId === contactId && a.typeId === 202,
  );
};

async function createContact(firstname: string, message: string, over: Record<string, string> = {}) {
  const created = await api("POST", "/crm/v3/objects/contacts", {
    properties: {
      firstname,
      lastname: "Doe",
      email: `${firstname.toLowerCase()}@acme.example`,
      company: "Acme",
      phone: "+14155550123",
      message,
      ...over,
    },
  });
  expect(created.status).toBe(201);
  return String(created.json.id);
}

const creation = (objectId: string, over: Record<string, unknown> = {}) => ({
  eventId: 100,
  subscriptionId: 25,
  portalId: PORTAL,
  appId: APP,
  occurredAt: Date.now(),
  subscriptionType: "contact.creation",
  attemptNumber: 0,
  objectId: Number(objectId),
  changeFlag: "CREATED",
  changeSource: "CRM_UI",
  sourceId: "userId:1",
  ...over,
});

/** Signed as HubSpot signs (v3), with the test's client secret unless told. */
const signed = (body: string, options: { secret?: string; timestamp?: number } = {}) =>
  hubspotHeaders(
    options.secret ?? CLIENT_SECRET,
    runtime.webhooks.hubspot as string,
    body,
    options.timestamp ?? Date.now(),
  );

const history = (name: string) => flowHistory(runtime, "triage", name);

beforeAll(async () => {
  runtime = await startTestRuntime({
    flows: "triage",
    retryIntervalMs: 10,
    env: { TRIAGE_SOURCES: "close,hubspot", HUBSPOT_CLIENT_SECRET: CLIENT_SECRET },
  });
  // The stand-in starts where `pnpm leadrelay hubspot setup` leaves a portal: with triage's label
  // property (chosen by TRIAGE_SOURCES=…hubspot), an enumeration of the four labels.
  for (const { type, definition } of triageHubSpotProperties()) {
    const held = await api("GET", `/crm/v3/properties/${type}/${definition.name}`);
    expect(held.status).toBe(200);
    expect(held.json).toMatchObject({
      name: definition.name,
      type: "enumeration",
      options: definition.options,
    });
  }
});
afterAll(() => runtime.stop());

describe("triage from HubSpot (TRIAGE_SOURCES=close,hubspot)", () => {
  it("listens to both Close and HubSpot", () => {
    expect(Object.keys(runtime.webhooks).sort()).toEqual(["close", "hubspot"]);
  });

  it("a signed batch of three contact.creation events: each contact labelled with one note, the urgent one texted and posted", async () => {
    const urgent = await createContact("Una", "We need a quote for 40 licenses by Friday, budget approved");
    const kicker = await createContact(
      "Kim",
      "Just browsing, can you send me some general info about pricing? No rush.",
    );
    const support = await createContact(
      "Sam",
      "I can't log in to my account since yesterday, the password reset email never arrives",
    );
    const body = JSON.stringify([creation(urgent), creation(kicker), creation(support)]);
    const smsBefore = (runtime.standIns.twilio?.requests() ?? []).length;

    const answer = await post(runtime.webhooks.hubspot as string, body, signed(body));
    expect(answer.status).toBe(202);
    expect(answer.json.leadIds).toEqual([urgent, kicker, support].map((id) => `hubspot-${PORTAL}-${id}`));

    const labels: Record<string, string> = {};
    for (const [id, label] of [
      [urgent, "URGENT_BUYER"],
      [kicker, "TIRE_KICKER"],
      [support, "SUPPORT_REQUEST"],
    ] as const) {
      const events = await history(`hubspot-${PORTAL}-${id}`);
      expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
      const contact = (await state()).contacts.find((c) => c.id === id);
      labels[id] = contact?.properties.leadrelay_triage_label ?? "";
      expect(labels[id]).toBe(label);
      const notes = await notesOf(id);
      expect(notes).toHaveLength(1);
      const note = (await state()).notes.find((n) => n.id === notes[0]?.fromId);
      expect(note?.properties.hs_note_body).toContain(label);
    }
    const sms = (runtime.standIns.twilio?.requests() ?? [])
      .filter((r) => r.method === "POST")
      .slice(smsBefore);
    expect(sms).toHaveLength(1);
    const smsText = String((sms[0]?.body as { Body?: string } | undefined)?.Body);
    expect(smsText).toContain("40 licenses");
    expect(smsText).toContain(`https://app.hubspot.com/contacts/${PORTAL}/record/0-1/${urgent}`);
    expect(runtime.slackMessages.map((entry) => entry.message.text)).toContainEqual(
      expect.stringContaining("Urgent buyer"),
    );

    // HubSpot delivers the same batch again: 200, nothing new anywhere.
    const notesBefore = (await state()).notes.length;
    const again = await post(runtime.webhooks.hubspot as string, body, signed(body));
    expect(again.status).toBe(200);
    expect(again.json.status).toBe("duplicate");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await state()).notes.length).toBe(notesBefore);
    expect((runtime.standIns.twilio?.requests() ?? []).filter((r) => r.method === "POST").length).toBe(
      smsBefore + 1,
    );
  });

  it("a bad or stale signature gets 401 and an import starts nothing (200)", async () => {
    const contact = await createContact("Ivy", "We need 10 seats today");
    const body = JSON.stringify([creation(contact)]);
    expect(
      (await post(runtime.webhooks.hubspot as string, body, signed(body, { secret: "wrong" }))).status,
    ).toBe(401);
    const stale = signed(body, { timestamp: Date.now() - 6 * 60_000 });
    expect((await post(runtime.webhooks.hubspot as string, body, stale)).status).toBe(401);
    const imported = JSON.stringify([creation(contact, { changeSource: "IMPORT" })]);
    const answer = await post(runtime.webhooks.hubspot as string, imported, signed(imported));
    expect(answer.status).toBe(200);
    expect(answer.json.status).toBe("ignored");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await runtime.engines.triage?.settled(`hubspot-${PORTAL}-${contact}`)).toBeUndefined();
    expect(
      (await state()).contacts.find((c) => c.id === contact)?.properties.leadrelay_triage_label ?? null,
    ).toBeNull();
  });

  it("a contact deleted before triage reads it fails in LeadNotFetched, naming the contact", async () => {
    const body = JSON.stringify([creation("999999")]);
    expect((await post(runtime.webhooks.hubspot as string, body, signed(body))).status).toBe(202);
    const events = await history(`hubspot-${PORTAL}-999999`);
    expect(events.at(-1)?.type).toBe("ExecutionFailed");
    expect(JSON.stringify(events)).toContain("LeadNotFetched");
  });
});

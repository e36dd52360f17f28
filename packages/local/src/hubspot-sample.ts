import { readFileSync } from "node:fs";
import {
  HUBSPOT_SIGNATURE_HEADER,
  HUBSPOT_TIMESTAMP_HEADER,
  type HubSpotObjectType,
  type HubSpotPropertyDefinition,
  signHubSpotV3,
} from "@leadrelay/core";
import { LOCAL_PORTAL_ID } from "./stand-ins/hubspot";

/**
 * HubSpot webhooks as HubSpot sends them, for `pnpm leadrelay send --hubspot` and the demo: a batch
 * of `contact.creation` events signed with the v3 signature, and triage's demo contacts (one per
 * label: packages/flows/triage/fixtures/hubspot-contacts.json) seeded in the HubSpot stand-in first,
 * since HubSpot only tells of a contact that exists.
 */

export const HUBSPOT_DEMO_CONTACTS = new URL(
  "../../flows/triage/fixtures/hubspot-contacts.json",
  import.meta.url,
).pathname;
/** The private app the demo's events say they come from (not leadrelay's own: its contacts are not leads). */
const DEMO_APP_ID = 1_000_201;

export class HubSpotSampleError extends Error {
  override readonly name = "HubSpotSampleError";
}

export interface DemoContact {
  /** The label triage should give its message (what the demo shows). */
  label: string;
  properties: Record<string, string>;
}

export function demoContacts(file = HUBSPOT_DEMO_CONTACTS): DemoContact[] {
  return JSON.parse(readFileSync(file, "utf8")) as DemoContact[];
}

/** The headers HubSpot sends with `body` posted to `uri` (the URL as configured in the app) at `now`. */
export function hubspotHeaders(
  clientSecret: string,
  uri: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = String(now);
  return {
    "content-type": "application/json",
    [HUBSPOT_TIMESTAMP_HEADER]: timestamp,
    [HUBSPOT_SIGNATURE_HEADER]: signHubSpotV3({
      clientSecret,
      method: "POST",
      uri,
      rawBody: body,
      timestamp,
    }),
  };
}

/** One delivery of `contact.creation` events, one per contact, as a person creating them in HubSpot causes. */
export function contactCreationBatch(
  contactIds: readonly string[],
  now = Date.now(),
  portalId = LOCAL_PORTAL_ID,
) {
  return JSON.stringify(
    contactIds.map((id, index) => ({
      eventId: now * 10 + index,
      subscriptionId: 1,
      portalId,
      appId: DEMO_APP_ID,
      occurredAt: now,
      subscriptionType: "contact.creation",
      attemptNumber: 0,
      objectId: Number(id),
      changeFlag: "CREATED",
      changeSource: "CRM_UI",
      sourceId: "userId:1",
    })),
  );
}

/** A signed delivery: its body, and the URI it was signed for (HUBSPOT_WEBHOOK_URL when set, as the source checks). */
export function signedHubSpotDelivery(
  body: string,
  target: { webhookUrl: string; clientSecret: string; publicUrl?: string },
  now = Date.now(),
) {
  return {
    body,
    headers: hubspotHeaders(target.clientSecret, target.publicUrl || target.webhookUrl, body, now),
  };
}

async function hubspot(baseUrl: string, token: string, method: string, path: string, json: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(json),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/**
 * The demo contacts in the HubSpot stand-in (upserted by email: a second demo reuses them), with the
 * properties the chosen flows write (what `pnpm leadrelay hubspot setup` creates; one that exists is
 * kept). Their ids, in the fixture's order.
 */
export async function seedDemoContacts(
  hubspotBase: { baseUrl: string; token: string },
  properties: ReadonlyArray<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }>,
  contacts: readonly DemoContact[] = demoContacts(),
): Promise<string[]> {
  const { baseUrl, token } = hubspotBase;
  for (const { type, definition } of properties) {
    const created = await hubspot(baseUrl, token, "POST", `/crm/v3/properties/${type}`, definition);
    if (created.status !== 201 && created.status !== 409) {
      throw new HubSpotSampleError(
        `HubSpot refused the property ${definition.name} (${created.status}): ${JSON.stringify(created.json)}`,
      );
    }
  }
  const upserted = await hubspot(baseUrl, token, "POST", "/crm/v3/objects/contacts/batch/upsert", {
    inputs: contacts.map((contact) => ({
      idProperty: "email",
      id: contact.properties.email,
      properties: contact.properties,
    })),
  });
  const results = (upserted.json.results ?? []) as Array<{
    id?: string;
    properties?: Record<string, string>;
  }>;
  if (upserted.status >= 300) {
    throw new HubSpotSampleError(
      `HubSpot refused the demo contacts (${upserted.status}): ${JSON.stringify(upserted.json)}`,
    );
  }
  return contacts.map((contact) => {
    const id = results.find((result) => result.properties?.email === contact.properties.email)?.id;
    if (!id) throw new HubSpotSampleError(`HubSpot did not return the contact ${contact.properties.email}`);
    return String(id);
  });
}

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { META_SIGNATURE_HEADER, signMetaPayload } from "@leadrelay/core";
import { FLOWS, hubspotPropertiesOf, sourcesOf } from "../../flows/registry";
import {
  contactCreationBatch,
  demoContacts,
  seedDemoContacts,
  signedHubSpotDelivery,
} from "./hubspot-sample";
import type { Runtime } from "./runtime";
import { closeHeaders } from "./sample-request";

/**
 * One event of every flow the runtime runs, as each sender would deliver it: the Close leads of
 * `demo/close/` (one per triage label, and the ones that are not new leads), with hubspot in
 * TRIAGE_SOURCES three HubSpot contacts (one per label, seeded in the HubSpot stand-in), one deal followed from
 * Qualified to Committed, one Meta lead-ad lead, one LinkedIn reply. The demo sends them; the
 * console and CLI tests use the same set.
 */

export const DEMO_CLOSE_DIR = new URL("../demo/close/", import.meta.url).pathname;
const DEAL_FIXTURES = new URL("../../flows/deal-stage/fixtures/", import.meta.url).pathname;
const LGM_REPLY = new URL("../../flows/linkedin-replies/fixtures/lgm/reply-flat.json", import.meta.url)
  .pathname;
/** A lead the meta stand-in serves (demo/stand-ins/meta/leads/). */
export const DEMO_META_LEAD = "12345678901234567";

export interface SentEvent {
  flowIds: string[];
  /** What was sent, for a person: a file name or a description. */
  what: string;
  status: number;
  /** Executions it started (their names), when accepted. */
  names: string[];
  answer: string;
}

const compact = (text: string) => JSON.stringify(JSON.parse(text));

async function post(url: string, body: string, headers: Record<string, string>) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // an answer that is not JSON is shown as text
  }
  return { status: response.status, json, text };
}

/** The executions an accepted delivery started (the answer's `executions`), by name. */
function startedNames(json: Record<string, unknown>): string[] {
  if (json.status !== "accepted" || !Array.isArray(json.executions)) return [];
  const names = json.executions
    .map((item) => (item as { name?: unknown }).name)
    .filter((name) => typeof name === "string");
  return [...new Set(names as string[])];
}

const subscribed = (runtime: Runtime, source: string) =>
  runtime.flows.filter((flow) => flow.source === source).map((flow) => flow.id);

/** The Close webhooks of `demo/close/`, in name order (new leads and the deliveries Close also sends). */
export async function sendCloseEvents(runtime: Runtime, files = closeFixtureFiles()): Promise<SentEvent[]> {
  const sent: SentEvent[] = [];
  for (const file of files) {
    const body = compact(readFileSync(join(DEMO_CLOSE_DIR, file), "utf8"));
    const answer = await post(runtime.webhookUrl, body, closeHeaders(runtime.secretHex, body));
    sent.push({
      flowIds: subscribed(runtime, "close"),
      what: file,
      status: answer.status,
      names: startedNames(answer.json),
      answer: String(answer.json.status ?? answer.json.error ?? answer.text),
    });
  }
  return sent;
}

export function closeFixtureFiles(): string[] {
  return readdirSync(DEMO_CLOSE_DIR)
    .filter((file) => file.endsWith(".json"))
    .sort();
}

/**
 * Triage's three HubSpot demo contacts (one per label) created in the HubSpot stand-in, then one
 * signed `contact.creation` batch for them; nothing when the runtime does not listen to HubSpot
 * (TRIAGE_SOURCES without hubspot) or talks to a real HubSpot (HUBSPOT_BASE_URL set: the demo never
 * creates contacts in a real portal).
 */
export async function sendHubSpotEvents(runtime: Runtime): Promise<SentEvent[]> {
  const url = runtime.webhooks.hubspot;
  const secret = runtime.settings.HUBSPOT_CLIENT_SECRET;
  const base = runtime.settings.HUBSPOT_BASE_URL;
  const token = runtime.settings.HUBSPOT_TOKEN;
  if (!url || !secret || !runtime.standIns.hubspot || !base || !token) return [];
  const contacts = demoContacts();
  const chosen = FLOWS.filter((flow) => runtime.flows.some((running) => running.id === flow.id));
  const ids = await seedDemoContacts(
    { baseUrl: base, token },
    hubspotPropertiesOf(chosen, runtime.settings),
    contacts,
  );
  const { body, headers } = signedHubSpotDelivery(contactCreationBatch(ids), {
    webhookUrl: url,
    clientSecret: secret,
    publicUrl: runtime.settings.HUBSPOT_WEBHOOK_URL,
  });
  const answer = await post(url, body, headers);
  return [
    {
      flowIds:
        sourcesOf(chosen, runtime.settings)
          .find(({ source }) => source.id === "hubspot")
          ?.flows.map((flow) => flow.id) ?? [],
      what: `HubSpot contacts ${contacts.map((contact) => `${contact.properties.firstname} (${contact.label})`).join(", ")}`,
      status: answer.status,
      names: startedNames(answer.json),
      answer: String(answer.json.status ?? answer.json.error ?? answer.text),
    },
  ];
}

/** One deal, Qualified then Committed: its two executions share one page (`deal-{dealId}`). */
export async function sendDealEvents(runtime: Runtime): Promise<SentEvent[]> {
  const url = runtime.webhooks.crm;
  if (!url) return [];
  const sent: SentEvent[] = [];
  for (const file of ["deal-qualified.json", "deal-committed.json"]) {
    const body = compact(readFileSync(join(DEAL_FIXTURES, file), "utf8"));
    const answer = await post(url, body, {
      "content-type": "application/json",
      "x-api-key": runtime.settings.CRM_WEBHOOK_API_KEY ?? "",
      "x-event": "deal_updated",
    });
    sent.push({
      flowIds: subscribed(runtime, "crm"),
      what: file,
      status: answer.status,
      names: startedNames(answer.json),
      answer: String(answer.json.status ?? answer.json.error ?? answer.text),
    });
  }
  return sent;
}

/** One lead-ad lead (a leadgen change), signed as Meta signs it. */
export async function sendMetaEvent(runtime: Runtime, leadgenId = DEMO_META_LEAD): Promise<SentEvent[]> {
  const url = runtime.webhooks.meta;
  const secret = runtime.settings.META_APP_SECRET;
  if (!url || !secret) return [];
  // Written as text: a leadgen id does not fit a JS number.
  const body = `{"object":"page","entry":[{"id":153125381133,"time":1763647391,"changes":[{"field":"leadgen","value":{"leadgen_id":${leadgenId},"page_id":153125381133,"form_id":447333180259108,"ad_id":23849853425890183,"created_time":1763647391}}]}]}`;
  const answer = await post(url, body, {
    "content-type": "application/json",
    [META_SIGNATURE_HEADER]: signMetaPayload(secret, body),
  });
  return [
    {
      flowIds: subscribed(runtime, "meta"),
      what: `Meta lead ${leadgenId}`,
      status: answer.status,
      names: startedNames(answer.json),
      answer: String(answer.json.status ?? answer.json.error ?? answer.text),
    },
  ];
}

/** One LinkedIn reply from La Growth Machine. */
export async function sendLinkedInReply(runtime: Runtime): Promise<SentEvent[]> {
  const url = runtime.webhooks.lgm;
  const token = runtime.settings.LGM_WEBHOOK_TOKEN;
  if (!url || !token) return [];
  const body = compact(readFileSync(LGM_REPLY, "utf8"));
  const answer = await post(url.replace("{token}", encodeURIComponent(token)), body, {
    "content-type": "application/json",
  });
  return [
    {
      flowIds: subscribed(runtime, "lgm"),
      what: "LinkedIn reply (reply-flat.json)",
      status: answer.status,
      names: startedNames(answer.json),
      answer: String(answer.json.status ?? answer.json.error ?? answer.text),
    },
  ];
}

/** Every flow's demo events, Close first. */
export async function sendDemoEvents(runtime: Runtime): Promise<SentEvent[]> {
  return [
    ...(await sendCloseEvents(runtime)),
    ...(await sendHubSpotEvents(runtime)),
    ...(await sendDealEvents(runtime)),
    ...(await sendMetaEvent(runtime)),
    ...(await sendLinkedInReply(runtime)),
  ];
}

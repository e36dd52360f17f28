import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { LOCAL_META_APP_ID, LOCAL_META_PAGE_ID, metaAppsReply } from "./meta-apps";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/**
 * Meta's Graph API as the flows use it. `GET /{version}/{leadgen_id}?fields=…` answers a lead in
 * Graph's shape: from `<LEADRELAY_STANDIN_DIR>/meta/leads/{id}.json` when present, otherwise one
 * derived from the id (the same id always gives the same person). `POST /{version}/{pixel_id}/events`
 * is the Conversions API. Both need an access token (`access_token` or `Authorization: Bearer`);
 * refusals use Graph's error envelope, with HTTP 400 as Graph sends most of them.
 */

type Json = Record<string, unknown>;

const VERSION = /^v\d+\.\d+$/;
const LEAD_PATH = /^\/(v[^/]+)\/(\d{1,20})\/?$/;
const EVENTS_PATH = /^\/(v[^/]+)\/([^/]+)\/events\/?$/;
/** The fields a lead object has (LeadgenLead); asking for another is a Graph error. */
const LEAD_FIELDS = new Set([
  "id",
  "created_time",
  "ad_id",
  "ad_name",
  "adset_id",
  "adset_name",
  "campaign_id",
  "campaign_name",
  "form_id",
  "field_data",
  "is_organic",
  "platform",
  "custom_disclaimer_responses",
  "partner_name",
  "retailer_item_id",
  "home_listing",
]);
/** Without `fields`, Graph answers a minimal set. */
const DEFAULT_LEAD_FIELDS = ["id", "created_time"];
const MAX_EVENTS_PER_REQUEST = 1000;
const EVENT_MAX_AGE_SECONDS = 7 * 24 * 3600;

const FIRST_NAMES = ["Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farah", "Gustavo", "Hana", "Ivo", "Jun"];
const LAST_NAMES = [
  "Lindqvist",
  "Okafor",
  "Moreau",
  "Tanaka",
  "Novak",
  "Rossi",
  "Haddad",
  "Keller",
  "Silva",
  "Park",
];
const PLANS = ["monthly", "annual", "family"];

export const LOCAL_PIXEL_ID = "1234567890";

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function graphError(
  message: string,
  code: number,
  extra: { type?: string; subcode?: number; status?: number } = {},
): StandInReply {
  return {
    status: extra.status ?? 400,
    ...(code === 190 ? { headers: { "www-authenticate": 'OAuth "Facebook Platform" "invalid_token"' } } : {}),
    json: {
      error: {
        message,
        type: extra.type ?? (code === 190 ? "OAuthException" : "GraphMethodException"),
        code,
        ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
        fbtrace_id: fbtraceId(),
      },
    },
  };
}

const fbtraceId = () => `A${randomBytes(15).toString("base64url")}`;

function tokenOf(request: StandInRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
  const body =
    isObject(request.json) && typeof request.json.access_token === "string"
      ? request.json.access_token
      : undefined;
  return request.query.get("access_token") || bearer || body || undefined;
}

const digitsFrom = (hash: Buffer, offset: number, count: number) =>
  [...hash.subarray(offset, offset + count)].map((byte) => String(byte % 10)).join("");

/** Graph's time format: `2026-02-03T16:16:51+0000`. */
const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "+0000");

/** The same id always gives the same lead: a person, their answers and their ad's ids. */
export function derivedLead(leadgenId: string): Json {
  const hash = createHash("sha256").update(`meta-lead:${leadgenId}`).digest();
  const first = FIRST_NAMES[(hash[0] ?? 0) % FIRST_NAMES.length] as string;
  const last = LAST_NAMES[(hash[1] ?? 0) % LAST_NAMES.length] as string;
  const plan = PLANS[(hash[2] ?? 0) % PLANS.length] as string;
  const created = Date.UTC(2026, 0, 1) + (hash.readUInt32BE(4) % (180 * 24 * 3600)) * 1000;
  return {
    id: leadgenId,
    created_time: graphTime(created),
    ad_id: `238${digitsFrom(hash, 8, 14)}`,
    adset_id: `239${digitsFrom(hash, 10, 14)}`,
    campaign_id: `237${digitsFrom(hash, 12, 14)}`,
    form_id: `44${digitsFrom(hash, 14, 13)}`,
    is_organic: false,
    platform: (hash[3] ?? 0) % 2 === 0 ? "fb" : "ig",
    field_data: [
      { name: "full_name", values: [`${first} ${last}`] },
      { name: "email", values: [`${first}.${last}.${leadgenId.slice(-4)}@example.com`.toLowerCase()] },
      { name: "phone_number", values: [`+1555${digitsFrom(hash, 20, 7)}`] },
      { name: "which_plan_interests_you", values: [plan] },
    ],
  };
}

async function leadFromFile(context: StandInContext, leadgenId: string): Promise<Json | undefined> {
  if (!context.dataDir) return undefined;
  let text: string;
  try {
    text = await readFile(join(context.dataDir, "leads", `${leadgenId}.json`), "utf8");
  } catch {
    return undefined;
  }
  const lead = JSON.parse(text) as unknown;
  if (!isObject(lead)) throw new Error(`meta/leads/${leadgenId}.json is not a JSON object`);
  return { ...derivedLead(leadgenId), ...lead, id: leadgenId };
}

async function readLead(
  request: StandInRequest,
  context: StandInContext,
  leadgenId: string,
): Promise<StandInReply> {
  const fields = (request.query.get("fields") ?? DEFAULT_LEAD_FIELDS.join(","))
    .split(",")
    .map((field) => field.trim())
    .filter(Boolean);
  const unknown = fields.find((field) => !LEAD_FIELDS.has(field));
  if (unknown) {
    return graphError(
      `(#100) Tried accessing nonexisting field (${unknown.slice(0, 60)}) on node type (LeadgenLead)`,
      100,
    );
  }
  const lead = (await leadFromFile(context, leadgenId)) ?? derivedLead(leadgenId);
  const answer: Json = { id: leadgenId };
  for (const field of fields) if (field in lead) answer[field] = lead[field];
  return { status: 200, json: answer };
}

/** The body's `data`: a JSON array, or (form-encoded, as in Meta's curl examples) its JSON text. */
function eventsOf(request: StandInRequest): unknown {
  const data = isObject(request.json) ? request.json.data : undefined;
  if (typeof data !== "string") return data;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** Why Meta would refuse the whole batch (one bad event rejects all), or undefined. */
function eventProblem(event: unknown, index: number, nowSeconds: number): string | undefined {
  if (!isObject(event)) return `data[${index}] must be an object`;
  if (typeof event.event_name !== "string" || event.event_name === "")
    return `data[${index}].event_name is required`;
  if (typeof event.event_time !== "number" || !Number.isInteger(event.event_time)) {
    return `data[${index}].event_time must be a Unix time in seconds`;
  }
  if (event.event_time < nowSeconds - EVENT_MAX_AGE_SECONDS) {
    return `data[${index}].event_time is more than 7 days in the past`;
  }
  if (typeof event.action_source !== "string" || event.action_source === "") {
    return `data[${index}].action_source is required`;
  }
  if (!isObject(event.user_data)) return `data[${index}].user_data is required`;
  return undefined;
}

function receiveEvents(request: StandInRequest, context: StandInContext, pixelId: string): StandInReply {
  const events = eventsOf(request);
  if (!Array.isArray(events) || events.length === 0) {
    return graphError("(#100) The parameter data is required and must be a non-empty array", 100);
  }
  if (events.length > MAX_EVENTS_PER_REQUEST) {
    return graphError(`(#100) A batch holds at most ${MAX_EVENTS_PER_REQUEST} events`, 100);
  }
  const now = Math.floor(context.now() / 1000);
  for (const [index, event] of events.entries()) {
    const problem = eventProblem(event, index, now);
    if (problem) return graphError(`(#100) Invalid parameter: ${problem}`, 100, { subcode: 2804003 });
  }
  const state = context.state as { capi?: Array<Json> };
  state.capi = [
    ...(state.capi ?? []),
    ...events.map((event) => ({ pixelId, at: new Date(context.now()).toISOString(), event })),
  ];
  context.save();
  return { status: 200, json: { events_received: events.length, messages: [], fbtrace_id: fbtraceId() } };
}

export function metaStandIn(): StandInSpec {
  return {
    slug: "meta",
    title: "Meta Graph API (lead ads, Conversions API)",
    baseUrlVariable: "META_GRAPH_BASE_URL",
    fills: (url) => ({
      META_GRAPH_BASE_URL: url,
      META_PAGE_ACCESS_TOKEN: "local-page-access-token",
      META_ACCESS_TOKEN: "local-conversions-access-token",
      META_PIXEL_ID: LOCAL_PIXEL_ID,
      META_APP_ID: LOCAL_META_APP_ID,
      META_PAGE_ID: LOCAL_META_PAGE_ID,
    }),
    async respond(request, context) {
      const setUp = metaAppsReply(request, context, LOCAL_PIXEL_ID);
      if (setUp) return setUp;
      const lead = LEAD_PATH.exec(request.path);
      const events = EVENTS_PATH.exec(request.path);
      const version = lead?.[1] ?? events?.[1];
      if (!version || (lead ? request.method !== "GET" : request.method !== "POST")) {
        return graphError(`Unsupported ${request.method.toLowerCase()} request.`, 100, { subcode: 33 });
      }
      if (!VERSION.test(version))
        return graphError(`Unknown path components: /${version.slice(0, 20)}`, 2500, {
          type: "OAuthException",
        });
      if (!tokenOf(request)) {
        return graphError("An access token is required to request this resource.", 190, {
          type: "OAuthException",
        });
      }
      if (lead) return readLead(request, context, lead[2] as string);
      return receiveEvents(request, context, events?.[2] as string);
    },
  };
}

import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  keySegment,
  rawConversationPrefix,
  SOURCE_PREFIX,
} from "../../../flows/linkedin-replies/src/domain/keys";
import {
  classifyLgmDelivery,
  type LgmReplyFields,
} from "../../../flows/linkedin-replies/src/domain/lgm-payload";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

export const LOCAL_LGM_API_KEY = "local-lgm-key";
const PAGE_SIZE = 20;
/** How many stored deliveries a lead search reads at most (a local demo holds a handful). */
const MAX_SCANNED = 1000;

type Message = Record<string, unknown>;

/** A delivery's reply in the vocabulary of LGM's API (what `GET /conversations/{id}/messages` lists). */
function apiMessage(fields: LgmReplyFields): Message {
  return {
    ...(fields.messageId ? { id: fields.messageId } : {}),
    conversationId: fields.conversationId,
    leadId: fields.leadId,
    text: fields.text,
    status: "RECEIVED",
    type: fields.channel ?? "LINKEDIN",
    createdAt: fields.sentAt,
  };
}

function apiLead(fields: LgmReplyFields): Message {
  return {
    id: fields.leadId,
    firstname: fields.firstname,
    lastname: fields.lastname,
    proEmail: fields.email,
    linkedinUrl: fields.linkedinUrl,
    campaignId: fields.campaignId,
  };
}

async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch {
    return undefined;
  }
}

/** Deliveries already read, by key: stored once and never changed, so each is read and parsed once. */
type DeliveryCache = Map<string, LgmReplyFields | null>;

/**
 * The raw deliveries the runtime stored under a prefix, read back through the local S3's
 * ListObjectsV2 (the runtime serves it on the same host as the stand-in) and the bucket's store.
 */
async function storedDeliveries(
  request: StandInRequest,
  context: StandInContext,
  bucket: string,
  prefix: string,
  cache: DeliveryCache,
): Promise<LgmReplyFields[]> {
  const host = request.headers.host;
  if (!host || !/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(host)) return [];
  const url = `http://${host}/_aws/s3/${bucket}?list-type=2&max-keys=${MAX_SCANNED}&prefix=${encodeURIComponent(prefix)}`;
  const listing = await fetch(url).then((response) => (response.ok ? response.text() : ""));
  const keys = [...listing.matchAll(/<Key>([^<]*)<\/Key>/g)].map((match) =>
    (match[1] ?? "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&"),
  );
  const replies: LgmReplyFields[] = [];
  for (const key of keys) {
    if (!cache.has(key)) {
      const body = await context.store.get(key);
      const delivery = body === undefined ? undefined : classifyLgmDelivery(body);
      cache.set(key, delivery?.kind === "reply" ? delivery.fields : null);
    }
    const fields = cache.get(key);
    if (fields) replies.push(fields);
  }
  return replies;
}

async function conversationMessages(
  request: StandInRequest,
  context: StandInContext,
  bucket: string,
  cache: DeliveryCache,
  conversationId: string,
): Promise<StandInReply> {
  // LGM counts pages from 0 (its own n8n node reads `page=0,1,2…`); no page is the first one.
  const asked = Number(request.query.get("page") ?? 0);
  const page = Number.isSafeInteger(asked) && asked > 0 ? asked : 0;
  let messages: Message[] | undefined;
  if (context.dataDir) {
    const file = await readJsonFile(
      join(context.dataDir, "conversations", `${keySegment(conversationId)}.json`),
    );
    const list = Array.isArray(file) ? file : (file as { data?: unknown } | undefined)?.data;
    if (Array.isArray(list)) messages = list as Message[];
  }
  if (messages === undefined) {
    const replies = await storedDeliveries(
      request,
      context,
      bucket,
      rawConversationPrefix(conversationId),
      cache,
    );
    const ofConversation = replies.filter((reply) => reply.conversationId === conversationId);
    if (ofConversation.length > 0) {
      messages = ofConversation
        .sort((a, b) => (a.sentAt ?? "").localeCompare(b.sentAt ?? ""))
        .map(apiMessage);
    }
  }
  if (messages === undefined) return { status: 404, json: { error: "Conversation not found" } };
  return {
    status: 200,
    json: { data: messages.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE), total: messages.length, page },
  };
}

async function searchLead(
  request: StandInRequest,
  context: StandInContext,
  bucket: string,
  cache: DeliveryCache,
): Promise<StandInReply> {
  const wanted = {
    leadId: request.query.get("leadId") ?? undefined,
    email: request.query.get("email")?.toLowerCase() ?? undefined,
    linkedinUrl: request.query.get("linkedinUrl") ?? undefined,
  };
  if (!wanted.leadId && !wanted.email && !wanted.linkedinUrl) {
    return { status: 400, json: { error: "give leadId, email or linkedinUrl" } };
  }
  const matches = (lead: Message) =>
    (wanted.leadId !== undefined && lead.id === wanted.leadId) ||
    (wanted.email !== undefined &&
      [lead.proEmail, lead.persoEmail, lead.email].some(
        (email) => String(email ?? "").toLowerCase() === wanted.email,
      )) ||
    (wanted.linkedinUrl !== undefined && lead.linkedinUrl === wanted.linkedinUrl);
  if (context.dataDir) {
    const dir = join(context.dataDir, "leads");
    // `leads/<leadId>.json` first: one read, however many leads the folder holds.
    const byId = wanted.leadId
      ? ((await readJsonFile(join(dir, `${keySegment(wanted.leadId)}.json`))) as Message | undefined)
      : undefined;
    if (byId && matches(byId)) return { status: 200, json: { lead: byId, recentLogs: [] } };
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const file of files.filter((name) => name.endsWith(".json"))) {
      const lead = (await readJsonFile(join(dir, file))) as Message | undefined;
      if (lead && matches(lead)) return { status: 200, json: { lead, recentLogs: [] } };
    }
  }
  // The lead as its latest delivery describes it (LGM keeps one lead record, the freshest).
  const replies = await storedDeliveries(request, context, bucket, `${SOURCE_PREFIX}/`, cache);
  const latestFirst = replies.sort((a, b) => (b.sentAt ?? "").localeCompare(a.sentAt ?? ""));
  const found = latestFirst.map(apiLead).find(matches);
  return found
    ? { status: 200, json: { lead: found, recentLogs: [] } }
    : { status: 404, json: { error: "Lead not found" } };
}

/**
 * La Growth Machine's API (when LGM_BASE_URL is unset), read only: `GET /conversations/{id}/messages`
 * (pages of 20, `page` counted from 0 as LGM does) and `GET /leads/search` answer from `<LEADRELAY_STANDIN_DIR>/lgm/conversations/<id>.json` and
 * `…/lgm/leads/*.json` when present, otherwise from the deliveries the runtime stored under
 * `sources/lgm/` — what LGM itself would know, since it sent them.
 */
/** Inbox webhooks (`GET`/`POST /inboxWebhooks`), kept so `leadrelay connect lgm` works locally. */
function inboxWebhooks(request: StandInRequest, context: StandInContext): StandInReply {
  const state = context.state as { inboxWebhooks?: Array<Record<string, unknown>> };
  state.inboxWebhooks ??= [];
  if (request.method === "GET") return { status: 200, json: state.inboxWebhooks };
  if (request.method !== "POST") return { status: 405, json: { error: "GET or POST" } };
  const body = (request.json ?? {}) as Record<string, unknown>;
  if (typeof body.url !== "string" || !/^https?:\/\//.test(body.url) || typeof body.name !== "string")
    return { status: 400, json: { error: "url and name are required" } };
  const hook = {
    id: randomBytes(12).toString("hex"),
    url: body.url,
    name: body.name,
    description: body.description ?? "",
    campaigns: Array.isArray(body.campaigns) ? body.campaigns : [],
  };
  state.inboxWebhooks.push(hook);
  context.save();
  return { status: 200, json: { id: hook.id } };
}

export function lgmStandIn(options: { bucket?: string } = {}): StandInSpec {
  // The local runtime's bucket (runtime.ts LOCAL_BUCKET), where the lgm source keeps deliveries.
  const bucket = options.bucket ?? "leadrelay-local";
  const cache: DeliveryCache = new Map();
  return {
    slug: "lgm",
    title: "La Growth Machine",
    baseUrlVariable: "LGM_BASE_URL",
    fills: (url) => ({ LGM_BASE_URL: url, LGM_API_KEY: LOCAL_LGM_API_KEY }),
    async respond(request, context) {
      const key =
        request.headers["x-api-key"] ??
        request.query.get("apikey") ??
        request.headers.authorization?.replace(/^Bearer\s+/i, "");
      if (!key) return { status: 401, json: { error: "Unauthorized: missing API key" } };
      if (request.path === "/inboxWebhooks") return inboxWebhooks(request, context);
      if (request.method !== "GET") return { status: 405, json: { error: "the stand-in serves reads only" } };
      const conversation = /^\/conversations\/([^/]+)\/messages$/.exec(request.path)?.[1];
      if (conversation !== undefined) {
        return conversationMessages(request, context, bucket, cache, decodeURIComponent(conversation));
      }
      if (request.path === "/leads/search") return searchLead(request, context, bucket, cache);
      if (request.path === "/members")
        return { status: 200, json: [{ id: "member_local", name: "Stand-in", label: "leadrelay" }] };
      return { status: 404, json: { error: `No LGM endpoint GET ${request.path} in the stand-in` } };
    },
  };
}

import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isValidLeadId, rawEventKey } from "@leadrelay/core";
import { basicCredentials } from "./basic-auth";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/**
 * Close's REST API as the flows use it, with state: `GET /api/v1/lead/{id}/` answers the lead as
 * last written here, else a file `<LEADRELAY_STANDIN_DIR>/close/leads/{id}.json`, else the lead of
 * the webhook the runtime stored (`event.data` in Close's lead shape), else 404. `PUT` patches a lead
 * as Close does (custom fields by id as `custom.cf_…`); notes are kept and listable per lead.
 * Webhook subscriptions (`/webhook/`: list, create with a `signature_key`, read, partial update,
 * delete) are kept too, so `leadrelay connect close` works locally; `GET /me/` answers doctor.
 */

type Json = Record<string, unknown>;

interface CloseState {
  leads?: Record<string, Json>;
  notes?: Json[];
  /** Webhook subscriptions by id, as `/webhook/` keeps them. */
  webhooks?: Record<string, Json>;
}

const LEAD_PATH = /^\/api\/v1\/lead\/([^/]+)\/?$/;
const NOTE_PATH = /^\/api\/v1\/activity\/note\/?$/;
/** Custom fields are written by id; writing by name is deprecated at Close and refused here. */
const CUSTOM_FIELD = /^custom\.cf_[A-Za-z0-9]+$/;
const WRITABLE = new Set(["name", "description", "url", "status_id", "status_label"]);
const WEBHOOKS_PATH = /^\/api\/v1\/webhook\/?$/;
const WEBHOOK_PATH = /^\/api\/v1\/webhook\/(whsub_[A-Za-z0-9]+)\/?$/;
const ME_PATH = /^\/api\/v1\/me\/?$/;
/** Close's limit of subscriptions per organization. */
const MAX_WEBHOOKS = 40;
const LOCAL_USER = "user_leadrelayLocalStandIn";
const LOCAL_ORGANIZATION = "orga_leadrelayLocalStandIn";

const notFound: StandInReply = { status: 404, json: { error: "Lead not found" } };

function fieldErrors(errors: Record<string, string>): StandInReply {
  return { status: 400, json: { errors: [], "field-errors": errors } };
}

function closeId(prefix: string): string {
  return `${prefix}_${randomBytes(48).toString("base64url").replace(/[-_]/g, "").slice(0, 43)}`;
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const arrayOf = (value: unknown): Json[] => (Array.isArray(value) ? value.filter(isObject) : []);

function contactsOf(data: Json, leadId: string): Json[] {
  if (Array.isArray(data.contacts)) {
    return arrayOf(data.contacts).map((contact) => ({
      ...contact,
      lead_id: leadId,
      name: typeof contact.name === "string" ? contact.name : "",
      emails: arrayOf(contact.emails),
      phones: arrayOf(contact.phones),
    }));
  }
  // A real webhook often carries only contact ids; what Close would add to them is not known here.
  const ids = Array.isArray(data.contact_ids) ? data.contact_ids.filter((id) => typeof id === "string") : [];
  return ids.map((id) => ({ id, lead_id: leadId, name: "", emails: [], phones: [] }));
}

/** A webhook's `event.data` in the shape `GET /lead/{id}/` answers: custom fields flat, contacts whole. */
export function leadFromWebhookData(data: Json, leadId: string): Json {
  const { custom, contacts: _contacts, contact_ids: _ids, ...rest } = data;
  const lead: Json = {
    ...rest,
    id: leadId,
    display_name: typeof data.display_name === "string" ? data.display_name : (data.name ?? ""),
    name: data.name ?? "",
    description: data.description ?? "",
    status_label: data.status_label ?? null,
    html_url: data.html_url ?? `https://app.close.com/lead/${leadId}/`,
    contacts: contactsOf(data, leadId),
  };
  if (isObject(custom)) {
    for (const [key, value] of Object.entries(custom))
      if (key.startsWith("cf_")) lead[`custom.${key}`] = value;
  }
  return lead;
}

async function leadFromFile(context: StandInContext, leadId: string): Promise<Json | undefined> {
  if (!context.dataDir) return undefined;
  let text: string;
  try {
    text = await readFile(join(context.dataDir, "leads", `${leadId}.json`), "utf8");
  } catch {
    return undefined;
  }
  const lead = JSON.parse(text) as unknown;
  if (!isObject(lead)) throw new Error(`close/leads/${leadId}.json is not a JSON object`);
  return { ...lead, id: leadId };
}

async function leadFromWebhook(context: StandInContext, leadId: string): Promise<Json | undefined> {
  const raw = await context.store.get(rawEventKey(leadId));
  if (raw === undefined) return undefined;
  try {
    // A lead Close announced as created exists, even when its webhook carried no data: answer it
    // with what is known (its id), as Close would answer a lead with no name, contacts or description.
    const data = (JSON.parse(raw) as { event?: { data?: unknown } }).event?.data;
    return leadFromWebhookData(isObject(data) ? data : {}, leadId);
  } catch {
    return undefined;
  }
}

async function findLead(context: StandInContext, leadId: string): Promise<Json | undefined> {
  if (!isValidLeadId(leadId)) return undefined;
  const state = context.state as CloseState;
  return (
    state.leads?.[leadId] ?? (await leadFromFile(context, leadId)) ?? (await leadFromWebhook(context, leadId))
  );
}

async function updateLead(
  request: StandInRequest,
  context: StandInContext,
  leadId: string,
): Promise<StandInReply> {
  const lead = await findLead(context, leadId);
  if (!lead) return notFound;
  if (!isObject(request.json)) return { status: 400, json: { error: "Send the fields to change as JSON" } };
  const refused: Record<string, string> = {};
  for (const name of Object.keys(request.json)) {
    if (!WRITABLE.has(name) && !CUSTOM_FIELD.test(name)) refused[name] = "Unknown or read-only field.";
  }
  if (Object.keys(refused).length > 0) return fieldErrors(refused);
  const updated: Json = { ...lead };
  for (const [name, value] of Object.entries(request.json)) {
    if (value === null && CUSTOM_FIELD.test(name)) delete updated[name];
    else updated[name] = value;
  }
  updated.date_updated = new Date(context.now()).toISOString();
  const state = context.state as CloseState;
  // In place: copying every lead on each update made a long run quadratic.
  state.leads ??= {};
  state.leads[leadId] = updated;
  context.save();
  return { status: 200, json: updated };
}

async function createNote(request: StandInRequest, context: StandInContext): Promise<StandInReply> {
  const body = isObject(request.json) ? request.json : {};
  const leadId = typeof body.lead_id === "string" ? body.lead_id : "";
  const lead = leadId === "" ? undefined : await findLead(context, leadId);
  if (!lead) return fieldErrors({ lead_id: leadId === "" ? "This field is required." : "Lead not found." });
  const note = typeof body.note === "string" ? body.note : undefined;
  const html = typeof body.note_html === "string" ? body.note_html : undefined;
  if (note === undefined && html === undefined) return fieldErrors({ note: "This field is required." });
  const at = new Date(context.now()).toISOString();
  const record: Json = {
    _type: "Note",
    id: closeId("acti"),
    lead_id: leadId,
    contact_id: typeof body.contact_id === "string" ? body.contact_id : null,
    // Close keeps both forms; when both are sent the HTML wins.
    note: html === undefined ? note : html.replace(/<[^>]*>/g, ""),
    note_html: html ?? null,
    source: "api",
    user_id: LOCAL_USER,
    organization_id: lead.organization_id ?? null,
    date_created: at,
    date_updated: at,
  };
  const state = context.state as CloseState;
  state.notes ??= [];
  state.notes.push(record);
  context.save();
  return { status: 200, json: record };
}

function listNotes(request: StandInRequest, context: StandInContext): StandInReply {
  const leadId = request.query.get("lead_id");
  const notes = ((context.state as CloseState).notes ?? []).filter(
    (note) => leadId === null || note.lead_id === leadId,
  );
  const skip = Math.max(0, Number(request.query.get("_skip") ?? 0) || 0);
  const limit = Math.max(1, Math.min(100, Number(request.query.get("_limit") ?? 100) || 100));
  return {
    status: 200,
    json: { data: notes.slice(skip, skip + limit), has_more: notes.length > skip + limit },
  };
}

function webhooksOf(context: StandInContext): Record<string, Json> {
  const state = context.state as CloseState;
  state.webhooks ??= {};
  return state.webhooks;
}

/** Close's create body: `url` and `events` only (`additionalProperties: false`), `verify_ssl` optional. */
function webhookProblems(body: Json, creating: boolean): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const key of Object.keys(body)) {
    if (!["url", "events", "verify_ssl", "status"].includes(key) || (creating && key === "status"))
      problems[key] = "Unknown field.";
  }
  if ((creating || "url" in body) && (typeof body.url !== "string" || !/^https?:\/\//.test(body.url)))
    problems.url = "Enter a valid URL.";
  if (creating && (!Array.isArray(body.events) || body.events.length === 0 || !body.events.every(isObject)))
    problems.events = "This field is required.";
  if ("status" in body && body.status !== "active" && body.status !== "paused")
    problems.status = "Must be active or paused.";
  return problems;
}

function webhooks(request: StandInRequest, context: StandInContext): StandInReply {
  const all = webhooksOf(context);
  const id = WEBHOOK_PATH.exec(request.path)?.[1];
  if (id === undefined) {
    if (request.method === "GET") {
      const list = Object.values(all);
      const skip = Math.max(0, Number(request.query.get("_skip") ?? 0) || 0);
      const limit = Math.max(1, Math.min(100, Number(request.query.get("_limit") ?? 100) || 100));
      return {
        status: 200,
        json: { data: list.slice(skip, skip + limit), has_more: list.length > skip + limit },
      };
    }
    if (request.method !== "POST")
      return { status: 405, headers: { allow: "GET, POST" }, json: { error: "Method not allowed" } };
    const body = isObject(request.json) ? request.json : {};
    const problems = webhookProblems(body, true);
    if (Object.keys(problems).length > 0) return fieldErrors(problems);
    if (Object.keys(all).length >= MAX_WEBHOOKS)
      return {
        status: 400,
        json: { error: `An organization may have at most ${MAX_WEBHOOKS} webhook subscriptions.` },
      };
    const at = new Date(context.now()).toISOString();
    const subscription: Json = {
      id: closeId("whsub"),
      url: body.url,
      events: body.events,
      verify_ssl: body.verify_ssl ?? true,
      status: "active",
      pause_reason: null,
      created_by: LOCAL_USER,
      date_created: at,
      date_updated: at,
      signature_key: randomBytes(32).toString("hex"),
    };
    all[subscription.id as string] = subscription;
    context.save();
    return { status: 201, json: subscription };
  }
  const subscription = all[id];
  if (!subscription) return { status: 404, json: { error: "Webhook subscription not found" } };
  if (request.method === "GET") return { status: 200, json: subscription };
  if (request.method === "DELETE") {
    delete all[id];
    context.save();
    return { status: 200, json: {} };
  }
  if (request.method !== "PUT")
    return { status: 405, headers: { allow: "GET, PUT, DELETE" }, json: { error: "Method not allowed" } };
  const body = isObject(request.json) ? request.json : {};
  const problems = webhookProblems(body, false);
  if (Object.keys(problems).length > 0) return fieldErrors(problems);
  // A partial update, as every PUT of Close: only the fields sent change.
  const updated: Json = { ...subscription, ...body, date_updated: new Date(context.now()).toISOString() };
  if (body.status === "paused") updated.pause_reason = "api";
  if (body.status === "active") updated.pause_reason = null;
  all[id] = updated;
  context.save();
  return { status: 200, json: updated };
}

export function closeStandIn(): StandInSpec {
  return {
    slug: "close",
    title: "Close",
    baseUrlVariable: "CLOSE_API_BASE_URL",
    fills: (url) => ({
      CLOSE_API_BASE_URL: `${url}/api/v1`,
      CLOSE_API_KEY: "local-close-api-key",
      CLOSE_TRIAGE_FIELD_ID: "cf_leadrelayTriageLocal",
    }),
    async respond(request, context) {
      if (!basicCredentials(request.headers)) {
        return { status: 401, json: { error: "Unauthorized: send the API key as the Basic user" } };
      }
      if (ME_PATH.test(request.path)) {
        return {
          status: 200,
          json: {
            id: LOCAL_USER,
            email: "stand-in@localhost.test",
            organizations: [{ id: LOCAL_ORGANIZATION, name: "leadrelay local stand-in" }],
          },
        };
      }
      if (WEBHOOKS_PATH.test(request.path) || WEBHOOK_PATH.test(request.path))
        return webhooks(request, context);
      const leadId = LEAD_PATH.exec(request.path)?.[1];
      if (leadId !== undefined) {
        if (request.method === "GET") {
          const lead = await findLead(context, leadId);
          return lead ? { status: 200, json: lead } : notFound;
        }
        if (request.method === "PUT") return updateLead(request, context, leadId);
        return { status: 405, headers: { allow: "GET, PUT" }, json: { error: "Method not allowed" } };
      }
      if (NOTE_PATH.test(request.path)) {
        if (request.method === "POST") return createNote(request, context);
        if (request.method === "GET") return listNotes(request, context);
        return { status: 405, headers: { allow: "GET, POST" }, json: { error: "Method not allowed" } };
      }
      return { status: 404, json: { error: "Not found" } };
    },
  };
}

import { createHash } from "node:crypto";
import { basicCredentials } from "./basic-auth";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/**
 * Zendesk Support tickets: `POST /api/v2/tickets.json` answers 201 `{ticket, audit}`. As Zendesk
 * does with an `Idempotency-Key`: the same key and body again answer the first ticket with
 * `x-idempotency-lookup: hit`; the same key with another body answers 400; keys last two hours.
 * `GET /api/v2/tickets/{id}.json` reads a ticket back.
 */

type Json = Record<string, unknown>;

const IDEMPOTENCY_TTL_MS = 2 * 60 * 60_000;
const TICKETS_PATH = /^\/api\/v2\/tickets(?:\.json)?$/;
const TICKET_PATH = /^\/api\/v2\/tickets\/(\d+)(?:\.json)?$/;
const FIRST_TICKET_ID = 1001;
const FIRST_USER_ID = 9_000_001;

interface ZendeskState {
  nextTicketId?: number;
  tickets?: Record<string, Json>;
  /** requester email → user id: one end user per address, as Zendesk creates them. */
  users?: Record<string, number>;
  keys?: Record<string, { at: number; fingerprint: string; ticketId: number }>;
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function recordInvalid(field: string, description: string): StandInReply {
  return {
    status: 422,
    json: {
      error: "RecordInvalid",
      description: "Record validation errors",
      details: { [field]: [{ description, error: "BlankValue" }] },
    },
  };
}

function ticketUrl(request: StandInRequest, id: number): string {
  return `http://${request.headers.host ?? "127.0.0.1"}/_local/zendesk/api/v2/tickets/${id}.json`;
}

function createTicket(request: StandInRequest, context: StandInContext, agent: string): StandInReply {
  const ticket = isObject(request.json) && isObject(request.json.ticket) ? request.json.ticket : undefined;
  if (!ticket) return { status: 400, json: { error: "InvalidEndpoint", description: "Send {ticket: {…}}" } };
  const comment = isObject(ticket.comment) ? ticket.comment : {};
  const description = [comment.body, comment.html_body].find(
    (text) => typeof text === "string" && text !== "",
  );
  if (typeof description !== "string") return recordInvalid("description", "Description: cannot be blank");

  const state = context.state as ZendeskState;
  const now = context.now();
  const keys = Object.fromEntries(
    Object.entries(state.keys ?? {}).filter(([, seen]) => now - seen.at < IDEMPOTENCY_TTL_MS),
  );
  const key = request.headers["idempotency-key"];
  const fingerprint = createHash("sha256").update(JSON.stringify(request.json)).digest("hex");
  const seen = key ? keys[key] : undefined;
  if (seen) {
    if (seen.fingerprint !== fingerprint) {
      return {
        status: 400,
        json: {
          error: "IdempotentRequestError",
          description: "The idempotency key was already used with different parameters",
        },
      };
    }
    const first = state.tickets?.[String(seen.ticketId)];
    if (first) return { status: 201, headers: { "x-idempotency-lookup": "hit" }, json: { ticket: first } };
  }

  const requester = isObject(ticket.requester) ? ticket.requester : {};
  const email = typeof requester.email === "string" && requester.email !== "" ? requester.email : agent;
  const users = { ...state.users };
  users[email] ??= FIRST_USER_ID + Object.keys(users).length;
  const id = state.nextTicketId ?? FIRST_TICKET_ID;
  const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
  const created: Json = {
    id,
    url: ticketUrl(request, id),
    subject: typeof ticket.subject === "string" ? ticket.subject : null,
    description,
    status: "new",
    priority: typeof ticket.priority === "string" ? ticket.priority : null,
    type: typeof ticket.type === "string" ? ticket.type : null,
    requester_id: users[email],
    tags: Array.isArray(ticket.tags) ? ticket.tags.filter((tag) => typeof tag === "string") : [],
    created_at: at,
    updated_at: at,
  };
  state.users = users;
  state.nextTicketId = id + 1;
  state.tickets = { ...state.tickets, [String(id)]: created };
  if (key) keys[key] = { at: now, fingerprint, ticketId: id };
  state.keys = keys;
  context.save();
  return {
    status: 201,
    headers: key ? { "x-idempotency-lookup": "miss" } : {},
    json: { ticket: created, audit: { ticket_id: id, created_at: at, events: [{ type: "Create" }] } },
  };
}

export function zendeskStandIn(): StandInSpec {
  return {
    slug: "zendesk",
    title: "Zendesk",
    baseUrlVariable: "ZENDESK_BASE_URL",
    fills: (url) => ({
      ZENDESK_BASE_URL: url,
      ZENDESK_EMAIL: "agent@localhost.test",
      ZENDESK_API_TOKEN: "local-zendesk-api-token",
    }),
    respond(request, context) {
      const credentials = basicCredentials(request.headers);
      if (!credentials) return { status: 401, json: { error: "Couldn't authenticate you" } };
      const agent = credentials.user.replace(/\/token$/, "");
      if (request.path === "/api/v2/users/me.json" && request.method === "GET")
        return {
          status: 200,
          json: { user: { id: FIRST_USER_ID - 1, email: agent, role: "agent", name: "Stand-in agent" } },
        };
      if (TICKETS_PATH.test(request.path)) {
        if (request.method !== "POST")
          return { status: 405, headers: { allow: "POST" }, json: { error: "POST" } };
        return createTicket(request, context, agent);
      }
      const id = TICKET_PATH.exec(request.path)?.[1];
      const ticket = id === undefined ? undefined : (context.state as ZendeskState).tickets?.[id];
      if (ticket && request.method === "GET") return { status: 200, json: { ticket } };
      return { status: 404, json: { error: "RecordNotFound", description: "Not found" } };
    },
  };
}

import { randomUUID } from "node:crypto";
import type { HubSpotObjectType, HubSpotPropertyDefinition } from "@leadrelay/core";
import {
  associationsOf,
  badRequest,
  CrmError,
  type CrmState,
  contactByEmail,
  createProperty,
  createRecord,
  crmStateOf,
  isObjectType,
  notFound,
  type ObjectType,
  search,
  stateView,
  updateRecord,
  view,
} from "./hubspot-crm";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/** Search lags writes by this much unless `LEADRELAY_HUBSPOT_SEARCH_LAG_MS` or `PUT /_settings` says otherwise. */
export const DEFAULT_SEARCH_LAG_MS = 2_000;
export const LOCAL_HUBSPOT_TOKEN = "local-hubspot-token";

const ok = (json: unknown, status = 200): StandInReply => ({ status, json });

function searchLag(state: CrmState): number {
  if (typeof state.searchLagMs === "number") return state.searchLagMs;
  const fromEnv = Number(process.env.LEADRELAY_HUBSPOT_SEARCH_LAG_MS);
  return Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.LEADRELAY_HUBSPOT_SEARCH_LAG_MS !== ""
    ? fromEnv
    : DEFAULT_SEARCH_LAG_MS;
}

const body = (request: StandInRequest) => (request.json ?? {}) as Record<string, unknown>;
const propertiesQuery = (request: StandInRequest) =>
  request.query
    .getAll("properties")
    .flatMap((value) => value.split(","))
    .filter(Boolean);

function recordOf(crm: CrmState, type: ObjectType, id: string, idProperty: string | null) {
  const record =
    idProperty === "email" && type === "contacts"
      ? contactByEmail(crm, id)
      : crm.objects[type][decodeURIComponent(id)];
  if (!record) throw notFound();
  return record;
}

/** `POST /crm/v3/objects/contacts/batch/upsert` keyed by email: update who has it, create the others. */
function upsertContacts(crm: CrmState, input: Record<string, unknown>, now: number) {
  const inputs = Array.isArray(input.inputs) ? (input.inputs as Array<Record<string, unknown>>) : undefined;
  if (!inputs || inputs.length === 0 || inputs.length > 100)
    throw badRequest("inputs must hold 1 to 100 objects");
  const started = new Date(now).toISOString();
  const results = inputs.map((item) => {
    if (item.idProperty !== "email" || typeof item.id !== "string") {
      throw badRequest("the stand-in upserts contacts by idProperty email only");
    }
    const properties = { ...((item.properties as Record<string, unknown>) ?? {}), email: item.id };
    const existing = contactByEmail(crm, item.id);
    if (existing) return { ...view(updateRecord(crm, "contacts", existing, properties, now)), new: false };
    return { ...view(createRecord(crm, "contacts", { properties }, now)), new: true };
  });
  return { status: "COMPLETE", results, startedAt: started, completedAt: new Date(now).toISOString() };
}

function objects(request: StandInRequest, crm: CrmState, now: number, parts: string[]): StandInReply {
  const [type, id, action] = parts;
  if (!isObjectType(type)) throw notFound(`Unknown object type ${type ?? ""}`);
  const { method } = request;
  if (id === undefined) {
    if (method === "POST") return ok(view(createRecord(crm, type, body(request), now)), 201);
    if (method === "GET") {
      return ok({
        results: Object.values(crm.objects[type])
          .slice(0, 100)
          .map((record) => view(record)),
      });
    }
  } else if (id === "batch" && method === "POST") {
    if (action === "upsert" && type === "contacts") return ok(upsertContacts(crm, body(request), now));
    if (action === "read") {
      const input = body(request);
      const inputs = Array.isArray(input.inputs) ? (input.inputs as Array<{ id?: unknown }>) : [];
      if (inputs.length > 100) throw badRequest("inputs take at most 100 ids");
      const wanted = Array.isArray(input.properties) ? input.properties.map(String) : undefined;
      const results = inputs
        .map((item) => crm.objects[type][String(item.id)])
        .filter((record) => record !== undefined)
        .map((record) => view(record, wanted));
      return ok({
        status: "COMPLETE",
        results,
        startedAt: new Date(now).toISOString(),
        completedAt: new Date(now).toISOString(),
      });
    }
  } else if (id === "search" && method === "POST") {
    return ok(search(crm, type, request.json, now, searchLag(crm)));
  } else if (action === undefined) {
    const record = recordOf(crm, type, id, request.query.get("idProperty"));
    if (method === "GET") return ok(view(record, propertiesQuery(request)));
    if (method === "PATCH") return ok(view(updateRecord(crm, type, record, body(request).properties, now)));
  } else if (action === "associations" && method === "GET") {
    const toType = parts[3];
    if (!isObjectType(toType)) throw notFound();
    recordOf(crm, type, id, null);
    return ok({
      results: associationsOf(crm, type, id, toType).map(({ id: toId, typeIds }) => ({
        id: toId,
        type: `${type}_to_${toType}`,
        typeIds,
      })),
    });
  }
  return {
    status: 405,
    json: { status: "error", message: `${method} is not supported here`, category: "METHOD_NOT_ALLOWED" },
  };
}

/** The portal the stand-in says it is (`account-info`): the demo's HubSpot webhooks come from it. */
export const LOCAL_PORTAL_ID = 1000001;

function route(request: StandInRequest, context: StandInContext): StandInReply {
  const crm = crmStateOf(context.state);
  const now = context.now();
  const parts = request.path.split("/").filter(Boolean);
  if (parts[0] === "crm" && parts[1] === "v3" && parts[2] === "objects")
    return objects(request, crm, now, parts.slice(3));
  if (parts[0] === "crm" && parts[1] === "v4" && parts[2] === "objects" && parts[5] === "associations") {
    const [fromType, fromId, , toType] = parts.slice(3);
    if (
      !isObjectType(fromType) ||
      !isObjectType(toType) ||
      fromId === undefined ||
      request.method !== "GET"
    ) {
      throw notFound();
    }
    recordOf(crm, fromType, fromId, null);
    // HubSpot's v4 spec (MultiAssociatedObjectWithLabel, AssociationSpecWithLabel in the SDKs
    // generated from it): `toObjectId` a string, `label` an optional string, absent when unlabelled.
    const results = associationsOf(crm, fromType, fromId, toType).map(({ id, typeIds }) => ({
      toObjectId: String(id),
      associationTypes: typeIds.map((typeId) => ({ category: "HUBSPOT_DEFINED", typeId })),
    }));
    return ok({ results });
  }
  if (parts[0] === "crm" && parts[1] === "v3" && parts[2] === "properties" && parts.length === 5) {
    const type = parts[3];
    if (!isObjectType(type) || (request.method !== "GET" && request.method !== "DELETE"))
      throw notFound(`Unknown object type ${type ?? ""}`);
    const index = crm.customProperties[type].findIndex((candidate) => candidate.name === parts[4]);
    const property = crm.customProperties[type][index];
    if (!property) throw notFound(`Unable to find property ${parts[4]}`);
    if (request.method === "GET") return ok(property);
    // HubSpot moves an archived property to its recycling bin (204): writes naming it fail again.
    crm.customProperties[type].splice(index, 1);
    return { status: 204 };
  }
  if (parts.join("/") === "oauth/v2/private-apps/get/access-token-info" && request.method === "POST")
    return ok({
      userId: 1,
      hubId: LOCAL_PORTAL_ID,
      appId: 1,
      scopes: ["crm.objects.contacts.write", "crm.objects.deals.write"],
    });
  if (parts.join("/") === "account-info/v3/details" && request.method === "GET")
    return ok({
      portalId: LOCAL_PORTAL_ID,
      accountType: "DEVELOPER_TEST",
      timeZone: "UTC",
      companyCurrency: "USD",
    });
  if (parts[0] === "crm" && parts[1] === "v3" && parts[2] === "properties" && parts.length === 4) {
    const type = parts[3];
    if (!isObjectType(type)) throw notFound(`Unknown object type ${type ?? ""}`);
    if (request.method === "POST") return ok(createProperty(crm, type, request.json), 201);
    if (request.method === "GET") return ok({ results: crm.customProperties[type] });
  }
  throw notFound(`No HubSpot endpoint ${request.method} ${request.path} in the stand-in`);
}

export interface HubSpotStandInOptions {
  /**
   * Custom properties the stand-in holds from its first start (the chosen flows' declarations):
   * a team on stand-ins starts where `connect hubspot` leaves a real portal. One missing from a kept
   * state is added at the next start; one archived (`DELETE /crm/v3/properties/…`) stays archived
   * until then.
   */
  properties?: ReadonlyArray<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }>;
}

/** Adds each declared property the CRM lacks; what is there (or built in) is left alone. */
function holdProperties(crm: CrmState, properties: HubSpotStandInOptions["properties"] = []): boolean {
  let added = false;
  for (const { type, definition } of properties) {
    if (!isObjectType(type) || crm.customProperties[type].some((p) => p.name === definition.name)) continue;
    try {
      createProperty(crm, type, definition);
      added = true;
    } catch (error) {
      // A built-in name is already there: nothing to add.
      if (!(error instanceof CrmError)) throw error;
    }
  }
  return added;
}

/**
 * HubSpot (when HUBSPOT_BASE_URL is unset): a stateful CRM enforcing HubSpot's rules (see
 * hubspot-crm.ts), holding the properties the chosen flows write (`options.properties`).
 * `GET /_local/hubspot/_state` shows its contacts, deals, notes and associations (read only);
 * `PUT /_local/hubspot/_settings {"searchLagMs": N}` sets how far search lags writes.
 */
export function hubspotStandIn(options: HubSpotStandInOptions = {}): StandInSpec {
  return {
    slug: "hubspot",
    title: "HubSpot",
    baseUrlVariable: "HUBSPOT_BASE_URL",
    fills: (url) => ({ HUBSPOT_BASE_URL: url, HUBSPOT_TOKEN: LOCAL_HUBSPOT_TOKEN }),
    prepare(context) {
      if (holdProperties(crmStateOf(context.state), options.properties)) context.save();
    },
    respond(request, context) {
      const crm = crmStateOf(context.state);
      if (request.path === "/_state") {
        if (request.method !== "GET") return { status: 405, json: { error: "the state is read only" } };
        return ok(stateView(crm, searchLag(crm)));
      }
      if (request.path === "/_settings") {
        if (request.method === "GET") return ok({ searchLagMs: searchLag(crm) });
        const lag = Number((request.json as { searchLagMs?: unknown } | undefined)?.searchLagMs);
        if (request.method !== "PUT" || !Number.isFinite(lag) || lag < 0) {
          return { status: 400, json: { error: 'PUT {"searchLagMs": N} with N ≥ 0' } };
        }
        crm.searchLagMs = lag;
        context.save();
        return ok({ searchLagMs: lag });
      }
      if (!/^Bearer \S+/.test(request.headers.authorization ?? "")) {
        return {
          status: 401,
          json: {
            status: "error",
            message: "Authentication credentials not found.",
            correlationId: randomUUID(),
            category: "INVALID_AUTHENTICATION",
          },
        };
      }
      try {
        const reply = route(request, context);
        if (request.method !== "GET" && reply.status < 300) context.save();
        return reply;
      } catch (error) {
        if (error instanceof CrmError) return { status: error.status, json: error.body };
        throw error;
      }
    },
  };
}

import {
  type ContactCreateResult,
  type ContactUpdateResult,
  type HubSpotCrm,
  type HubSpotObjectType,
  type HubSpotRecord,
  ServiceQuotaExhausted,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import {
  type Classifier,
  createHttpClient,
  type HttpClientOptions,
  type HttpResponse,
  retryAfterSeconds,
} from "../http-client";
import { headerNote, vendorFailure, withNote } from "./vendor-failure";

export interface HubSpotConfig {
  /** `HUBSPOT_BASE_URL`, e.g. https://api.hubapi.com */
  baseUrl: string;
  /** `HUBSPOT_TOKEN`: a private app's access token, sent as a Bearer token. */
  token: string;
}

const SERVICE = "hubspot";
const LIMIT_HEADERS = [
  "retry-after",
  "x-hubspot-ratelimit-interval-milliseconds",
  "x-hubspot-ratelimit-max",
  "x-hubspot-ratelimit-remaining",
  "x-hubspot-ratelimit-daily-remaining",
];
/** HubSpot's batch endpoints take at most 100 inputs. */
const BATCH_SIZE = 100;
/** v4 association pages hold up to 500; a contact with more than 10 pages of deals is not a lead. */
const MAX_ASSOCIATION_PAGES = 10;

interface HubSpotErrorBody {
  message?: unknown;
  category?: unknown;
  policyName?: unknown;
  errorType?: unknown;
}

const errorBody = (response: HttpResponse) => (response.json ?? {}) as HubSpotErrorBody;
const messageOf = (response: HttpResponse) => {
  const message = errorBody(response).message;
  return typeof message === "string" ? message : undefined;
};

/** `X-HubSpot-RateLimit-Interval-Milliseconds` (the rolling window) in whole seconds. */
function intervalSeconds(headers: Headers): number | undefined {
  const ms = Number(headers.get("x-hubspot-ratelimit-interval-milliseconds"));
  return headers.has("x-hubspot-ratelimit-interval-milliseconds") && Number.isFinite(ms) && ms > 0
    ? Math.ceil(ms / 1000)
    : undefined;
}

/**
 * HubSpot's 429 names its policy: `TEN_SECONDLY_ROLLING` (or `SECONDLY`, the search limit) passes
 * within seconds, so it is worth a retry after `Retry-After` or the rolling interval; `DAILY` means
 * the portal's daily quota is gone until midnight in the portal's time zone, and retrying would
 * only add to the 429s HubSpot counts against the app. An unknown property is a setup problem.
 */
export const classifyHubSpotError: Classifier = (response, failure) => {
  if (response.status < 400) return undefined;
  const body = errorBody(response);
  if (response.status === 429) {
    const policy = typeof body.policyName === "string" ? body.policyName : undefined;
    const detailed = withNote(
      vendorFailure(failure, messageOf(response), policy),
      headerNote(response.headers, LIMIT_HEADERS),
    );
    if (policy === "DAILY") {
      return new ServiceQuotaExhausted(
        withNote(
          detailed,
          " — the portal's daily API quota is used up; it resets at midnight in the portal's time zone, so this is not retried",
        ),
      );
    }
    return new ServiceRateLimited(
      detailed,
      retryAfterSeconds(response.headers) ?? intervalSeconds(response.headers),
    );
  }
  const message = messageOf(response);
  const category = typeof body.category === "string" ? body.category : undefined;
  if (response.status === 400 && message?.includes("PROPERTY_DOESNT_EXIST")) {
    return new ServiceRejected(
      withNote(
        vendorFailure(failure, message, category),
        " — create the custom properties once with `pnpm leadrelay hubspot setup`",
      ),
    );
  }
  if (response.status === 401 || response.status === 403) {
    return new ServiceRejected(
      withNote(vendorFailure(failure, message, category), " — check HUBSPOT_TOKEN and its scopes"),
    );
  }
  // Other statuses: the client's rules (a 409 or 404 the call accepts is an answer, not a failure).
  return undefined;
};

/** 409 bodies say "Contact already exists. Existing ID: 777" (not a documented contract, a stable one). */
export function existingIdOf(response: HttpResponse): string | undefined {
  return /Existing ID:\s*(\d+)/i.exec(messageOf(response) ?? response.text)?.[1];
}

function unexpectedAnswer(where: string, status: number, what: string): ServiceUnavailable {
  return new ServiceUnavailable({ service: SERVICE, status, detail: `${where}: ${what}` });
}

function recordOf(value: unknown): HubSpotRecord | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { id, properties } = value as { id?: unknown; properties?: unknown };
  if ((typeof id !== "string" && typeof id !== "number") || String(id) === "") return undefined;
  const props: Record<string, string | null> = {};
  if (typeof properties === "object" && properties !== null) {
    for (const [name, prop] of Object.entries(properties)) {
      props[name] = prop === null || prop === undefined ? null : String(prop);
    }
  }
  return { id: String(id), properties: props };
}

function resultsOf(response: HttpResponse): HubSpotRecord[] {
  const results = (response.json as { results?: unknown } | undefined)?.results;
  return Array.isArray(results)
    ? results.map(recordOf).filter((r): r is HubSpotRecord => r !== undefined)
    : [];
}

/**
 * HubSpot CRM v3 (objects, batch, search, properties) and v4 (association listing) with a private
 * app's Bearer token. `@hubspot/api-client` is not used: 14.0.1 unpacks to 22.7 MB (8,817 files),
 * far over a Lambda bundle budget of 150 KB, for eight calls that the shared HTTP client makes.
 */
export function createHubSpotCrm(
  config: HubSpotConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): HubSpotCrm {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { authorization: `Bearer ${config.token}` },
    classify: classifyHubSpotError,
    ...options,
  });
  const objectPath = (type: HubSpotObjectType, id?: string) =>
    `crm/v3/objects/${type}${id === undefined ? "" : `/${encodeURIComponent(id)}`}`;

  return {
    async upsertContactByEmail(email, properties) {
      const path = `${objectPath("contacts")}/batch/upsert`;
      const response = await client.request({
        method: "POST",
        path,
        json: { inputs: [{ id: email, idProperty: "email", properties }] },
      });
      const errors = (response.json as { errors?: Array<{ message?: unknown }> } | undefined)?.errors;
      const [result] =
        (response.json as { results?: Array<{ id?: unknown; new?: unknown }> } | undefined)?.results ?? [];
      if (result?.id === undefined) {
        const why = typeof errors?.[0]?.message === "string" ? errors[0].message : "no result in the answer";
        // 207 with an error for our only input: HubSpot refused this contact.
        if (errors?.length) {
          throw new ServiceRejected({
            service: SERVICE,
            status: response.status,
            detail: `POST /${path}: ${why}`,
          });
        }
        throw unexpectedAnswer(`POST /${path}`, response.status, why);
      }
      return { id: String(result.id), created: result.new === true };
    },

    async createContact(properties): Promise<ContactCreateResult> {
      const path = objectPath("contacts");
      const response = await client.request({ method: "POST", path, json: { properties }, accept: [409] });
      if (response.status === 409) {
        const existingId = existingIdOf(response);
        if (!existingId) {
          throw new ServiceRejected({
            service: SERVICE,
            status: 409,
            detail: `POST /${path}: ${messageOf(response) ?? "conflict without an existing id"}`,
          });
        }
        return { status: "exists", existingId };
      }
      const record = recordOf(response.json);
      if (!record) throw unexpectedAnswer(`POST /${path}`, response.status, "no contact id in the answer");
      return { status: "created", id: record.id };
    },

    async updateContact(id, properties): Promise<ContactUpdateResult> {
      const path = objectPath("contacts", id);
      const response = await client.request({
        method: "PATCH",
        path,
        json: { properties },
        accept: [404, 409],
      });
      if (response.status === 404) return { status: "missing" };
      if (response.status === 409) {
        const existingId = existingIdOf(response);
        if (!existingId) {
          throw new ServiceRejected({
            service: SERVICE,
            status: 409,
            detail: `PATCH /crm/v3/objects/contacts: ${messageOf(response) ?? "conflict"}`,
          });
        }
        return { status: "conflict", existingId };
      }
      return { status: "updated", id: recordOf(response.json)?.id ?? id };
    },

    async searchContacts(propertyName, value, properties) {
      const response = await client.request({
        method: "POST",
        path: `${objectPath("contacts")}/search`,
        json: {
          filterGroups: [{ filters: [{ propertyName, operator: "EQ", value }] }],
          properties,
          limit: 10,
        },
      });
      return resultsOf(response);
    },

    async associatedIds(fromType, fromId, toType) {
      const ids: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_ASSOCIATION_PAGES; page++) {
        const response = await client.request({
          path: `crm/v4/objects/${fromType}/${encodeURIComponent(fromId)}/associations/${toType}`,
          query: { limit: "500", after },
          accept: [404],
        });
        if (response.status === 404) return [];
        const body = response.json as
          | { results?: Array<{ toObjectId?: unknown }>; paging?: { next?: { after?: unknown } } }
          | undefined;
        for (const result of body?.results ?? []) {
          if (typeof result.toObjectId === "number" || typeof result.toObjectId === "string") {
            ids.push(String(result.toObjectId));
          }
        }
        const next = body?.paging?.next?.after;
        if (typeof next !== "string" || next === "") break;
        after = next;
      }
      return ids;
    },

    async readBatch(type, ids, properties) {
      const records: HubSpotRecord[] = [];
      for (let start = 0; start < ids.length; start += BATCH_SIZE) {
        const response = await client.request({
          method: "POST",
          path: `${objectPath(type)}/batch/read`,
          json: { properties, inputs: ids.slice(start, start + BATCH_SIZE).map((id) => ({ id })) },
        });
        records.push(...resultsOf(response));
      }
      return records;
    },

    async createObject(type, properties, associations) {
      const path = objectPath(type);
      const response = await client.request({
        method: "POST",
        path,
        json: {
          properties,
          associations: associations.map(({ toId, typeId }) => ({
            to: { id: toId },
            types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: typeId }],
          })),
        },
      });
      const record = recordOf(response.json);
      if (!record) throw unexpectedAnswer(`POST /${path}`, response.status, `no ${type} id in the answer`);
      return { id: record.id };
    },

    async createProperty(type, definition) {
      const response = await client.request({
        method: "POST",
        path: `crm/v3/properties/${type}`,
        json: definition,
        accept: [409],
      });
      return response.status === 409 ? "exists" : "created";
    },
  };
}

import {
  digitsOf,
  GRAPH_LEAD_FIELDS,
  type GraphLead,
  type GraphLeadField,
  GraphLeadInvalid,
  type LeadAdsReader,
  parseJsonKeepingLargeIntegers,
} from "@leadrelay/core";
import { createHttpClient, type HttpClientOptions } from "../http-client";
import { classifyGraphError } from "./meta-graph";

export interface LeadAdsConfig {
  /** `META_GRAPH_BASE_URL`: https://graph.facebook.com on AWS. */
  baseUrl: string;
  /** `META_API_VERSION`, e.g. v21.0. */
  version: string;
  /** `META_PAGE_ACCESS_TOKEN`: a Page token with `leads_retrieval`. */
  pageAccessToken: string;
}

const SERVICE = "meta";
/** A lead read is one small object; Graph answers well within this. */
export const LEAD_READ_TIMEOUT_MS = 8_000;

const text = (value: unknown) => (typeof value === "string" ? value : undefined);
/** Graph sends ids as strings; a number is taken only when it is an exact integer. */
const id = (value: unknown) => digitsOf(value, 32);

function fieldsOf(value: unknown): GraphLeadField[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const fields: GraphLeadField[] = [];
  for (const item of value) {
    if (typeof item !== "object" || item === null) continue;
    const { name, values } = item as { name?: unknown; values?: unknown };
    if (typeof name !== "string" || !Array.isArray(values)) continue;
    fields.push({ name, values: values.filter((entry): entry is string => typeof entry === "string") });
  }
  return fields;
}

/** The lead object from Graph's answer, or why it is not one. */
export function readGraphLead(leadgenId: string, body: string): GraphLead {
  let json: unknown;
  try {
    json = parseJsonKeepingLargeIntegers(body);
  } catch {
    throw new GraphLeadInvalid(leadgenId, "the answer is not JSON");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new GraphLeadInvalid(leadgenId, "the answer is not an object");
  }
  const raw = json as Record<string, unknown>;
  const leadId = id(raw.id);
  if (leadId !== leadgenId) {
    throw new GraphLeadInvalid(leadgenId, leadId ? `it is lead ${leadId}` : "it has no id");
  }
  const fieldData = fieldsOf(raw.field_data);
  if (!fieldData) throw new GraphLeadInvalid(leadgenId, "it has no field_data");
  const lead: GraphLead = { id: leadId, field_data: fieldData };
  const created = text(raw.created_time);
  if (created) lead.created_time = created;
  for (const name of ["ad_id", "adset_id", "campaign_id", "form_id"] as const) {
    const value = id(raw[name]);
    if (value) lead[name] = value;
  }
  if (typeof raw.is_organic === "boolean") lead.is_organic = raw.is_organic;
  const platform = text(raw.platform);
  if (platform) lead.platform = platform;
  return lead;
}

/**
 * `GET {base}/{version}/{leadgen_id}?fields=…` with the Page token as a Bearer header (never in
 * the URL, which proxies and logs keep). Graph failures are read by their code
 * (`classifyGraphError`): throttling → ServiceRateLimited, transient → ServiceUnavailable, a bad
 * token (190) or an unknown lead → ServiceRejected.
 */
export function createLeadAdsReader(
  config: LeadAdsConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): LeadAdsReader {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    headers: { authorization: `Bearer ${config.pageAccessToken}` },
    classify: classifyGraphError,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? LEAD_READ_TIMEOUT_MS,
  });
  return {
    async fetchLead(leadgenId) {
      if (!digitsOf(leadgenId)) throw new GraphLeadInvalid(leadgenId, "a lead id is digits only");
      const response = await client.request({
        path: `${encodeURIComponent(config.version)}/${leadgenId}`,
        query: { fields: GRAPH_LEAD_FIELDS.join(",") },
      });
      return readGraphLead(leadgenId, response.text);
    },
  };
}

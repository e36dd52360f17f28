/**
 * Meta Lead Ads through the Graph API: the lead a `leadgen` webhook only names by id.
 * `GET /{version}/{leadgen_id}?fields=…` with the Page access token.
 */

/** One answer of the lead form: `values` are strings (a multiple-choice answer is the option's key). */
export interface GraphLeadField {
  name: string;
  values: string[];
}

/** The lead object as Graph returns it (ids as strings; the optional ones are absent for organic or test leads). */
export interface GraphLead {
  id: string;
  created_time?: string;
  ad_id?: string;
  adset_id?: string;
  campaign_id?: string;
  form_id?: string;
  is_organic?: boolean;
  platform?: string;
  field_data: GraphLeadField[];
}

/** The fields FetchLead asks for: without `fields`, Graph answers only a minimal set. */
export const GRAPH_LEAD_FIELDS = [
  "id",
  "created_time",
  "ad_id",
  "adset_id",
  "campaign_id",
  "form_id",
  "field_data",
  "is_organic",
  "platform",
] as const;

/**
 * Throws ServiceRateLimited (throttling codes), ServiceUnavailable (transient codes, 5xx, no
 * answer), ServiceRejected (190 bad token, permissions, unknown lead) or GraphLeadInvalid.
 */
export interface LeadAdsReader {
  fetchLead(leadgenId: string): Promise<GraphLead>;
}

/** Graph answered 200 with something that is not the lead asked for. Not retried: a person has to look. */
export class GraphLeadInvalid extends Error {
  override readonly name = "GraphLeadInvalid";
  constructor(
    readonly leadgenId: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`Graph's answer for lead ${leadgenId} is not a lead: ${detail}`, options);
  }
}

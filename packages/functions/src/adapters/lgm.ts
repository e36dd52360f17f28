import type { LgmApi } from "@leadrelay/core";
import { createHttpClient, type HttpClientOptions } from "../http-client";

export interface LgmConfig {
  /** `LGM_BASE_URL`, e.g. https://apiv2.lagrowthmachine.com/flow */
  baseUrl: string;
  /** `LGM_API_KEY`. LGM takes it as `?apikey=`, `x-api-key` or Bearer alike; a header keeps it out of URLs. */
  apiKey: string;
}

/**
 * La Growth Machine's REST API, read only. LGM documents no rate limit and no error body, so the
 * shared HTTP client's status rules classify its failures (429 → ServiceRateLimited with
 * Retry-After when sent, 5xx → ServiceUnavailable, other 4xx → ServiceRejected).
 */
export function createLgmApi(
  config: LgmConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): LgmApi {
  const client = createHttpClient({
    service: "lgm",
    baseUrl: config.baseUrl,
    headers: { "x-api-key": config.apiKey },
    ...options,
  });
  return {
    async conversationMessages(conversationId, page) {
      const response = await client.request({
        path: `conversations/${encodeURIComponent(conversationId)}/messages`,
        query: { page: String(page) },
      });
      return response.json;
    },
    async searchLead(query) {
      const response = await client.request({
        path: "leads/search",
        query: { leadId: query.leadId, email: query.email, linkedinUrl: query.linkedinUrl },
        accept: [404],
      });
      return response.status === 404 ? undefined : response.json;
    },
  };
}

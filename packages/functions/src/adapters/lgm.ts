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
 *
 * LGM numbers a conversation's pages from 0 (its own n8n node: "page=0,1,2…", first read
 * `{ page: 0 }`); the port's pages start at 1, so page N is LGM's `page=N-1`.
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
      if (!Number.isSafeInteger(page) || page < 1) {
        throw new RangeError(`a conversation page is a whole number from 1, not ${page}`);
      }
      const response = await client.request({
        path: `conversations/${encodeURIComponent(conversationId)}/messages`,
        query: { page: String(page - 1) },
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

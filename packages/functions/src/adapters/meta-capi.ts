import type { ConversionsApi, ConversionsReceipt } from "@leadrelay/core";
import { createHttpClient, type HttpClientOptions } from "../http-client";
import { classifyGraphError } from "./meta-graph";

export interface ConversionsApiConfig {
  /** `META_GRAPH_BASE_URL`, https://graph.facebook.com on AWS. */
  baseUrl: string;
  /** `META_API_VERSION`, e.g. v21.0. */
  version: string;
  /** `META_PIXEL_ID` (the dataset id). */
  pixelId: string;
  /** `META_ACCESS_TOKEN`: a system-user token with access to the pixel. */
  accessToken: string;
  /** `META_TEST_EVENT_CODE`: routes the events to Events Manager → Test Events instead of the ads data. */
  testEventCode?: string;
}

const SERVICE = "meta";
/** Where the Conversions API is on AWS (`META_GRAPH_BASE_URL` defaults to it). */
export const GRAPH_BASE_URL = "https://graph.facebook.com";
/** Meta answers most calls within 600 ms and recommends giving up on one after 1.5 s… plus headroom. */
export const CAPI_TIMEOUT_MS = 5_000;

/**
 * `POST {base}/{version}/{pixel}/events` with a JSON body: `data`, `access_token` (in the body, so
 * it is never in a URL that a proxy or a log keeps) and `test_event_code` when set. Failures are
 * Graph errors, read by their code (`classifyGraphError`): throttling → ServiceRateLimited,
 * transient → ServiceUnavailable, a bad token (190) or an invalid event → ServiceRejected.
 */
export function createConversionsApi(
  config: ConversionsApiConfig,
  options: Pick<HttpClientOptions, "timeoutMs" | "fetch"> = {},
): ConversionsApi {
  const client = createHttpClient({
    service: SERVICE,
    baseUrl: config.baseUrl,
    classify: classifyGraphError,
    fetch: options.fetch,
    timeoutMs: options.timeoutMs ?? CAPI_TIMEOUT_MS,
  });
  const path = `${encodeURIComponent(config.version)}/${encodeURIComponent(config.pixelId)}/events`;

  return {
    async send(events): Promise<ConversionsReceipt> {
      const response = await client.request({
        method: "POST",
        path,
        json: {
          data: events,
          access_token: config.accessToken,
          ...(config.testEventCode ? { test_event_code: config.testEventCode } : {}),
        },
      });
      const body = (response.json ?? {}) as {
        events_received?: unknown;
        messages?: unknown;
        fbtrace_id?: unknown;
      };
      return {
        eventsReceived: typeof body.events_received === "number" ? body.events_received : 0,
        fbtraceId: typeof body.fbtrace_id === "string" ? body.fbtrace_id : undefined,
        messages: Array.isArray(body.messages)
          ? body.messages.filter((message): message is string => typeof message === "string").slice(0, 10)
          : [],
      };
    },
  };
}

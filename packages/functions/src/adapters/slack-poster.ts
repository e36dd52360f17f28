import { type SlackPoster, SlackRateLimited, SlackRejected, SlackUnavailable } from "@leadrelay/core";

function retryAfter(response: Response): number | undefined {
  const value = Number(response.headers.get("retry-after"));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Slack incoming webhook with plain fetch: 429 → rate limited, 5xx → unavailable, other 4xx → rejected. */
export function createSlackPoster(
  webhookUrl: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): SlackPoster {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 8_000;
  return {
    async post(message) {
      let response: Response;
      try {
        response = await doFetch(webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8" },
          body: JSON.stringify(message),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new SlackUnavailable(
          error instanceof Error ? `${error.name}: ${error.message}` : "request failed",
        );
      }
      const body = await response.text().catch(() => "");
      if (response.ok) return;
      if (response.status === 429) throw new SlackRateLimited(retryAfter(response));
      if (response.status >= 500) throw new SlackUnavailable(`HTTP ${response.status}`);
      throw new SlackRejected(response.status, body);
    },
  };
}

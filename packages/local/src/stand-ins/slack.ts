import type { RecordedRequest, StandInSpec } from "./stand-in";

export interface SlackMessageEntry {
  at: string;
  message: { text?: string; blocks?: unknown[] };
}

/** The messages Slack accepted, in order (what a channel would show). */
export function slackMessagesOf(requests: readonly RecordedRequest[]): SlackMessageEntry[] {
  return requests
    .filter((request) => request.method === "POST" && request.status === 200 && request.path === "/")
    .map((request) => ({ at: request.at, message: request.body as SlackMessageEntry["message"] }));
}

/**
 * A Slack incoming webhook (when SLACK_WEBHOOK_URL is unset): `ok` for a message with text,
 * Slack's `invalid_payload` / `no_text` otherwise. `GET /_local/slack` lists the messages.
 */
export function slackStandIn(print: (line: string) => void): StandInSpec {
  return {
    slug: "slack",
    title: "Slack",
    baseUrlVariable: "SLACK_WEBHOOK_URL",
    fills: (url) => ({ SLACK_WEBHOOK_URL: url }),
    respond(request, context) {
      if (request.method === "GET" && request.path === "/") {
        return { status: 200, json: { messages: slackMessagesOf(context.requests()) } };
      }
      if (request.method !== "POST" || request.path !== "/") {
        return { status: 405, json: { error: "POST a Slack message" } };
      }
      const message = request.json as { text?: unknown } | undefined;
      if (message === undefined || typeof message !== "object")
        return { status: 400, text: "invalid_payload" };
      if (typeof message.text !== "string" || message.text === "") return { status: 400, text: "no_text" };
      print(
        `slack ▸ ${message.text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")}`,
      );
      return { status: 200, text: "ok" };
    },
  };
}

import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname } from "node:path";
import { readBody, sendJson } from "./http-body";

export interface SinkMessage {
  at: string;
  message: { text?: string; blocks?: unknown[] };
}

/**
 * Stands in for a Slack incoming webhook when SLACK_WEBHOOK_URL is unset: answers like Slack
 * ("ok"), keeps every message (memory + a JSON-lines file that survives restarts) and prints one line.
 */
export function createSlackSink(file: string, print: (line: string) => void) {
  mkdirSync(dirname(file), { recursive: true });
  const messages: SinkMessage[] = [];
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) if (line) messages.push(JSON.parse(line));
  } catch {
    // no earlier messages
  }
  const listeners = new Set<(message: SinkMessage) => void>();

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method === "GET") return sendJson(res, 200, { messages });
    if (req.method !== "POST") return sendJson(res, 405, { error: "POST a Slack message" });
    let message: SinkMessage["message"];
    try {
      message = JSON.parse((await readBody(req, 1024 * 1024)).toString("utf8"));
    } catch {
      res.writeHead(400, { "content-type": "text/plain" }).end("invalid_payload");
      return;
    }
    if (typeof message?.text !== "string" || message.text === "") {
      res.writeHead(400, { "content-type": "text/plain" }).end("no_text");
      return;
    }
    const entry = { at: new Date().toISOString(), message };
    messages.push(entry);
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
    print(`slack ▸ ${message.text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&")}`);
    for (const listener of listeners) listener(entry);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  }

  return {
    handle,
    messages,
    onMessage(listener: (message: SinkMessage) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The two vendors every peer talks to, on loopback, owned by the bench and shared by all peers: the
 * owner file server (`GET {OWNER_BASE_URL}/{lead_id}.json`) and a Slack incoming webhook. Both record
 * every request per lead (time, status answered) and can answer a scripted status first, per lead.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ownerFileFor } from "../lib";

export interface Scripted {
  status: number;
  headers?: Record<string, string>;
}

export interface Attempt {
  at: number;
  status: number;
}

const LEAD_IN_PATH = /\/(lead_[A-Za-z0-9]+)\.json$/;
const LEAD_IN_MESSAGE = /lead_Bench[A-Za-z0-9]+/;

async function listenLoopback(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(handler);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function record(log: Map<string, Attempt[]>, leadId: string, status: number) {
  const attempts = log.get(leadId) ?? [];
  attempts.push({ at: performance.now(), status });
  log.set(leadId, attempts);
}

export interface StandIns {
  ownerBaseUrl: string;
  slackWebhookUrl: string;
  /** Statuses the owner server answers first for a lead, before 200 with its owner file. */
  ownerScript: Map<string, Scripted[]>;
  /** Statuses Slack answers first for a lead's message, before 200. */
  slackScript: Map<string, Scripted[]>;
  ownerAttempts: Map<string, Attempt[]>;
  slackAttempts: Map<string, Attempt[]>;
  /** performance.now() of each accepted (200) Slack message, per lead: more than one is a double. */
  messages: Map<string, number[]>;
  close(): Promise<void>;
}

export async function startStandIns(): Promise<StandIns> {
  const ownerScript = new Map<string, Scripted[]>();
  const slackScript = new Map<string, Scripted[]>();
  const ownerAttempts = new Map<string, Attempt[]>();
  const slackAttempts = new Map<string, Attempt[]>();
  const messages = new Map<string, number[]>();

  const owners = await listenLoopback((req, res) => {
    const leadId = LEAD_IN_PATH.exec(req.url ?? "")?.[1];
    req.resume();
    if (!leadId || req.method !== "GET") return void res.writeHead(404).end();
    const next = ownerScript.get(leadId)?.shift();
    if (next) {
      record(ownerAttempts, leadId, next.status);
      return void res
        .writeHead(next.status, { "content-type": "text/plain", ...next.headers })
        .end("scripted");
    }
    record(ownerAttempts, leadId, 200);
    res.writeHead(200, { "content-type": "application/json" }).end(ownerFileFor(leadId));
  });

  const slack = await listenLoopback(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const leadId = LEAD_IN_MESSAGE.exec(Buffer.concat(chunks).toString("utf8"))?.[0] ?? "unknown";
    const next = slackScript.get(leadId)?.shift();
    if (next) {
      record(slackAttempts, leadId, next.status);
      return void res
        .writeHead(next.status, { "content-type": "text/plain", ...next.headers })
        .end("rate_limited");
    }
    record(slackAttempts, leadId, 200);
    const at = messages.get(leadId) ?? [];
    at.push(performance.now());
    messages.set(leadId, at);
    res.writeHead(200, { "content-type": "text/plain" }).end("ok");
  });

  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    ownerBaseUrl: owners.url,
    slackWebhookUrl: `${slack.url}/services/T0BENCH/B0BENCH/bench`,
    ownerScript,
    slackScript,
    ownerAttempts,
    slackAttempts,
    messages,
    close: async () => {
      await Promise.all([close(owners.server), close(slack.server)]);
    },
  };
}

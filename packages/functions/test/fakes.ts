import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ExecutionStarter,
  type ObjectStore,
  SIGNATURE_HEADER,
  type SlackMessage,
  type StartResult,
  StorageUnavailable,
  signCloseWebhook,
  TIMESTAMP_HEADER,
} from "@leadrelay/core";
import type { Logger } from "../src/log";
import { createSourceIngest, type IngestEvent } from "../src/source-ingest";
import { closeSource } from "../src/sources/close";

export const SECRET = "5f0c1d2e3a4b5c6d7e8f90112233445566778899aabbccddeeff001122334455";
/** A fixed "now" for handlers that take a clock: 5 minutes after the sample leads were created. */
export const NOW = Date.parse("2026-11-20T14:08:11.000Z");
export const clock = () => NOW;

type StoreOperation = "putIfAbsent" | "put" | "get" | "delete";

/** In-memory ObjectStore with a real conditional create, and a switch to make it fail like S3 5xx. */
export class MemoryStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly calls: Array<{ op: StoreOperation; key: string }> = [];
  /** Operations that throw StorageUnavailable; `true` for all of them. */
  failing: boolean | ReadonlySet<StoreOperation> = false;

  private check(op: StoreOperation, key: string): void {
    this.calls.push({ op, key });
    const fails = this.failing === true || (this.failing instanceof Set && this.failing.has(op));
    if (fails) throw new StorageUnavailable(`${op} ${key}: fake S3 is down`);
  }

  async putIfAbsent(key: string, body: string | Uint8Array): Promise<"created" | "exists"> {
    this.check("putIfAbsent", key);
    if (this.objects.has(key)) return "exists";
    this.objects.set(key, Buffer.from(body));
    return "created";
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    this.check("put", key);
    this.objects.set(key, Buffer.from(body));
  }

  async get(key: string): Promise<string | undefined> {
    this.check("get", key);
    return this.objects.get(key)?.toString("utf8");
  }

  async delete(key: string): Promise<void> {
    this.check("delete", key);
    this.objects.delete(key);
  }

  /** The stored bytes, for byte-for-byte comparisons. */
  bytes(key: string): Buffer | undefined {
    return this.objects.get(key);
  }

  text(key: string): string | undefined {
    return this.objects.get(key)?.toString("utf8");
  }

  keys(): string[] {
    return [...this.objects.keys()].sort();
  }
}

/** Records every StartExecution; a name used before answers "duplicate", like ExecutionAlreadyExists. */
export class RecordingStarter implements ExecutionStarter {
  readonly started: Array<{ name: string; input: Record<string, unknown>; executionArn: string }> = [];
  readonly attempts: string[] = [];
  /** When set, `start` throws it (an SFN outage). */
  failWith: Error | undefined;

  async start(name: string, input: Record<string, unknown>): Promise<StartResult> {
    this.attempts.push(name);
    if (this.failWith) throw this.failWith;
    if (this.started.some((execution) => execution.name === name)) return { status: "duplicate" };
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:lead-pipeline:${name}`;
    this.started.push({ name, input: structuredClone(input), executionArn });
    return { status: "started", executionArn };
  }
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface LoopbackServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A real node:http server on 127.0.0.1, port 0: the adapters under test use plain fetch. */
export async function startLoopbackServer(
  handle: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      requests.push(request);
      Promise.resolve(handle(request, res)).catch((error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging requests (the timeout tests) would otherwise keep close() waiting.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** A URL on which nothing listens: a port that was just bound and released. */
export async function unusedUrl(): Promise<string> {
  const server = await startLoopbackServer((_request, response) => {
    response.end();
  });
  await server.close();
  return server.url;
}

/** Slack incoming webhook: answers a scripted status sequence (then 200), records what it accepted. */
export class FakeSlack {
  /** Statuses for the next posts, in order; once used up every post gets 200. */
  script: number[] = [];
  retryAfterSeconds = 3;
  /** Bodies Slack answered 2xx to: the messages a channel would show. */
  readonly messages: SlackMessage[] = [];
  private server: LoopbackServer | undefined;

  async start(): Promise<this> {
    this.server = await startLoopbackServer((request, response) => {
      const status = this.script.shift() ?? 200;
      if (status >= 200 && status < 300) this.messages.push(JSON.parse(request.body) as SlackMessage);
      if (status === 429) response.setHeader("retry-after", String(this.retryAfterSeconds));
      response.statusCode = status;
      response.setHeader("content-type", "text/plain");
      response.end(status === 200 ? "ok" : status === 410 ? "no_service" : `status ${status}`);
    });
    return this;
  }

  get url(): string {
    if (!this.server) throw new Error("FakeSlack not started");
    return this.server.url;
  }

  /** Forgets everything between tests; the server keeps running. */
  reset(): void {
    this.script = [];
    this.retryAfterSeconds = 3;
    this.messages.length = 0;
    this.requests.length = 0;
  }

  /** Every POST that reached Slack, accepted or not. */
  get requests(): RecordedRequest[] {
    return this.server?.requests ?? [];
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}

export type OwnerAnswer = number | "hang" | "bad-json" | { json: unknown };

/**
 * The owner files: `GET /{leadId}.json`. Each lead answers a scripted sequence (then its last
 * answer again); a number is a status (200 serves the lead's file), "hang" never answers.
 */
export class FakeOwnerServer {
  readonly files = new Map<string, unknown>();
  readonly scripts = new Map<string, OwnerAnswer[]>();
  private server: LoopbackServer | undefined;

  async start(): Promise<this> {
    this.server = await startLoopbackServer((request, response) => {
      const leadId = decodeURIComponent(/^\/([^/]+)\.json$/.exec(request.url)?.[1] ?? "");
      const script = this.scripts.get(leadId) ?? [];
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? (this.files.has(leadId) ? 200 : 404);
      if (answer === "hang") return;
      response.setHeader("content-type", "application/json");
      if (answer === "bad-json") {
        response.end('{"lead_id": "lead_');
        return;
      }
      if (typeof answer === "object") {
        response.end(JSON.stringify(answer.json));
        return;
      }
      response.statusCode = answer;
      if (answer === 200) response.end(JSON.stringify(this.files.get(leadId) ?? {}));
      else
        response.end(
          answer === 403 ? "<Error><Code>AccessDenied</Code></Error>" : JSON.stringify({ status: answer }),
        );
    });
    return this;
  }

  get url(): string {
    if (!this.server) throw new Error("FakeOwnerServer not started");
    return this.server.url;
  }

  /** Forgets files, scripts and requests between tests; the server keeps running. */
  reset(): void {
    this.files.clear();
    this.scripts.clear();
    if (this.server) this.server.requests.length = 0;
  }

  requestsFor(leadId: string): RecordedRequest[] {
    return (this.server?.requests ?? []).filter((request) => request.url === `/${leadId}.json`);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}

export interface SignedEventOptions {
  secret?: string;
  /** Seconds since the epoch, as Close sends it; defaults to NOW. */
  timestamp?: string | number;
  /** Extra or replacing headers; `undefined` removes one. */
  headers?: Record<string, string | undefined>;
  method?: string;
  base64?: boolean;
}

/** An API Gateway v2 event for POST /webhook/close with a correct close-sig-hash over the raw bytes. */
export function signedEvent(body: string | Uint8Array, options: SignedEventOptions = {}): IngestEvent {
  const timestamp = String(options.timestamp ?? NOW / 1000);
  const raw = typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body);
  const headers: Record<string, string | undefined> = {
    "content-type": "application/json",
    [SIGNATURE_HEADER]: signCloseWebhook(options.secret ?? SECRET, timestamp, raw),
    [TIMESTAMP_HEADER]: timestamp,
    ...options.headers,
  };
  for (const [name, value] of Object.entries(headers)) if (value === undefined) delete headers[name];
  return {
    body: options.base64 ? raw.toString("base64") : raw.toString("utf8"),
    isBase64Encoded: options.base64 ?? false,
    headers: headers as Record<string, string>,
    requestContext: { http: { method: options.method ?? "POST" } },
  };
}

/** The JSON body of a handler's API Gateway answer. */
export function bodyOf(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? "null") as Record<string, unknown>;
}

/** The Close source's ingest with one subscribed flow (announce), as the stacks wire it. */
export function closeIngest(deps: {
  store: ObjectStore;
  executions: ExecutionStarter;
  secretHex: string;
  clock?: () => number;
  log?: Logger;
  flow?: string;
}) {
  return createSourceIngest({
    source: closeSource,
    store: deps.store,
    flows: [{ flow: deps.flow ?? "announce", executions: deps.executions }],
    secrets: { CLOSE_WEBHOOK_SECRET: deps.secretHex },
    clock: deps.clock,
    log: deps.log,
  });
}

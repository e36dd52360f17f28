import { createWriteStream, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import type { ObjectStore } from "@leadrelay/core";
import { parseRate, type Rate } from "@leadrelay/functions/vendor-budget";
import { BodyTooLarge, readBody } from "../http-body";
import { StandInLimiter } from "./rate-limit";

/**
 * One mechanism for every outbound service the flows call (FLOWS.md): served at
 * `/_local/<slug>/…`, each stand-in records every request (`GET /_local/<slug>/_requests`), answers
 * with the vendor's documented success shape, and can be scripted to fail
 * (`POST /_local/<slug>/_fail`). A vendor is a `StandInSpec`: its slug, the variables the runtime
 * fills when the vendor's base URL is unset, and how it answers.
 */

export interface StandInRequest {
  method: string;
  /** The path after `/_local/<slug>`, always starting with `/`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: Buffer;
  text: string;
  /** The body as JSON, or as an object of form fields; `undefined` when it is neither. */
  json: unknown;
}

export interface StandInReply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON (`text` wins when both are given). */
  json?: unknown;
  text?: string;
}

export interface StandInContext {
  /** `LEADRELAY_STANDIN_DIR/<slug>` when that folder is configured: files a stand-in serves reads from. */
  dataDir?: string;
  /** The runtime's bucket (the Close stand-in reads the stored webhooks). */
  store: ObjectStore;
  /** This stand-in's state, kept across restarts in the runtime's data folder; call `save()` after a change. */
  state: Record<string, unknown>;
  save(): void;
  now(): number;
  /** What this stand-in received most recently (the last REQUESTS_IN_MEMORY; `_requests` has all). */
  requests(): readonly RecordedRequest[];
}

/**
 * How many of its latest requests a stand-in keeps in memory; the rest stay in its request log on
 * disk (`GET /_local/<slug>/_requests` reads them), so memory does not grow with a long run.
 */
export const REQUESTS_IN_MEMORY = 2000;

export interface StandInSpec {
  slug: string;
  /** The vendor, as the console names it. */
  title: string;
  /**
   * Variables the runtime sets when `baseUrlVariable` is unset: the base URL itself (`url` is this
   * stand-in's root), dummy credentials and local defaults (sender, on-call phone, field ids).
   */
  fills?: (url: string) => Record<string, string>;
  /** The variable that points a flow at the real vendor; unset → this stand-in. */
  baseUrlVariable?: string;
  /**
   * Completes the kept state when the stand-in starts, so it begins where a user of stand-ins
   * expects it (the HubSpot stand-in holds the properties the chosen flows write, as after
   * `connect hubspot`). Runs on every start; must leave what is already there alone.
   */
  prepare?(context: StandInContext): void;
  respond(request: StandInRequest, context: StandInContext): StandInReply | Promise<StandInReply>;
}

export interface RecordedRequest {
  id: number;
  at: string;
  method: string;
  path: string;
  query: string;
  /** Credentials blanked out: the console and the listing never show them. */
  headers: Record<string, string>;
  body: unknown;
  status: number;
  /** Answered by a `_fail` script instead of the stand-in. */
  scripted?: boolean;
  /** Refused with the vendor's 429 because the stand-in's limit was reached. */
  throttled?: boolean;
}

export interface FailureScript {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests it answers (default 1). */
  times?: number;
  /** Answer after this long (a slow or hung vendor). */
  delayMs?: number;
  /** Only requests with this method and/or path prefix. */
  method?: string;
  path?: string;
}

/** `POST /_local/<slug>/_fail {"limit": "12/1s"}`: refuse like the vendor beyond it (`null`: no limit). */
export interface LimitScript {
  limit: string | null;
}

const SECRET_HEADER = /authorization|api-key|token|secret|cookie|signature/i;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_DELAY_MS = 120_000;
const STATE_SAVE_DELAY_MS = 200;

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return undefined;
  if (/x-www-form-urlencoded/i.test(contentType ?? "")) return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, reply: StandInReply) {
  const body = reply.text ?? (reply.json === undefined ? "" : JSON.stringify(reply.json));
  const type = reply.text !== undefined ? "text/plain; charset=utf-8" : "application/json";
  res.writeHead(reply.status, {
    ...(body === "" ? {} : { "content-type": type }),
    "content-length": String(Buffer.byteLength(body)),
    ...reply.headers,
  });
  res.end(body);
}

export interface StandIn {
  spec: StandInSpec;
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  requests(): readonly RecordedRequest[];
  onRequest(listener: (request: RecordedRequest) => void): () => void;
  /** Writes what is pending (the last state, the request log) to disk. */
  close(): Promise<void>;
  /** Retention: drops the requests received before `before` (epoch ms) from the log; answers how many. */
  prune(before: number): Promise<number>;
}

export function createStandIn(
  spec: StandInSpec,
  options: {
    dataDir: string;
    standInDir?: string;
    store: ObjectStore;
    now?: () => number;
    /** REQUESTS_IN_MEMORY unless given (tests). */
    requestsInMemory?: number;
    /** Refuse like the vendor beyond this (LEADRELAY_STANDIN_LIMITS). */
    limit?: Rate;
  },
): StandIn {
  const window = options.requestsInMemory ?? REQUESTS_IN_MEMORY;
  const dir = join(options.dataDir, "stand-ins");
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${spec.slug}.jsonl`);
  const stateFile = join(dir, `${spec.slug}.state.json`);
  const now = options.now ?? Date.now;
  const recorded: RecordedRequest[] = [];
  /** Requests in the log file (this run's and earlier ones'): when it exceeds the window, `_requests` reads the file. */
  let logged = 0;
  let lastId = 0;
  try {
    const lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
    logged = lines.length;
    // Only the window is parsed: a restart does not read a long run's whole log into memory.
    for (const line of lines.slice(-window)) recorded.push(JSON.parse(line));
    lastId = recorded.at(-1)?.id ?? 0;
  } catch {
    // nothing recorded yet
  }
  let state: Record<string, unknown> = {};
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8"));
  } catch {
    // first start
  }
  const scripts: FailureScript[] = [];
  const limiter = new StandInLimiter(spec.slug, options.limit, now);
  // The request log is appended in order by one stream: no synchronous disk write on a request's path.
  let log = createWriteStream(logFile, { flags: "a" });
  let saveTimer: NodeJS.Timeout | undefined;
  const writeState = () => {
    saveTimer = undefined;
    const temp = `${stateFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(state));
    renameSync(temp, stateFile);
  };
  const listeners = new Set<(request: RecordedRequest) => void>();
  const context: StandInContext = {
    dataDir: options.standInDir ? join(options.standInDir, spec.slug) : undefined,
    store: options.store,
    state,
    save: () => {
      // Coalesced: a stand-in that keeps state (Close, HubSpot) may change it several times a request;
      // writing the whole state each time would make a long run quadratic. `close()` writes the last one.
      saveTimer ??= setTimeout(writeState, STATE_SAVE_DELAY_MS);
    },
    now,
    requests: () => recorded,
  };
  spec.prepare?.(context);

  function record(request: StandInRequest, status: number, scripted: boolean, throttled = false) {
    lastId += 1;
    const entry: RecordedRequest = {
      id: lastId,
      at: new Date(now()).toISOString(),
      method: request.method,
      path: request.path,
      query: request.query.toString(),
      headers: Object.fromEntries(
        Object.entries(request.headers)
          .filter((entry): entry is [string, string] => entry[1] !== undefined)
          .map(([name, value]) => [name, SECRET_HEADER.test(name) ? "[redacted]" : value]),
      ),
      body: request.json ?? (request.text === "" ? undefined : request.text.slice(0, 10_000)),
      status,
      ...(scripted ? { scripted } : {}),
      ...(throttled ? { throttled } : {}),
    };
    recorded.push(entry);
    if (recorded.length > window) recorded.splice(0, recorded.length - window);
    logged += 1;
    log.write(`${JSON.stringify(entry)}\n`);
    for (const listener of listeners) listener(entry);
  }

  /** Every request in order: the older ones from the log on disk, the window from memory. */
  async function allRecorded(): Promise<RecordedRequest[]> {
    if (logged <= recorded.length) return recorded;
    const firstInMemory = recorded[0]?.id ?? Number.POSITIVE_INFINITY;
    // The log stream writes in order: once this empty write is flushed, every earlier line is on disk.
    await new Promise<void>((resolve) => log.write("", () => resolve()));
    const older: RecordedRequest[] = [];
    for (const line of (await readFile(logFile, "utf8")).split("\n")) {
      if (!line) continue;
      const entry = JSON.parse(line) as RecordedRequest;
      if (entry.id < firstInMemory) older.push(entry);
    }
    return [...older, ...recorded];
  }

  function takeScript(request: StandInRequest): FailureScript | undefined {
    const index = scripts.findIndex(
      (script) =>
        (!script.method || script.method.toUpperCase() === request.method) &&
        (!script.path || request.path.startsWith(script.path)),
    );
    const script = scripts[index];
    if (!script) return undefined;
    script.times = (script.times ?? 1) - 1;
    if (script.times <= 0) scripts.splice(index, 1);
    return script;
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, body: Buffer) {
    if (path === "/_requests") {
      if (req.method === "DELETE") {
        recorded.length = 0;
        logged = 0;
        lastId = 0;
        log.end();
        writeFileSync(logFile, "");
        log = createWriteStream(logFile, { flags: "a" });
        return send(res, { status: 204 });
      }
      return send(res, { status: 200, json: { slug: spec.slug, requests: await allRecorded() } });
    }
    if (req.method === "DELETE") {
      scripts.length = 0;
      limiter.set(undefined);
      return send(res, { status: 204 });
    }
    if (req.method === "GET")
      return send(res, { status: 200, json: { scripts, limit: limiter.limit ?? null } });
    let script: FailureScript;
    try {
      script = JSON.parse(body.toString("utf8")) as FailureScript;
    } catch {
      return send(res, { status: 400, json: { error: "POST a JSON failure script" } });
    }
    if (typeof script === "object" && script !== null && "limit" in script) {
      const { limit } = script as unknown as LimitScript;
      try {
        limiter.set(limit === null ? undefined : parseRate(String(limit), "limit"));
      } catch (error) {
        return send(res, { status: 400, json: { error: (error as Error).message } });
      }
      return send(res, { status: 201, json: { limit: limiter.limit ?? null } });
    }
    if (!Number.isInteger(script.status) || script.status < 100 || script.status > 599) {
      return send(res, { status: 400, json: { error: "status must be an HTTP status" } });
    }
    scripts.push({ ...script, delayMs: Math.min(Math.max(script.delayMs ?? 0, 0), MAX_DELAY_MS) });
    return send(res, { status: 201, json: { scripts } });
  }

  async function prune(before: number): Promise<number> {
    const old = (line: string) => {
      try {
        return Date.parse((JSON.parse(line) as RecordedRequest).at) < before;
      } catch {
        return false;
      }
    };
    // The log is rewritten only once everything written to it is on disk (nothing buffered to lose).
    for (let attempt = 0; attempt < 20; attempt++) {
      await new Promise<void>((resolve) => log.write("", () => resolve()));
      if (log.writableLength > 0) continue;
      let lines: string[];
      try {
        lines = readFileSync(logFile, "utf8").split("\n").filter(Boolean);
      } catch {
        return 0;
      }
      const kept = lines.filter((line) => !old(line));
      const removed = lines.length - kept.length;
      if (removed === 0) return 0;
      const temp = `${logFile}.${process.pid}.tmp`;
      writeFileSync(temp, kept.map((line) => `${line}\n`).join(""));
      renameSync(temp, logFile);
      log.end();
      log = createWriteStream(logFile, { flags: "a" });
      logged = kept.length;
      const firstKept = recorded.findIndex((entry) => Date.parse(entry.at) >= before);
      recorded.splice(0, firstKept === -1 ? recorded.length : firstKept);
      return removed;
    }
    return 0;
  }

  return {
    spec,
    prune,
    requests: () => recorded,
    async close() {
      if (saveTimer) {
        clearTimeout(saveTimer);
        writeState();
      }
      await new Promise<void>((resolve) => log.end(resolve));
    },
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async handle(req, res, path) {
      let body: Buffer;
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        req.resume();
        return send(res, { status: 413, json: { error: "body too large" } });
      }
      const url = new URL(path || "/", "http://stand-in.local");
      if (url.pathname === "/_requests" || url.pathname === "/_fail")
        return control(req, res, url.pathname, body);
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        headers[name] = Array.isArray(value) ? value.join(",") : value;
      }
      const text = body.toString("utf8");
      const request: StandInRequest = {
        method: req.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers,
        body,
        text,
        json: parseBody(text, headers["content-type"]),
      };
      const script = takeScript(request);
      if (script) {
        if (script.delayMs) await new Promise((resolve) => setTimeout(resolve, script.delayMs));
        record(request, script.status, true);
        if (res.destroyed) return;
        return send(res, {
          status: script.status,
          headers: script.headers,
          ...(typeof script.body === "string" ? { text: script.body } : { json: script.body }),
        });
      }
      const admission = limiter.admit(request);
      if ("refuse" in admission) {
        record(request, admission.refuse.status, false, true);
        return send(res, admission.refuse);
      }
      const reply = await spec.respond(request, context);
      record(request, reply.status, false);
      send(res, { ...reply, headers: { ...admission.headers, ...reply.headers } });
    },
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { createS3Store } from "@leadrelay/functions";
import { regionOfArn } from "./aws-console-links";
import type { ConsoleDeps } from "./console-deps";
import { leadPage, listPage, notFoundPage, type PageContext } from "./console-pages";
import { loadLeadDetail } from "./lead-detail";
import { BadCursor, LeadList } from "./lead-list";
import { redriveLead, replayLead } from "./lead-operations";
import { createActionGuard, isLoopbackHost } from "./request-guard";
import { isLeadStatus } from "./row-status";
import { createHoldReader } from "./state-machine-holds";
import { loadAssets } from "./static-assets";

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-resource-policy": "same-origin",
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": type,
    "content-length": String(Buffer.byteLength(body)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(body));
}

/** AWS SDK and facade errors as the page shows them: the error's name and message, nothing else. */
function apiError(res: ServerResponse, error: unknown) {
  const name = error instanceof Error ? error.name : "Error";
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof BadCursor) return sendJson(res, 400, { error: name, message });
  const status = /NotRedrivable|AlreadyExists|NotRunning/.test(name) ? 409 : 502;
  return sendJson(res, status, { error: name, message });
}

function pageSizeOf(value: string | null): number {
  const size = Number(value ?? DEFAULT_PAGE_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/**
 * The lead console: `GET /console` (list), `/console/lead/<execution>` (one lead), its
 * assets and a JSON API under `/console/api/`. Answers only for paths under /console (the
 * caller routes the rest) and only to requests addressed to loopback.
 */
export function createConsole(deps: ConsoleDeps): ConsoleHandler {
  const clock = deps.clock ?? Date.now;
  const target = { sfn: deps.sfn, stateMachineArn: deps.stateMachineArn };
  const store = deps.store ?? createS3Store(deps.s3, deps.bucket);
  const holds = createHoldReader(deps.sfn, deps.stateMachineArn);
  const region = deps.region ?? regionOfArn(deps.stateMachineArn);
  // Fewer calls in flight against AWS: GetExecutionHistory and ListExecutions are throttled per account.
  const list = new LeadList({ target, store, holds, clock, concurrency: deps.mode === "aws" ? 8 : 16 });
  const guard = createActionGuard();
  const assets = loadAssets();
  const pollSeconds = deps.pollSeconds ?? (deps.mode === "aws" ? 10 : 3);
  const context: PageContext = {
    token: guard.token,
    mode: deps.mode,
    label: deps.label ?? (deps.mode === "local" ? "local runtime" : `AWS ${region ?? ""}`.trim()),
    pollSeconds,
  };
  const html = (res: ServerResponse, status: number, body: string) =>
    send(res, status, "text/html; charset=utf-8", body);

  async function api(req: IncomingMessage, res: ServerResponse, path: string, url: URL) {
    if (path === "leads") {
      if (req.method !== "GET") return sendJson(res, 405, { error: "MethodNotAllowed", message: "use GET" });
      const status = url.searchParams.get("status") || undefined;
      if (status !== undefined && !isLeadStatus(status)) {
        return sendJson(res, 400, { error: "BadStatus", message: `unknown status ${status}` });
      }
      const page = await list.page({
        status,
        q: (url.searchParams.get("q") ?? "").slice(0, 200),
        pageSize: pageSizeOf(url.searchParams.get("pageSize")),
        cursor: url.searchParams.get("cursor")?.slice(0, 4096) || undefined,
      });
      return sendJson(res, 200, { ...page, serverNow: clock(), pollSeconds, mode: deps.mode });
    }
    const match = /^leads\/([^/]+)(?:\/(redrive|replay))?$/.exec(path);
    const name = match?.[1];
    if (!match || !name || !EXECUTION_NAME.test(name)) {
      return sendJson(res, 404, { error: "NotFound", message: `no API route ${path}` });
    }
    const action = match[2];
    if (!action) {
      if (req.method !== "GET") return sendJson(res, 405, { error: "MethodNotAllowed", message: "use GET" });
      const detail = await loadLeadDetail(
        { target, store, holds, mode: deps.mode, region, slackMessages: deps.slackMessages },
        name,
      );
      if (!detail)
        return sendJson(res, 404, { error: "ExecutionDoesNotExist", message: `no execution named ${name}` });
      return sendJson(res, 200, { ...detail, serverNow: clock(), pollSeconds, mode: deps.mode });
    }
    if (req.method !== "POST") return sendJson(res, 405, { error: "MethodNotAllowed", message: "use POST" });
    const refused = guard.check(req);
    if (refused) return sendJson(res, 403, { error: "Forbidden", message: refused });
    list.forget(name);
    if (action === "redrive") {
      const redriveDate = await redriveLead(target, name);
      return sendJson(res, 200, { name, redriveDate: redriveDate?.getTime() });
    }
    const replay = await replayLead(target, name, clock());
    return sendJson(res, 201, { ...replay, url: `/console/lead/${replay.name}` });
  }

  return async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname;
    if (path !== "/console" && !path.startsWith("/console/")) return false;
    if (!isLoopbackHost(req.headers.host, req.socket.localPort)) {
      send(res, 403, "text/plain; charset=utf-8", "The console answers only to 127.0.0.1 / localhost.\n");
      return true;
    }
    if (path.startsWith("/console/api/")) {
      try {
        await api(req, res, path.slice("/console/api/".length), url);
      } catch (error) {
        apiError(res, error);
      }
      return true;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain; charset=utf-8", "GET only\n", { allow: "GET" });
      return true;
    }
    if (path === "/console" || path === "/console/") {
      html(res, 200, listPage(context));
      return true;
    }
    if (path.startsWith("/console/assets/")) {
      const asset = assets.get(path.slice("/console/assets/".length));
      if (!asset) {
        send(res, 404, "text/plain; charset=utf-8", "no such asset\n");
      } else if (req.headers["if-none-match"] === asset.etag) {
        res.writeHead(304, { etag: asset.etag }).end();
      } else {
        send(res, 200, asset.type, asset.body, { etag: asset.etag, "cache-control": "no-cache" });
      }
      return true;
    }
    const name = /^\/console\/lead\/([^/]+)$/.exec(path)?.[1];
    if (name && EXECUTION_NAME.test(name)) {
      html(res, 200, leadPage(context, name));
      return true;
    }
    html(res, 404, notFoundPage(context, `Nothing at ${path}.`));
    return true;
  };
}

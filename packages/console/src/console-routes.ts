import type { IncomingMessage, ServerResponse } from "node:http";
import { businessKeyOfExecutionName, isValidLeadId } from "@leadrelay/core";
import { createS3Store } from "@leadrelay/functions";
import { regionOfArn } from "./aws-console-links";
import type { ConsoleDeps } from "./console-deps";
import { ANNOUNCE, chooseFlows, consoleFlows, type FlowTarget, UnknownFlow } from "./console-flows";
import {
  leadPage,
  listPage,
  notFoundPage,
  type PageContext,
  rejectedPage,
  standInsPage,
} from "./console-pages";
import { ExecutionDetails } from "./execution-detail";
import { BadCursor, ExecutionList } from "./execution-list";
import { loadKeyDetail } from "./key-detail";
import { loadLeadExtras } from "./lead-detail";
import { executionArnOf, findExecution, redriveExecution, replayExecution } from "./lead-operations";
import { isRejectedKey, listRejectedDeliveries } from "./rejected-deliveries";
import { ReplayFinder } from "./replay-finder";
import { createActionGuard, isLoopbackHost } from "./request-guard";
import { isLeadStatus } from "./row-status";
import { standInViews } from "./stand-in-log";
import { createHoldReader } from "./state-machine-holds";
import { loadAssets } from "./static-assets";

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FLOW_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
/** A cursor holds one ListExecutions nextToken per flow. */
const MAX_CURSOR = 12_000;
/** Largest rejected body the console sends back (sources take at most a few MiB). */
const MAX_REJECTED_BODY = 5 * 1024 * 1024;

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
  if (error instanceof BadCursor || error instanceof UnknownFlow)
    return sendJson(res, 400, { error: name, message });
  const status = /NotRedrivable|AlreadyExists|NotRunning|ReplayInputUnreadable/.test(name) ? 409 : 502;
  return sendJson(res, status, { error: name, message });
}

function pageSizeOf(value: string | null): number {
  const size = Number(value ?? DEFAULT_PAGE_SIZE);
  return Number.isInteger(size) && size >= 1 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
}

/** The page of a business key: lead ids keep their `/console/lead/` address. */
export function keyPageUrl(name: string, flow?: string): string {
  const base = isValidLeadId(businessKeyOfExecutionName(name)) ? "/console/lead/" : "/console/key/";
  return `${base}${name}${flow ? `?flow=${encodeURIComponent(flow)}` : ""}`;
}

/**
 * The console: `GET /console` (every flow's executions), `/console/lead/<name>` and
 * `/console/key/<name>` (a business key: every flow's executions of it), `/console/stand-ins`
 * (local), `/console/rejected`, their assets and a JSON API under `/console/api/`. Answers only
 * for paths under /console (the caller routes the rest) and only to requests addressed to loopback.
 */
export function createConsole(deps: ConsoleDeps): ConsoleHandler {
  const clock = deps.clock ?? Date.now;
  const flows: FlowTarget[] = consoleFlows(deps).map((flow) => ({ ...flow, sfn: deps.sfn }));
  const store = deps.store ?? createS3Store(deps.s3, deps.bucket);
  const holdReaders = new Map(
    flows.map((flow) => [flow.id, createHoldReader(deps.sfn, flow.stateMachineArn)]),
  );
  const holds = (flow: string) => holdReaders.get(flow)?.() ?? Promise.resolve(() => undefined);
  const region = deps.region ?? regionOfArn(flows[0]?.stateMachineArn ?? "");
  // Fewer calls in flight against AWS: GetExecutionHistory and ListExecutions are throttled per account.
  const list = new ExecutionList({ flows, store, holds, clock, concurrency: deps.mode === "aws" ? 8 : 16 });
  const details = new ExecutionDetails({ mode: deps.mode, region, holds, store });
  const replays = new ReplayFinder();
  const guard = createActionGuard();
  const assets = loadAssets();
  const pollSeconds = deps.pollSeconds ?? (deps.mode === "aws" ? 10 : 3);
  const context: PageContext = {
    token: guard.token,
    mode: deps.mode,
    label: deps.label ?? (deps.mode === "local" ? "local runtime" : `AWS ${region ?? ""}`.trim()),
    pollSeconds,
    flows: flows.map(({ id, title }) => ({ id, title })),
  };
  const html = (res: ServerResponse, status: number, body: string) =>
    send(res, status, "text/html; charset=utf-8", body);
  const answer = (res: ServerResponse, body: Record<string, unknown>) =>
    sendJson(res, 200, { ...body, serverNow: clock(), pollSeconds, mode: deps.mode });
  const flowParam = (url: URL) => {
    const flow = url.searchParams.get("flow") || undefined;
    if (flow !== undefined && !FLOW_ID.test(flow)) throw new UnknownFlow(`no flow ${flow.slice(0, 64)}`);
    return flow;
  };

  /** The flow whose execution `name` an old-style `/api/leads/<name>` call means: asked, else announce's, else any. */
  async function flowOfExecution(name: string, asked: string | undefined): Promise<FlowTarget | undefined> {
    if (asked) return chooseFlows(flows, asked)[0];
    const ordered = [...flows].sort((a, b) => Number(b.id === ANNOUNCE) - Number(a.id === ANNOUNCE));
    for (const flow of ordered) if (await findExecution(flow, name)) return flow;
    return undefined;
  }

  async function act(res: ServerResponse, flow: FlowTarget, name: string, action: string) {
    list.forget(executionArnOf(flow.stateMachineArn, name));
    if (action === "redrive") {
      const redriveDate = await redriveExecution(flow, name);
      return sendJson(res, 200, { flow: flow.id, name, redriveDate: redriveDate?.getTime() });
    }
    const replay = await replayExecution(flow, name, { now: clock() });
    return sendJson(res, 201, { ...replay, flow: flow.id, url: keyPageUrl(replay.name, flow.id) });
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, url: URL) {
    const method = req.method ?? "GET";
    const onlyGet = () => sendJson(res, 405, { error: "MethodNotAllowed", message: "use GET" });
    if (path === "leads" || path === "executions") {
      if (method !== "GET") return onlyGet();
      const status = url.searchParams.get("status") || undefined;
      if (status !== undefined && !isLeadStatus(status)) {
        return sendJson(res, 400, { error: "BadStatus", message: `unknown status ${status}` });
      }
      const page = await list.page({
        flow: flowParam(url),
        status,
        q: (url.searchParams.get("q") ?? "").slice(0, 200),
        pageSize: pageSizeOf(url.searchParams.get("pageSize")),
        cursor: url.searchParams.get("cursor")?.slice(0, MAX_CURSOR) || undefined,
      });
      return answer(res, { ...page });
    }
    if (path === "flows") {
      if (method !== "GET") return onlyGet();
      return answer(res, { flows: context.flows });
    }
    if (path === "stand-ins") {
      if (method !== "GET") return onlyGet();
      if (!deps.standIns) {
        return sendJson(res, 404, {
          error: "NotFound",
          message: "stand-ins exist only in the local runtime",
        });
      }
      return answer(res, { standIns: standInViews(deps.standIns()) });
    }
    if (path === "rejected") {
      if (method !== "GET") return onlyGet();
      const known = flows.map((flow) => flow.source).filter((source): source is string => !!source);
      return answer(res, { sources: await listRejectedDeliveries(deps.s3, deps.bucket, known) });
    }
    if (path === "rejected/body") {
      if (method !== "GET") return onlyGet();
      const key = url.searchParams.get("key") ?? "";
      if (!isRejectedKey(key)) {
        return sendJson(res, 400, { error: "BadKey", message: "not a key under sources/<source>/rejected/" });
      }
      const body = await store.get(key);
      if (body === undefined) return sendJson(res, 404, { error: "NoSuchKey", message: `no object ${key}` });
      // Plain text, never rendered: a hostile body stays text in the browser.
      return send(res, 200, "text/plain; charset=utf-8", body.slice(0, MAX_REJECTED_BODY), {
        "content-disposition": "inline",
      });
    }
    const key = /^keys\/([^/]+)$/.exec(path)?.[1];
    if (key !== undefined) {
      if (!EXECUTION_NAME.test(key)) return sendJson(res, 404, { error: "NotFound", message: "not a key" });
      if (method !== "GET") return onlyGet();
      const detail = await loadKeyDetail(
        { flows, store, details, replays, slackMessages: deps.slackMessages },
        key,
        flowParam(url),
      );
      if (!detail) {
        return sendJson(res, 404, {
          error: "ExecutionDoesNotExist",
          message: `no flow has an execution of ${key}`,
        });
      }
      return answer(res, { ...detail });
    }
    const scoped = /^flows\/([^/]+)\/executions\/([^/]+)\/(redrive|replay)$/.exec(path);
    const legacy = /^leads\/([^/]+)(?:\/(redrive|replay))?$/.exec(path);
    const name = scoped?.[2] ?? legacy?.[1];
    if ((!scoped && !legacy) || !name || !EXECUTION_NAME.test(name)) {
      return sendJson(res, 404, { error: "NotFound", message: `no API route ${path}` });
    }
    const action = scoped?.[3] ?? legacy?.[2];
    const askedFlow = scoped ? scoped[1] : flowParam(url);
    if (!action) {
      // One execution as the lead view showed it before flows (announce's by default).
      if (method !== "GET") return onlyGet();
      const flow = await flowOfExecution(name, askedFlow);
      const described = flow ? await findExecution(flow, name) : undefined;
      if (!flow || !described) {
        return sendJson(res, 404, { error: "ExecutionDoesNotExist", message: `no execution named ${name}` });
      }
      const detail = await details.load(flow, described);
      const leadId = businessKeyOfExecutionName(name);
      const extras = isValidLeadId(leadId)
        ? await loadLeadExtras(store, leadId, deps.slackMessages)
        : undefined;
      return answer(res, {
        ...detail,
        ...(extras
          ? { leadId, lead: extras.lead, records: extras.records, slackSink: extras.slackSink }
          : {}),
        links: { ...detail.links, ...extras?.links },
      });
    }
    if (method !== "POST") return sendJson(res, 405, { error: "MethodNotAllowed", message: "use POST" });
    const refused = guard.check(req);
    if (refused) return sendJson(res, 403, { error: "Forbidden", message: refused });
    const flow = await flowOfExecution(name, askedFlow);
    if (!flow)
      return sendJson(res, 404, { error: "ExecutionDoesNotExist", message: `no execution named ${name}` });
    return act(res, flow, name, action);
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
    if (path === "/console/stand-ins" && deps.standIns) {
      html(res, 200, standInsPage(context));
      return true;
    }
    if (path === "/console/rejected") {
      html(res, 200, rejectedPage(context));
      return true;
    }
    const name = /^\/console\/(?:lead|key)\/([^/]+)$/.exec(path)?.[1];
    if (name && EXECUTION_NAME.test(name)) {
      const flow = url.searchParams.get("flow") ?? undefined;
      html(res, 200, leadPage(context, name, flow && FLOW_ID.test(flow) ? flow : undefined));
      return true;
    }
    html(res, 404, notFoundPage(context, `Nothing at ${path}.`));
    return true;
  };
}

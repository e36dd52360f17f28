import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../http-body";
import type { RequestHandler } from "./types";

/** Answers a path or passes (`undefined`): a source's webhook, a loopback AWS endpoint, a stand-in. */
export type PathRoute = (path: string) => RequestHandler | undefined;

export interface RuntimeRoutes {
  /** Tried in order, the first that takes the path answers. */
  mounts: readonly PathRoute[];
  /** `GET /metrics` (Prometheus). */
  metrics: RequestHandler;
  /** `GET /_leadrelay/settings` for `leadrelay doctor` (secrets only named). */
  settingsView: () => unknown;
  /** Running executions of every flow, for `/healthz`. */
  runningCount: () => number;
  /** The console under /console, when mounted: true when it answered. */
  console?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/** The 404 text: only the first two segments, since a webhook path can carry a secret (LGM's token). */
export function noRouteMessage(method: string | undefined, path: string): string {
  const segments = path.split("/");
  return `no route for ${method} ${segments.slice(0, 3).join("/").slice(0, 80)}${segments.length > 3 ? "/…" : ""}`;
}

/**
 * Every path of the runtime's one server: the mounted parts first (webhooks, `/_aws/*`,
 * `/_local/<stand-in>`), then `/metrics`, `/_leadrelay/settings`, `/healthz`, `/` (to the console),
 * the console, and a 404 naming the route.
 */
export function runtimeRoutes(routes: RuntimeRoutes): RequestHandler {
  return async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    for (const mount of routes.mounts) {
      const handler = mount(path);
      if (handler) return handler(req, res);
    }
    if (path === "/metrics") return routes.metrics(req, res);
    if (path === "/_leadrelay/settings") return sendJson(res, 200, routes.settingsView());
    if (path === "/healthz") {
      return sendJson(res, 200, {
        ok: true,
        running: routes.runningCount(),
        heapMB: Math.round(process.memoryUsage().heapUsed / 1024 / 102.4) / 10,
      });
    }
    if (path === "/") {
      res.writeHead(302, { location: "/console" }).end();
      return;
    }
    if (routes.console && (await routes.console(req, res))) return;
    sendJson(res, 404, { error: noRouteMessage(req.method, path) });
  };
}

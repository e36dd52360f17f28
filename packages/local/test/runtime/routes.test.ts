import { afterEach, describe, expect, it } from "vitest";
import { noRouteMessage, runtimeRoutes } from "../../src/runtime/routes";
import { type RuntimeServer, startServer } from "../../src/runtime/server";
import type { RequestHandler } from "../../src/runtime/types";

const text =
  (body: string): RequestHandler =>
  async (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).end(body);
  };

let server: RuntimeServer;
afterEach(() => server.close());

async function serve(routes: Partial<Parameters<typeof runtimeRoutes>[0]> = {}) {
  server = await startServer(0, () => {});
  server.serve(
    runtimeRoutes({
      mounts: [],
      metrics: text("# metrics"),
      settingsView: () => ({ settings: { PORT: "0" } }),
      runningCount: () => 7,
      ...routes,
    }),
  );
  return (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, { redirect: "manual", ...init });
}

describe("the runtime's routes", () => {
  it("asks the mounted parts first, in order, the first that takes a path answers", async () => {
    const get = await serve({
      mounts: [
        (path) => (path.startsWith("/webhook/") ? text("webhook") : undefined),
        (path) => (path.startsWith("/") ? text("catch-all") : undefined),
      ],
    });
    expect(await (await get("/webhook/close?x=1")).text()).toBe("webhook");
    expect(await (await get("/_local/slack")).text()).toBe("catch-all");
  });

  it("serves /metrics, the settings for doctor, /healthz and / to the console", async () => {
    const get = await serve();
    expect(await (await get("/metrics")).text()).toBe("# metrics");
    expect(await (await get("/_leadrelay/settings")).json()).toEqual({ settings: { PORT: "0" } });
    const health = (await (await get("/healthz")).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, running: 7 });
    expect(typeof health.heapMB).toBe("number");
    const root = await get("/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console");
  });

  it("hands the console what no part took, and answers 404 for what it does not take", async () => {
    const seen: string[] = [];
    const get = await serve({
      console: async (req, res) => {
        seen.push(req.url ?? "");
        if (!req.url?.startsWith("/console")) return false;
        res.writeHead(200).end("console");
        return true;
      },
    });
    expect(await (await get("/console?flow=triage")).text()).toBe("console");
    const missing = await get("/nothing/here", { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no route for DELETE /nothing/here" });
    expect(seen).toEqual(["/console?flow=triage", "/nothing/here"]);
  });

  it("never echoes more than two segments of a path that has no route (a webhook path can carry a token)", () => {
    expect(noRouteMessage("POST", "/webhook/lgm/secret-token")).toBe("no route for POST /webhook/lgm/…");
    expect(noRouteMessage("GET", "/a")).toBe("no route for GET /a");
    expect(noRouteMessage("GET", `/${"x".repeat(200)}`)).toHaveLength("no route for GET ".length + 80);
  });
});

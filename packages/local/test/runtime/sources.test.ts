import { createLogger } from "@leadrelay/functions";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalStepFunctions } from "../../src/local-step-functions";
import { chooseFlows } from "../../src/runtime/flows";
import { type RuntimeServer, startServer } from "../../src/runtime/server";
import { mountSources, routeMatcher } from "../../src/runtime/sources";

describe("a source's route keys as path matchers", () => {
  it("matches the path exactly and hands over the parameters percent-decoded", () => {
    const lgm = routeMatcher("POST /webhook/lgm/{token}");
    expect(lgm("/webhook/lgm/abc%2Bdef")).toEqual({ token: "abc+def" });
    expect(lgm("/webhook/lgm/")).toBeUndefined();
    expect(lgm("/webhook/lgm/a/b")).toBeUndefined();
    expect(routeMatcher("POST /webhook/close")("/webhook/close")).toEqual({});
    expect(routeMatcher("POST /webhook/close")("/webhook/closeX")).toBeUndefined();
  });

  it("passes a segment that does not decode as it came (a 404 later, never a 500)", () => {
    expect(routeMatcher("POST /webhook/lgm/{token}")("/webhook/lgm/%ZZ")).toEqual({ token: "%ZZ" });
  });

  it("takes the route's dots and brackets literally", () => {
    expect(routeMatcher("GET /a.b")("/aXb")).toBeUndefined();
    expect(routeMatcher("GET /a.b")("/a.b")).toEqual({});
  });
});

let server: RuntimeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the sources part", () => {
  const kit = {
    log: createLogger("test", { level: "silent" }),
    aws: () => ({ endpoint: "http://127.0.0.1:9", region: "us-east-1" }),
  };
  const engines = {
    announce: { stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:leadrelay-local" },
    "meta-leads": { stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:m" },
  } as unknown as Record<string, LocalStepFunctions>;

  it("mounts each chosen flow's source once, at its webhook URL, and counts every answer", async () => {
    server = await startServer(0, () => {});
    const answers: Array<[string, number, string | undefined]> = [];
    const printed: string[] = [];
    const sources = await mountSources(chooseFlows({ LEADRELAY_FLOWS: "announce,meta-leads" }), {
      settings: { CLOSE_WEBHOOK_SECRET: "abcd", META_VERIFY_TOKEN: "v", META_APP_SECRET: "s" },
      engines,
      kit,
      url: server.url,
      print: (line) => printed.push(line),
      onAnswer: (source, status, outcome) => answers.push([source, status, outcome]),
    });
    expect(sources.webhooks).toEqual({
      close: `${server.url}/webhook/close`,
      meta: `${server.url}/webhook/meta`,
    });
    expect(sources.route("/webhook/lgm/x")).toBeUndefined();
    expect(sources.route("/webhook/close")).toBeDefined();

    const route = sources.route;
    server.serve(async (req, res) => {
      const handler = route((req.url ?? "/").split("?")[0] ?? "/");
      if (handler) return handler(req, res);
      res.writeHead(404).end();
    });
    // Unsigned: refused before anything is stored or started.
    const refused = await fetch(`${server.url}/webhook/close`, { method: "POST", body: "{}" });
    expect(refused.status).toBe(401);
    // Meta's subscription handshake: answered with the challenge.
    const handshake = await fetch(
      `${server.url}/webhook/meta?hub.mode=subscribe&hub.verify_token=v&hub.challenge=42`,
    );
    expect(handshake.status).toBe(200);
    expect(await handshake.text()).toBe("42");
    expect(answers.map(([source, status]) => [source, status])).toEqual([
      ["close", 401],
      ["meta", 200],
    ]);
    expect(printed).toEqual([]);
  });
});

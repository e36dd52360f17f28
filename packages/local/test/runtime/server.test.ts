import { afterEach, describe, expect, it } from "vitest";
import { type RuntimeServer, startServer } from "../../src/runtime/server";

let server: RuntimeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the runtime's one server", () => {
  it("listens on loopback and answers 503 until its routes are in place", async () => {
    server = await startServer(0, () => {});
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const early = await fetch(`${server.url}/anything`);
    expect(early.status).toBe(503);
    expect(await early.json()).toEqual({ error: "starting" });

    server.serve(async (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" }).end(`served ${req.url}`);
    });
    const served = await fetch(`${server.url}/x?y=1`);
    expect(await served.text()).toBe("served /x?y=1");
  });

  it("answers 500 for a route that throws, and prints why", async () => {
    const printed: string[] = [];
    server = await startServer(0, (line) => printed.push(line));
    server.serve(async () => {
      throw new Error("disk on fire");
    });
    const answer = await fetch(`${server.url}/`);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toEqual({ error: "internal error" });
    expect(printed).toEqual(["leadrelay: request failed: disk on fire"]);
  });

  it("closes with a keep-alive connection still open", async () => {
    server = await startServer(0, () => {});
    server.serve(async (_req, res) => {
      res.writeHead(200, { connection: "keep-alive" }).end("ok");
    });
    await (await fetch(`${server.url}/`)).text();
    await server.close();
    const url = server.url;
    server = undefined;
    await expect(fetch(url)).rejects.toThrow();
  });

  it("fails to start on a port that is taken", async () => {
    server = await startServer(0, () => {});
    await expect(startServer(server.port, () => {})).rejects.toThrow(/EADDRINUSE/);
  });
});

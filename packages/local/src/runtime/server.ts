import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sendJson } from "../http-body";
import type { Print, RequestHandler } from "./types";

export interface RuntimeServer {
  port: number;
  url: string;
  /** Routes requests to `handler` from now on (until then every request is answered 503 "starting"). */
  serve(handler: RequestHandler): void;
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the local runtime is never reachable from the network.
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * The runtime's one HTTP server on 127.0.0.1: it listens first (the parts need its URL) and answers
 * 503 until the routes are in place; a handler that throws answers 500 (or ends the connection when
 * the answer had begun) and is printed.
 */
export async function startServer(port: number, print: Print): Promise<RuntimeServer> {
  let route: RequestHandler = async (_req, res) => sendJson(res, 503, { error: "starting" });
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      print(`leadrelay: request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const bound = await listen(server, port);
  return {
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    serve(handler) {
      route = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

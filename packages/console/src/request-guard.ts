import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The console only answers requests addressed to loopback by name: a page on another site
 * whose DNS name was rebound to 127.0.0.1 sends its own Host and gets nothing.
 */
export function isLoopbackHost(host: string | undefined, port: number | undefined): boolean {
  if (!host) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host.toLowerCase());
  if (!match || !LOOPBACK_NAMES.has(match[1] ?? "")) return false;
  return port === undefined || match[2] === undefined || Number(match[2]) === port;
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Mutating requests (redrive, replay) must come from the console's own page: it sends the
 * per-process token from its `<meta>` in a header, which a cross-site form cannot set and a
 * cross-site script cannot read; Origin and Sec-Fetch-Site, when the browser sends them, must agree.
 */
export function createActionGuard(token = randomBytes(24).toString("base64url")) {
  return {
    token,
    check(req: IncomingMessage): string | undefined {
      const given = req.headers["x-console-token"];
      if (typeof given !== "string" || !sameToken(given, token)) return "missing or wrong console token";
      const site = req.headers["sec-fetch-site"];
      if (site !== undefined && site !== "same-origin") return `cross-site request (${String(site)})`;
      const origin = req.headers.origin;
      if (origin !== undefined) {
        let host: string;
        try {
          host = new URL(origin).host;
        } catch {
          return "unreadable Origin";
        }
        if (host !== req.headers.host) return `request from another origin (${origin})`;
      }
      return undefined;
    },
  };
}

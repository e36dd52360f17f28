import type { IncomingHttpHeaders } from "node:http";
import { type RecordedRequest, startLoopbackServer } from "../fakes";

/** One answer of a fake vendor: a status with headers and a JSON (or text) body, or no answer at all. */
export interface VendorAnswer {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  text?: string;
  /** Never answer (a hung vendor, for the timeout cases). */
  hang?: boolean;
}

/**
 * A vendor on 127.0.0.1 speaking its wire format: the queued answers first, then `fallback`.
 * Tests read the exact requests it received (method, path, headers, raw body).
 */
export async function startVendorServer(fallback: (request: RecordedRequest) => VendorAnswer) {
  const queue: VendorAnswer[] = [];
  const server = await startLoopbackServer((request, response) => {
    const answer = queue.shift() ?? fallback(request);
    if (answer.hang) return;
    const body = answer.text ?? (answer.json === undefined ? "" : JSON.stringify(answer.json));
    response.writeHead(answer.status, {
      ...(body === ""
        ? {}
        : { "content-type": answer.text === undefined ? "application/json" : "text/plain" }),
      ...answer.headers,
    });
    response.end(body);
  });
  return {
    url: server.url,
    requests: server.requests,
    /** Answers for the next requests, in order. */
    next(...answers: VendorAnswer[]) {
      queue.push(...answers);
    },
    reset() {
      queue.length = 0;
      server.requests.length = 0;
    },
    /** The only request received so far (fails the test when there were others). */
    only(): RecordedRequest {
      if (server.requests.length !== 1) throw new Error(`expected 1 request, got ${server.requests.length}`);
      return server.requests[0] as RecordedRequest;
    },
    close: () => server.close(),
  };
}

export type VendorServer = Awaited<ReturnType<typeof startVendorServer>>;

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

/** The error a promise rejects with (fails when it resolves). */
export async function failureOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected the call to fail");
}

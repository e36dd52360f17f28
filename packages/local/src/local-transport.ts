import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/**
 * The embedded AWS services (S3, Step Functions) as plain functions of a request, so one core serves
 * two transports: the loopback HTTP endpoints (CLI, console, anything outside the process) and an
 * in-process AWS SDK request handler (the handlers' own clients: same serialization, signing and
 * error parsing as over HTTP, no socket).
 */
export interface LocalRequest {
  method: string;
  /** URI-encoded, without the service's mount point (`/leadrelay-local/a%20b.json`). */
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

export interface LocalResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | string;
}

export type LocalService = (request: LocalRequest) => Promise<LocalResponse>;

export interface ServiceLimits {
  /** The largest body the service reads. */
  maxBodyBytes: number;
  /** The service's own answer to a larger body. */
  tooLarge: () => LocalResponse;
}

class TooLarge extends Error {}

async function collect(chunks: AsyncIterable<unknown>, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const part = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    size += part.length;
    if (size > limit) throw new TooLarge();
    parts.push(part);
  }
  return Buffer.concat(parts);
}

function lowerCased(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return result;
}

const bodyLength = (body: LocalResponse["body"]) =>
  body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.length;

/** Serves `service` on a node:http request whose `url` is already relative to the service's mount point. */
export async function serveHttp(
  service: LocalService,
  limits: ServiceLimits,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://local");
  const headers = lowerCased(req.headers);
  let response: LocalResponse;
  const declared = Number(headers["content-length"]);
  try {
    if (Number.isFinite(declared) && declared > limits.maxBodyBytes) throw new TooLarge();
    const body = await collect(req, limits.maxBodyBytes);
    response = await service({
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers,
      body,
    });
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    req.resume();
    response = limits.tooLarge();
  }
  res.writeHead(response.status, {
    "content-length": String(bodyLength(response.body)),
    ...response.headers,
  });
  res.end(req.method === "HEAD" ? undefined : response.body);
}

/** What the AWS SDK hands its request handler (smithy `HttpRequest`), as far as this module reads it. */
interface SdkRequest {
  method: string;
  path: string;
  query?: Record<string, string | Array<string | null> | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/**
 * A smithy `HttpHandler` over `service`: pass it as an AWS SDK client's `requestHandler`. `mount` is
 * the endpoint's path (`/_aws/s3`), removed before the service sees the path. The response body is
 * a stream, as the SDK's Node handler gives it (GetObject's `Body` keeps its stream mixins).
 */
export function inProcessHandler(service: LocalService, limits: ServiceLimits, mount = "") {
  return {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: SdkRequest, options: { abortSignal?: AbortSignal } = {}) {
      if (options.abortSignal?.aborted) {
        const error = new Error("Request aborted");
        error.name = "AbortError";
        throw error;
      }
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(request.query ?? {})) {
        if (value === null) query.append(name, "");
        else if (Array.isArray(value)) for (const item of value) query.append(name, item ?? "");
        else query.append(name, value);
      }
      let response: LocalResponse;
      try {
        const body = await bodyOf(request.body, limits.maxBodyBytes);
        response = await service({
          method: request.method,
          path: request.path.startsWith(mount) ? request.path.slice(mount.length) || "/" : request.path,
          query,
          headers: lowerCased(request.headers),
          body,
        });
      } catch (error) {
        if (!(error instanceof TooLarge)) throw error;
        response = limits.tooLarge();
      }
      const payload = request.method === "HEAD" || response.body === undefined ? [] : [response.body];
      return {
        response: {
          statusCode: response.status,
          headers: { "content-length": String(bodyLength(response.body)), ...response.headers },
          body: Readable.from(payload.map((part) => (typeof part === "string" ? Buffer.from(part) : part))),
        },
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}

export type InProcessHandler = ReturnType<typeof inProcessHandler>;

async function bodyOf(body: unknown, limit: number): Promise<Buffer> {
  if (typeof (body as AsyncIterable<unknown> | undefined)?.[Symbol.asyncIterator] === "function")
    return collect(body as AsyncIterable<unknown>, limit);
  const bytes =
    body === undefined || body === null
      ? Buffer.alloc(0)
      : typeof body === "string"
        ? Buffer.from(body)
        : body instanceof Uint8Array
          ? Buffer.from(body.buffer, body.byteOffset, body.byteLength)
          : body instanceof ArrayBuffer
            ? Buffer.from(body)
            : undefined;
  if (!bytes) throw new Error(`unsupported request body ${Object.prototype.toString.call(body)}`);
  if (bytes.length > limit) throw new TooLarge();
  return bytes;
}

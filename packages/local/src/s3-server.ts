import { mkdirSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import S3rver from "s3rver";

/**
 * The embedded S3: s3rver 3.7.1 (files on disk, real S3 REST API) mounted in-process, with the
 * two gaps leadrelay depends on filled in front of it:
 * - conditional create (`If-None-Match: *` → 412 PreconditionFailed), serialised per key so that
 *   concurrent duplicates cannot both win;
 * - `aws-chunked` streaming uploads, decoded before s3rver sees them (it would store the chunk framing).
 * `outage` makes every request answer 503, for fault-injection tests.
 */
export interface LocalS3 {
  bucket: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  outage: { down: boolean };
  close(): Promise<void>;
}

interface Store {
  existsObject(bucket: string, key: string): Promise<boolean>;
}

function xmlError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `hex-size[;chunk-signature=…]\r\n<data>\r\n` … `0…\r\n[trailers]\r\n` */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd === -1) throw new Error("truncated aws-chunked body");
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) throw new Error("bad aws-chunked chunk size");
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

export async function createLocalS3(options: { directory: string; bucket: string }): Promise<LocalS3> {
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({
    directory: options.directory,
    silent: true,
    allowMismatchedSignatures: true,
    configureBuckets: [{ name: options.bucket }],
  });
  await server.configureBuckets();
  const store = (server as unknown as { store: Store }).store;
  const delegate = server.callback();
  const outage = { down: false };
  const locks = new Map<string, Promise<void>>();

  /** Runs `body` once every earlier request on the same key has finished. */
  async function serialised(key: string, body: () => Promise<void>) {
    const previous = locks.get(key) ?? Promise.resolve();
    const current = previous.then(body, body);
    const tail = current.catch(() => {});
    locks.set(key, tail);
    await current;
    if (locks.get(key) === tail) locks.delete(key);
  }

  function forward(req: IncomingMessage, res: ServerResponse, body?: Buffer): Promise<void> {
    return new Promise((resolve) => {
      res.on("close", resolve);
      if (body === undefined) return void delegate(req, res);
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, "content-length": String(body.length) };
      delete headers["content-encoding"];
      delete headers["x-amz-decoded-content-length"];
      headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD";
      const replay = Object.assign(Readable.from([body]), {
        headers,
        method: req.method,
        url: req.url,
        httpVersion: req.httpVersion,
        httpVersionMajor: req.httpVersionMajor,
        httpVersionMinor: req.httpVersionMinor,
        socket: req.socket,
        connection: req.socket,
      });
      delegate(replay as unknown as IncomingMessage, res);
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    if (outage.down) return xmlError(res, 503, "ServiceUnavailable", "The local S3 is down (fault injection)");
    const url = new URL(req.url ?? "/", "http://s3.local");
    const [, bucket, ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const streaming =
      /STREAMING-/.test(String(req.headers["x-amz-content-sha256"] ?? "")) ||
      /aws-chunked/.test(String(req.headers["content-encoding"] ?? ""));
    const conditional = req.method === "PUT" && req.headers["if-none-match"] === "*" && key !== "";
    if (!conditional && !streaming) return void delegate(req, res);

    const run = async () => {
      const body = streaming ? decodeAwsChunked(await readAll(req)) : undefined;
      if (conditional && bucket && (await store.existsObject(bucket, key))) {
        if (!streaming) req.resume();
        return xmlError(res, 412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold");
      }
      await forward(req, res, body);
    };
    const done = conditional ? serialised(`${bucket}/${key}`, run) : run();
    done.catch((error: unknown) => {
      if (!res.headersSent) xmlError(res, 400, "InvalidRequest", String((error as Error).message));
    });
  }

  return {
    bucket: options.bucket,
    handle,
    outage,
    close: async () => {
      (server as unknown as { logger?: { close(): void } }).logger?.close();
    },
  };
}

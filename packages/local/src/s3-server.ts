import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join, relative, sep } from "node:path";

/**
 * The embedded S3: a small S3-compatible server (REST, path-style) for the calls leadrelay and
 * its tools make — PutObject (with `If-None-Match: *`), GetObject, HeadObject, DeleteObject,
 * ListObjectsV2, HeadBucket/CreateBucket/ListBuckets — reached with the real @aws-sdk/client-s3.
 * Objects are plain files under `<directory>/<bucket>/<key>`, so they survive restarts and can be
 * read with `cat`. Conditional creates are serialised per key; `aws-chunked` uploads are decoded.
 * Why not s3rver: measured here, it costs ~1.8 ms of CPU per request inside Koa (384 PUT/s vs
 * ~1,200 PUT/s for the SDK round trip alone), it ignores If-None-Match and stores aws-chunked
 * framing as the object; its maintained fork (@20minutes/s3rver 5) needs Node 24.
 * `outage.down` answers 503 to everything, for fault-injection tests.
 */
export interface LocalS3 {
  bucket: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
  outage: { down: boolean };
  close(): Promise<void>;
}

const MAX_OBJECT_BYTES = 16 * 1024 * 1024;

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const xml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );

function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, {
    "content-type": "application/xml",
    "content-length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: S3Error, resource: string) {
  if (res.headersSent) return void res.destroy();
  sendXml(
    res,
    error.status,
    `<Error><Code>${error.code}</Code><Message>${xml(error.message)}</Message><Resource>${xml(resource)}</Resource><RequestId>${randomUUID()}</RequestId></Error>`,
  );
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MAX_OBJECT_BYTES * 1.1) {
    throw new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_OBJECT_BYTES * 1.1)
      throw new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `hex-size[;chunk-signature=…]\r\n<data>\r\n` … `0…\r\n[trailers]\r\n` */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", at);
    if (lineEnd === -1) throw new S3Error(400, "IncompleteBody", "truncated aws-chunked body");
    const size = Number.parseInt(body.subarray(at, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size) || size < 0)
      throw new S3Error(400, "InvalidRequest", "bad aws-chunked chunk size");
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

const contentTypeOf = (key: string) =>
  key.endsWith(".json") ? "application/json" : "application/octet-stream";
const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;

export async function createLocalS3(options: { directory: string; bucket: string }): Promise<LocalS3> {
  const buckets = new Map<string, Set<string>>();
  const root = options.directory;
  mkdirSync(join(root, options.bucket), { recursive: true });
  for (const bucket of readdirSync(root, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue;
    const keys = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (!entry.name.endsWith(".tmp"))
          keys.add(relative(join(root, bucket.name), path).split(sep).join("/"));
      }
    };
    walk(join(root, bucket.name));
    buckets.set(bucket.name, keys);
  }
  const outage = { down: false };
  const directories = new Set<string>();
  const locks = new Map<string, Promise<void>>();

  /** Files mirror keys; segments that a file system cannot hold safely are refused, not mangled. */
  function fileOf(bucket: string, key: string): string {
    const segments = key.split("/");
    if (
      key.length > 1024 ||
      segments.some((part) => part === "" || part === "." || part === ".." || part.includes("\0"))
    ) {
      throw new S3Error(
        400,
        "InvalidArgument",
        "This local S3 does not support empty, '.' or '..' key segments",
      );
    }
    return join(root, bucket, ...segments);
  }

  function keysOf(bucket: string): Set<string> {
    const keys = buckets.get(bucket);
    if (!keys) throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist");
    return keys;
  }

  /** Runs `body` after every earlier conditional write on the same key. */
  async function serialised<T>(id: string, body: () => Promise<T>): Promise<T> {
    const previous = locks.get(id) ?? Promise.resolve();
    const current = previous.then(body, body);
    const tail = current.then(
      () => {},
      () => {},
    );
    locks.set(id, tail);
    try {
      return await current;
    } finally {
      if (locks.get(id) === tail) locks.delete(id);
    }
  }

  async function putObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string) {
    const keys = keysOf(bucket);
    if (req.headers["x-amz-copy-source"])
      throw new S3Error(501, "NotImplemented", "CopyObject is not supported here");
    const file = fileOf(bucket, key);
    let body = await readAll(req);
    const streaming =
      /STREAMING-/.test(String(req.headers["x-amz-content-sha256"] ?? "")) ||
      /aws-chunked/.test(String(req.headers["content-encoding"] ?? ""));
    if (streaming) body = decodeAwsChunked(body);
    const write = async () => {
      if (req.headers["if-none-match"] === "*" && keys.has(key)) {
        throw new S3Error(
          412,
          "PreconditionFailed",
          "At least one of the pre-conditions you specified did not hold",
        );
      }
      const dir = dirname(file);
      if (!directories.has(dir)) {
        await mkdir(dir, { recursive: true });
        directories.add(dir);
      }
      const temp = `${file}.${randomUUID()}.tmp`;
      await writeFile(temp, body);
      await rename(temp, file);
      keys.add(key);
    };
    await (req.headers["if-none-match"] === "*" ? serialised(`${bucket}/${key}`, write) : write());
    res.writeHead(200, { etag: etagOf(body), "content-length": 0 }).end();
  }

  async function getObject(req: IncomingMessage, res: ServerResponse, bucket: string, key: string) {
    const keys = keysOf(bucket);
    const file = fileOf(bucket, key);
    if (!keys.has(key)) throw new S3Error(404, "NoSuchKey", "The specified key does not exist.");
    let body: Buffer;
    let modified: Date;
    try {
      [body, modified] = await Promise.all([readFile(file), stat(file).then((s) => s.mtime)]);
    } catch {
      throw new S3Error(404, "NoSuchKey", "The specified key does not exist.");
    }
    res.writeHead(200, {
      "content-type": contentTypeOf(key),
      "content-length": body.length,
      etag: etagOf(body),
      "last-modified": modified.toUTCString(),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  async function deleteObject(res: ServerResponse, bucket: string, key: string) {
    const keys = keysOf(bucket);
    const file = fileOf(bucket, key);
    await serialised(`${bucket}/${key}`, async () => {
      await rm(file, { force: true });
      keys.delete(key);
    });
    res.writeHead(204).end();
  }

  async function listObjects(res: ServerResponse, bucket: string, query: URLSearchParams) {
    const keys = keysOf(bucket);
    const prefix = query.get("prefix") ?? "";
    const max = Math.min(Math.max(Number(query.get("max-keys") ?? 1000) || 1000, 0), 1000);
    const token = query.get("continuation-token");
    const after = token ? Buffer.from(token, "base64url").toString() : (query.get("start-after") ?? "");
    const matching = [...keys].filter((key) => key.startsWith(prefix) && key > after).sort();
    const page = matching.slice(0, max);
    const truncated = matching.length > page.length;
    const contents = await Promise.all(
      page.map(async (key) => {
        const info = await stat(fileOf(bucket, key)).catch(() => undefined);
        return `<Contents><Key>${xml(key)}</Key><LastModified>${(info?.mtime ?? new Date()).toISOString()}</LastModified><Size>${info?.size ?? 0}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      }),
    );
    const next =
      truncated && page.length > 0 ? Buffer.from(page.at(-1) as string).toString("base64url") : undefined;
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : ""}${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ""}${contents.join("")}</ListBucketResult>`,
    );
  }

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://s3.local");
    const [, bucket = "", ...rest] = url.pathname.split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const method = req.method ?? "GET";
    if (bucket === "") {
      if (method !== "GET") throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed");
      const list = [...buckets.keys()].map(
        (name) =>
          `<Bucket><Name>${xml(name)}</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket>`,
      );
      return sendXml(
        res,
        200,
        `<ListAllMyBucketsResult><Buckets>${list.join("")}</Buckets></ListAllMyBucketsResult>`,
      );
    }
    if (key === "") {
      if (method === "PUT") {
        if (!buckets.has(bucket)) buckets.set(bucket, new Set());
        await mkdir(join(root, bucket), { recursive: true });
        return void res.writeHead(200, { location: `/${bucket}` }).end();
      }
      if (method === "HEAD") {
        keysOf(bucket);
        return void res.writeHead(200).end();
      }
      if (method === "GET" && url.searchParams.get("list-type") === "2")
        return listObjects(res, bucket, url.searchParams);
      throw new S3Error(501, "NotImplemented", `${method} on a bucket is not supported here`);
    }
    if ([...url.searchParams.keys()].some((name) => name !== "x-id")) {
      throw new S3Error(
        501,
        "NotImplemented",
        "Sub-resources (acl, tagging, uploads…) are not supported here",
      );
    }
    if (method === "PUT") return putObject(req, res, bucket, key);
    if (method === "GET" || method === "HEAD") return getObject(req, res, bucket, key);
    if (method === "DELETE") return deleteObject(res, bucket, key);
    throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed");
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const resource = req.url ?? "/";
    if (outage.down) {
      req.resume();
      return sendError(
        res,
        new S3Error(503, "ServiceUnavailable", "The local S3 is down (fault injection)"),
        resource,
      );
    }
    route(req, res).catch((error: unknown) => {
      req.resume();
      sendError(
        res,
        error instanceof S3Error
          ? error
          : new S3Error(500, "InternalError", error instanceof Error ? error.message : String(error)),
        resource,
      );
    });
  }

  return { bucket: options.bucket, handle, outage, close: async () => {} };
}

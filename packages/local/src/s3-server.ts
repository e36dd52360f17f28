import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  type InProcessHandler,
  inProcessHandler,
  type LocalRequest,
  type LocalResponse,
  serveHttp,
} from "./local-transport";
import { etagOf, NoSuchBucket, type ObjectStorage } from "./object-storage";

/**
 * The embedded S3: a small S3-compatible server (REST, path-style) for the calls leadrelay and
 * its tools make — PutObject (with `If-None-Match: *`), GetObject, HeadObject, DeleteObject,
 * ListObjectsV2, HeadBucket/CreateBucket/ListBuckets — reached with the real @aws-sdk/client-s3.
 * This file is the protocol (requests, XML, errors, aws-chunked); where objects are kept is an
 * `ObjectStorage` (object-storage.ts): the journal, or a file per object in the older layout.
 * Why not s3rver: measured here, it costs ~1.8 ms of CPU per request inside Koa (384 PUT/s vs
 * ~1,200 PUT/s for the SDK round trip alone), it ignores If-None-Match and stores aws-chunked
 * framing as the object; its maintained fork (@20minutes/s3rver 5) needs Node 24.
 * One core (`service`) answers both transports: the loopback endpoint and the in-process SDK
 * request handler the runtime gives the handlers' clients. `outage.down` answers 503 to
 * everything on both, for fault-injection tests.
 */
export interface LocalS3 {
  bucket: string;
  /** The loopback endpoint (`/_aws/s3/…` with the mount point removed from `req.url`). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The same service for the handlers' SDK clients, in process (see local-transport.ts). */
  requestHandler: InProcessHandler;
  outage: { down: boolean };
  close(): Promise<void>;
}

const MAX_OBJECT_BYTES = 16 * 1024 * 1024;
/** What the service reads of a body: an aws-chunked upload of the largest object has framing around it. */
const MAX_BODY_BYTES = Math.floor(MAX_OBJECT_BYTES * 1.1);

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

function xmlResponse(status: number, body: string): LocalResponse {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
  };
}

function errorResponse(error: S3Error, resource: string): LocalResponse {
  return xmlResponse(
    error.status,
    `<Error><Code>${error.code}</Code><Message>${xml(error.message)}</Message><Resource>${xml(resource)}</Resource><RequestId>${randomUUID()}</RequestId></Error>`,
  );
}

const tooLarge = () =>
  errorResponse(
    new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
    "",
  );

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

export async function createLocalS3(options: {
  /** Where the objects are kept (the journal's storage, or a file per object). */
  storage: ObjectStorage;
  bucket: string;
  /** The endpoint's path, removed from in-process requests' paths (`/_aws/s3`). */
  mount?: string;
}): Promise<LocalS3> {
  const { storage } = options;
  await storage.createBucket(options.bucket);
  const outage = { down: false };

  /** Keys that a file system cannot hold safely are refused, not mangled (objects can be exported as files). */
  function checkKey(key: string) {
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
  }

  function checkBucket(bucket: string) {
    if (!storage.hasBucket(bucket))
      throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist");
  }

  async function putObject(request: LocalRequest, bucket: string, key: string): Promise<LocalResponse> {
    checkBucket(bucket);
    if (request.headers["x-amz-copy-source"])
      throw new S3Error(501, "NotImplemented", "CopyObject is not supported here");
    checkKey(key);
    const streaming =
      /STREAMING-/.test(request.headers["x-amz-content-sha256"] ?? "") ||
      /aws-chunked/.test(request.headers["content-encoding"] ?? "");
    const body = streaming ? decodeAwsChunked(request.body) : request.body;
    if (body.length > MAX_OBJECT_BYTES)
      throw new S3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size");
    const written = await storage.put(bucket, key, body, {
      ifAbsent: request.headers["if-none-match"] === "*",
    });
    if (!written)
      throw new S3Error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
      );
    return { status: 200, headers: { etag: etagOf(body) } };
  }

  async function getObject(bucket: string, key: string): Promise<LocalResponse> {
    checkBucket(bucket);
    checkKey(key);
    const object = await storage.get(bucket, key);
    if (!object) throw new S3Error(404, "NoSuchKey", "The specified key does not exist.");
    return {
      status: 200,
      headers: {
        "content-type": contentTypeOf(key),
        etag: object.etag,
        "last-modified": object.modified.toUTCString(),
      },
      body: object.body,
    };
  }

  async function deleteObject(bucket: string, key: string): Promise<LocalResponse> {
    checkBucket(bucket);
    checkKey(key);
    await storage.delete(bucket, key);
    return { status: 204, headers: {} };
  }

  async function listObjects(bucket: string, query: URLSearchParams): Promise<LocalResponse> {
    checkBucket(bucket);
    const prefix = query.get("prefix") ?? "";
    const max = Math.min(Math.max(Number(query.get("max-keys") ?? 1000) || 1000, 0), 1000);
    const token = query.get("continuation-token");
    const after = token ? Buffer.from(token, "base64url").toString() : (query.get("start-after") ?? "");
    const matching = await storage.list(bucket, prefix, after, max + 1);
    const page = matching.slice(0, max);
    const truncated = matching.length > page.length;
    const contents = page.map(
      (info) =>
        `<Contents><Key>${xml(info.key)}</Key><LastModified>${info.modified.toISOString()}</LastModified><Size>${info.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
    );
    const next =
      truncated && page.length > 0
        ? Buffer.from(page.at(-1)?.key as string).toString("base64url")
        : undefined;
    return xmlResponse(
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${xml(token)}</ContinuationToken>` : ""}${next ? `<NextContinuationToken>${next}</NextContinuationToken>` : ""}${contents.join("")}</ListBucketResult>`,
    );
  }

  async function route(request: LocalRequest): Promise<LocalResponse> {
    const [, bucket = "", ...rest] = request.path.split("/");
    const key = rest.map(decodeURIComponent).join("/");
    const { method, query } = request;
    if (bucket === "") {
      if (method !== "GET") throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed");
      const list = storage
        .bucketNames()
        .map(
          (name) =>
            `<Bucket><Name>${xml(name)}</Name><CreationDate>1970-01-01T00:00:00.000Z</CreationDate></Bucket>`,
        );
      return xmlResponse(
        200,
        `<ListAllMyBucketsResult><Buckets>${list.join("")}</Buckets></ListAllMyBucketsResult>`,
      );
    }
    if (key === "") {
      if (method === "PUT") {
        await storage.createBucket(bucket);
        return { status: 200, headers: { location: `/${bucket}` } };
      }
      if (method === "HEAD") {
        checkBucket(bucket);
        return { status: 200, headers: {} };
      }
      if (method === "GET" && query.get("list-type") === "2") return listObjects(bucket, query);
      throw new S3Error(501, "NotImplemented", `${method} on a bucket is not supported here`);
    }
    if ([...query.keys()].some((name) => name !== "x-id")) {
      throw new S3Error(
        501,
        "NotImplemented",
        "Sub-resources (acl, tagging, uploads…) are not supported here",
      );
    }
    if (method === "PUT") return putObject(request, bucket, key);
    if (method === "GET" || method === "HEAD") return getObject(bucket, key);
    if (method === "DELETE") return deleteObject(bucket, key);
    throw new S3Error(405, "MethodNotAllowed", "The specified method is not allowed");
  }

  /** Every request, from either transport: fault injection first, errors in S3's XML shape. */
  async function service(request: LocalRequest): Promise<LocalResponse> {
    const resource = `${request.path}${request.query.size > 0 ? `?${request.query}` : ""}`;
    if (outage.down)
      return errorResponse(
        new S3Error(503, "ServiceUnavailable", "The local S3 is down (fault injection)"),
        resource,
      );
    try {
      return await route(request);
    } catch (error) {
      return errorResponse(
        error instanceof NoSuchBucket
          ? new S3Error(404, "NoSuchBucket", "The specified bucket does not exist")
          : error instanceof S3Error
            ? error
            : new S3Error(500, "InternalError", error instanceof Error ? error.message : String(error)),
        resource,
      );
    }
  }

  const limits = { maxBodyBytes: MAX_BODY_BYTES, tooLarge };
  return {
    bucket: options.bucket,
    handle: (req, res) => serveHttp(service, limits, req, res),
    requestHandler: inProcessHandler(service, limits, options.mount ?? ""),
    outage,
    close: () => storage.close(),
  };
}

import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { KeyIndex } from "./key-index";

/**
 * Where the embedded S3 keeps objects, apart from the S3 protocol (s3-server.ts): buckets of keys
 * with a body, a modification time and an ETag. A listing walks the bucket's KeyIndex.
 */
export interface ObjectStorage {
  bucketNames(): string[];
  hasBucket(bucket: string): boolean;
  createBucket(bucket: string): Promise<void>;
  /**
   * Stores the object; with `ifAbsent`, only when the key does not exist yet (answers false then).
   * Conditional writes and deletes of one key are serialised.
   */
  put(bucket: string, key: string, body: Buffer, options?: { ifAbsent?: boolean }): Promise<boolean>;
  get(bucket: string, key: string): Promise<StoredObject | undefined>;
  delete(bucket: string, key: string): Promise<void>;
  /** Up to `limit` keys of the bucket that start with `prefix` and sort after `after`, in order. */
  list(bucket: string, prefix: string, after: string, limit: number): Promise<ObjectInfo[]>;
  close(): Promise<void>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  modified: Date;
}

export interface StoredObject extends ObjectInfo {
  body: Buffer;
  etag: string;
}

export class NoSuchBucket extends Error {
  override readonly name = "NoSuchBucket";
  constructor(readonly bucket: string) {
    super(`The specified bucket does not exist: ${bucket}`);
  }
}

export const etagOf = (body: Buffer) => `"${createHash("md5").update(body).digest("hex")}"`;

/** Runs each body after every earlier one of the same id (a conditional write, a delete). */
export function keySerialiser() {
  const locks = new Map<string, Promise<void>>();
  return async function serialised<T>(id: string, body: () => Promise<T>): Promise<T> {
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
  };
}

/**
 * The layout before the journal: a file per object under `<directory>/<bucket>/<key>`, written as
 * temp file + rename. Kept to read a data folder of that layout when it is moved into the journal
 * (journal-import.ts), and for the tests that build such a folder.
 */
export function createFileObjectStorage(directory: string, initialBucket?: string): ObjectStorage {
  const buckets = new Map<string, KeyIndex>();
  if (initialBucket) mkdirSync(join(directory, initialBucket), { recursive: true });
  else mkdirSync(directory, { recursive: true });
  for (const bucket of readdirSync(directory, { withFileTypes: true })) {
    if (!bucket.isDirectory()) continue;
    const keys: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (!entry.name.endsWith(".tmp"))
          keys.push(relative(join(directory, bucket.name), path).split(sep).join("/"));
      }
    };
    walk(join(directory, bucket.name));
    buckets.set(bucket.name, new KeyIndex(keys));
  }
  const directories = new Set<string>();
  const serialised = keySerialiser();
  const fileOf = (bucket: string, key: string) => join(directory, bucket, ...key.split("/"));
  const keysOf = (bucket: string) => {
    const keys = buckets.get(bucket);
    if (!keys) throw new NoSuchBucket(bucket);
    return keys;
  };

  return {
    bucketNames: () => [...buckets.keys()],
    hasBucket: (bucket) => buckets.has(bucket),
    async createBucket(bucket) {
      if (!buckets.has(bucket)) buckets.set(bucket, new KeyIndex());
      await mkdir(join(directory, bucket), { recursive: true });
    },
    async put(bucket, key, body, options = {}) {
      const keys = keysOf(bucket);
      const file = fileOf(bucket, key);
      const write = async () => {
        if (options.ifAbsent && keys.has(key)) return false;
        const dir = dirname(file);
        if (!directories.has(dir)) {
          await mkdir(dir, { recursive: true });
          directories.add(dir);
        }
        const temp = `${file}.${randomUUID()}.tmp`;
        await writeFile(temp, body);
        await rename(temp, file);
        keys.add(key);
        return true;
      };
      return options.ifAbsent ? serialised(`${bucket}/${key}`, write) : write();
    },
    async get(bucket, key) {
      if (!keysOf(bucket).has(key)) return undefined;
      const file = fileOf(bucket, key);
      try {
        const [body, modified] = await Promise.all([readFile(file), stat(file).then((s) => s.mtime)]);
        return { key, body, size: body.length, modified, etag: etagOf(body) };
      } catch {
        return undefined;
      }
    },
    async delete(bucket, key) {
      const keys = keysOf(bucket);
      await serialised(`${bucket}/${key}`, async () => {
        await rm(fileOf(bucket, key), { force: true });
        keys.delete(key);
      });
    },
    async list(bucket, prefix, after, limit) {
      const page = keysOf(bucket).page(prefix, after, limit);
      return Promise.all(
        page.map(async (key) => {
          const info = await stat(fileOf(bucket, key)).catch(() => undefined);
          return { key, size: info?.size ?? 0, modified: info?.mtime ?? new Date() };
        }),
      );
    },
    close: async () => {},
  };
}

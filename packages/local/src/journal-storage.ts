import type { ExecutionRecord, ExecutionStorage, ExecutionSummary } from "./execution-store";
import { summaryOf } from "./execution-store";
import type { Journal } from "./journal";
import { KeyIndex } from "./key-index";
import { etagOf, keySerialiser, NoSuchBucket, type ObjectStorage } from "./object-storage";

/**
 * What the runtime keeps, as journal keys: `b/<bucket>` (a bucket), `o/<bucket>/<key>` (an object;
 * meta: modification time and ETag), `x/<flow>/<execution name>` (an execution record; meta: its
 * listing summary, so a start lists every execution without reading one history).
 */
export const bucketKey = (bucket: string) => `b/${bucket}`;
export const objectKey = (bucket: string, key: string) => `o/${bucket}/${key}`;
export const executionKey = (flow: string, name: string) => `x/${flow}/${name}`;

export interface ObjectMeta {
  /** Last modified, epoch ms. */
  t: number;
  etag: string;
  size: number;
}

export function createJournalObjectStorage(journal: Journal): ObjectStorage {
  // Keys gathered first, each bucket's index sorted once.
  const keysByBucket = new Map<string, string[]>();
  for (const [key] of journal.entries("b/")) keysByBucket.set(key.slice(2), []);
  for (const [key] of journal.entries("o/")) {
    const slash = key.indexOf("/", 2);
    const bucket = key.slice(2, slash);
    const keys = keysByBucket.get(bucket) ?? [];
    keysByBucket.set(bucket, keys);
    keys.push(key.slice(slash + 1));
  }
  const buckets = new Map<string, KeyIndex>();
  for (const [bucket, keys] of keysByBucket) buckets.set(bucket, new KeyIndex(keys));
  const serialised = keySerialiser();
  const keysOf = (bucket: string) => {
    const keys = buckets.get(bucket);
    if (!keys) throw new NoSuchBucket(bucket);
    return keys;
  };
  const infoOf = (bucket: string, key: string) => {
    const meta = journal.meta<ObjectMeta>(objectKey(bucket, key));
    return meta && { key, size: meta.size, modified: new Date(meta.t), etag: meta.etag };
  };

  return {
    bucketNames: () => [...buckets.keys()],
    hasBucket: (bucket) => buckets.has(bucket),
    async createBucket(bucket) {
      if (buckets.has(bucket)) return;
      buckets.set(bucket, new KeyIndex());
      await journal.put(bucketKey(bucket), Buffer.alloc(0));
    },
    async put(bucket, key, body, options = {}) {
      const keys = keysOf(bucket);
      const write = async () => {
        if (options.ifAbsent && keys.has(key)) return false;
        const meta: ObjectMeta = { t: Date.now(), etag: etagOf(body), size: body.length };
        await journal.put(objectKey(bucket, key), body, meta);
        keys.add(key);
        return true;
      };
      return options.ifAbsent ? serialised(`${bucket}/${key}`, write) : write();
    },
    async get(bucket, key) {
      if (!keysOf(bucket).has(key)) return undefined;
      const info = infoOf(bucket, key);
      const body = journal.read(objectKey(bucket, key));
      return info && body && { ...info, body };
    },
    async delete(bucket, key) {
      const keys = keysOf(bucket);
      await serialised(`${bucket}/${key}`, async () => {
        await journal.delete(objectKey(bucket, key));
        keys.delete(key);
      });
    },
    async list(bucket, prefix, after, limit) {
      return keysOf(bucket)
        .page(prefix, after, limit)
        .map((key) => infoOf(bucket, key) ?? { key, size: 0, modified: new Date(0) });
    },
    // The journal is the runtime's to close (executions live in it too).
    close: async () => {},
  };
}

/** One flow's execution records in the journal. */
export class JournalExecutionStorage implements ExecutionStorage {
  constructor(
    private readonly journal: Journal,
    private readonly flow: string,
  ) {}

  read(name: string): ExecutionRecord | undefined {
    const value = this.journal.read(executionKey(this.flow, name));
    return value && (JSON.parse(value.toString("utf8")) as ExecutionRecord);
  }

  write(record: ExecutionRecord): Promise<void> {
    return this.journal.put(
      executionKey(this.flow, record.name),
      Buffer.from(JSON.stringify(record), "utf8"),
      summaryOf(record),
    );
  }

  summaries(): ExecutionSummary[] {
    return [...this.journal.entries<ExecutionSummary>(`x/${this.flow}/`)].map(([, summary]) => summary);
  }

  remove(name: string): Promise<void> {
    return this.journal.delete(executionKey(this.flow, name));
  }
}

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { ExecutionRecord } from "./execution-store";
import { summaryOf } from "./execution-store";
import type { Journal } from "./journal";
import { bucketKey, executionKey, type ObjectMeta, objectKey } from "./journal-storage";
import { etagOf } from "./object-storage";

/**
 * A data folder of the layout before the journal — a file per object under `s3/<bucket>/<key>`, a
 * JSON file per execution under `executions/<flow>/` (or `executions/` itself, announce's, from
 * before there were flows) — moved into the journal on the first start over it: every object (with
 * its modification time) and every execution record as it was (a waiting lead keeps its Wait's
 * start: the history's timestamps are the record's own), then read back and compared (counts and
 * SHA-256 of every file). Only then are the old folders moved aside, to `old-layout-<time>/`, and
 * kept there for the user to remove; a mismatch stops the start and leaves them where they were.
 */
export interface ImportReport {
  objects: number;
  /** Execution files that do not parse (hand-edited): not imported, kept with the rest. */
  unreadable: string[];
  buckets: number;
  executions: number;
  running: number;
  /** Where the old files now are. */
  keptIn: string;
}

export class ImportMismatch extends Error {
  override readonly name = "ImportMismatch";
}

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.name.endsWith(".tmp") ? [] : [path];
  });
}

/** Whether this data folder still has the older layout's files. */
export function hasOldLayout(dataDir: string): boolean {
  return existsSync(join(dataDir, "s3")) || existsSync(join(dataDir, "executions"));
}

export async function importOldLayout(dataDir: string, journal: Journal): Promise<ImportReport> {
  /** Journal key → the SHA-256 of what it must hold. */
  const expected = new Map<string, string>();
  let objects = 0;
  let executions = 0;
  let running = 0;
  const unreadable: string[] = [];
  const buckets = new Set<string>();
  // Many puts in flight at once: the journal writes them in a few large appends.
  const writes: Promise<void>[] = [];
  const put = async (id: string, bytes: Buffer, meta?: unknown) => {
    expected.set(id, sha256(bytes));
    writes.push(journal.put(id, bytes, meta));
    if (writes.length >= 256) await Promise.all(writes.splice(0));
  };

  const s3Dir = join(dataDir, "s3");
  if (existsSync(s3Dir)) {
    for (const bucket of readdirSync(s3Dir, { withFileTypes: true })) {
      if (!bucket.isDirectory()) continue;
      buckets.add(bucket.name);
      writes.push(journal.put(bucketKey(bucket.name), Buffer.alloc(0)));
      for (const file of filesUnder(join(s3Dir, bucket.name))) {
        const key = relative(join(s3Dir, bucket.name), file).split(sep).join("/");
        const body = readFileSync(file);
        const meta: ObjectMeta = { t: statSync(file).mtime.getTime(), etag: etagOf(body), size: body.length };
        await put(objectKey(bucket.name, key), body, meta);
        objects++;
      }
    }
  }

  const executionsDir = join(dataDir, "executions");
  if (existsSync(executionsDir)) {
    const folders: Array<[string, string]> = [["announce", executionsDir]];
    for (const entry of readdirSync(executionsDir, { withFileTypes: true }))
      if (entry.isDirectory()) folders.push([entry.name, join(executionsDir, entry.name)]);
    for (const [flow, dir] of folders) {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
        const bytes = readFileSync(join(dir, entry.name));
        let record: ExecutionRecord;
        try {
          record = JSON.parse(bytes.toString("utf8")) as ExecutionRecord;
        } catch {
          unreadable.push(relative(dataDir, join(dir, entry.name)));
          continue;
        }
        await put(executionKey(flow, record.name), bytes, summaryOf(record));
        executions++;
        if (record.status === "RUNNING") running++;
      }
    }
  }
  await Promise.all(writes);

  // Verified before anything moves: every record reads back byte for byte.
  for (const [id, hash] of expected) {
    const stored = journal.read(id);
    if (!stored || sha256(stored) !== hash)
      throw new ImportMismatch(`the journal's copy of ${id} does not match its file (nothing was moved)`);
  }
  await journal.sync();

  const keptIn = join(dataDir, `old-layout-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  mkdirSync(keptIn, { recursive: true });
  if (existsSync(s3Dir)) renameSync(s3Dir, join(keptIn, "s3"));
  if (existsSync(executionsDir)) renameSync(executionsDir, join(keptIn, "executions"));
  return { objects, unreadable, buckets: buckets.size, executions, running, keptIn };
}

import {
  closeSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  writev,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32 } from "node:zlib";

/**
 * One append-only journal for what the local runtime keeps (objects, execution records): segment
 * files `<directory>/<n>.log` of records, each
 *
 *   u32 length of the rest | u32 CRC-32 of the rest | u8 op | u16 key length | key | u32 meta length | meta (JSON) | value
 *
 * and in memory an index key → (segment, offset, length, meta), rebuilt on open by one sequential
 * read of the segments (each record's checksum verified). What is read at start is the index; a
 * value (an object's body, a finished execution's history) is read from its segment when asked.
 *
 * Durability: a write is acknowledged once write(2) has put it in the file, so a `kill -9` never
 * loses an acknowledged write (the kernel has it); the file is fdatasync'ed once a second when
 * written to (`fsync: "everysec"`, Redis' default appendfsync), so a power loss loses at most about
 * a second, or before each acknowledgement with `fsync: "always"` (LEADRELAY_JOURNAL_FSYNC=always).
 * Writes of one tick go out as one writev (group commit). A record cut short by a crash can only be
 * the last segment's tail: it was never acknowledged, and it is cut off on open.
 *
 * Compaction: when dead bytes (overwritten or deleted records) pass a share of the journal, the
 * active segment is sealed and every live record of the sealed segments is copied into a new file,
 * fsync'ed and renamed over the newest sealed segment; the older ones are then removed, oldest
 * first (so a crash in between never brings a deleted key back). Writes go on meanwhile, to the new
 * active segment; the copy yields to the event loop every megabyte.
 */

const HEADER_BYTES = 8;
const OP_PUT = 1;
const OP_DELETE = 2;
const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);

export type FsyncPolicy = "always" | "everysec";

export interface JournalOptions {
  directory: string;
  fsync?: FsyncPolicy;
  /** Compact when the journal is at least this large… (default 16 MB) */
  compactMinBytes?: number;
  /** …and at least this share of it is dead (default 0.5). */
  compactDeadShare?: number;
  /** A new segment is started past this size (default 64 MB). */
  segmentBytes?: number;
  print?: (line: string) => void;
}

interface Entry {
  segment: number;
  offset: number;
  length: number;
  /** Where the value starts, from the record's start. */
  valueStart: number;
  meta: unknown;
}

interface Pending {
  record: Buffer;
  key: string;
  op: number;
  meta: unknown;
  valueStart: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Segment {
  fd: number;
  size: number;
}

export interface JournalStats {
  segments: number;
  records: number;
  liveBytes: number;
  deadBytes: number;
  compactions: number;
}

const segmentName = (n: number) => `${String(n).padStart(10, "0")}.log`;

function encode(
  op: number,
  key: string,
  meta: unknown,
  value: Buffer,
): { record: Buffer; valueStart: number } {
  const keyBytes = Buffer.from(key, "utf8");
  if (keyBytes.length > 0xffff) throw new Error(`journal key too long: ${key.slice(0, 80)}…`);
  const metaBytes = meta === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(meta), "utf8");
  const valueStart = HEADER_BYTES + 1 + 2 + keyBytes.length + 4 + metaBytes.length;
  const record = Buffer.allocUnsafe(valueStart + value.length);
  record.writeUInt32LE(record.length - HEADER_BYTES, 0);
  record.writeUInt8(op, HEADER_BYTES);
  record.writeUInt16LE(keyBytes.length, HEADER_BYTES + 1);
  keyBytes.copy(record, HEADER_BYTES + 3);
  record.writeUInt32LE(metaBytes.length, HEADER_BYTES + 3 + keyBytes.length);
  metaBytes.copy(record, HEADER_BYTES + 7 + keyBytes.length);
  value.copy(record, valueStart);
  record.writeUInt32LE(crc32(record.subarray(HEADER_BYTES)), 4);
  return { record, valueStart };
}

export interface DecodedRecord {
  op: number;
  key: string;
  meta: unknown;
  valueStart: number;
  length: number;
}

/**
 * The record at `offset` of `buffer`: undefined when what is there is not a whole record with a
 * matching checksum (a torn or corrupt tail).
 */
export function decodeRecord(buffer: Buffer, offset: number): DecodedRecord | undefined {
  if (offset + HEADER_BYTES > buffer.length) return undefined;
  const rest = buffer.readUInt32LE(offset);
  const end = offset + HEADER_BYTES + rest;
  if (rest < 7 || end > buffer.length) return undefined;
  if (crc32(buffer.subarray(offset + HEADER_BYTES, end)) !== buffer.readUInt32LE(offset + 4))
    return undefined;
  const op = buffer.readUInt8(offset + HEADER_BYTES);
  const keyLength = buffer.readUInt16LE(offset + HEADER_BYTES + 1);
  const keyAt = offset + HEADER_BYTES + 3;
  if (keyAt + keyLength + 4 > end) return undefined;
  const key = buffer.toString("utf8", keyAt, keyAt + keyLength);
  const metaLength = buffer.readUInt32LE(keyAt + keyLength);
  const metaAt = keyAt + keyLength + 4;
  if (metaAt + metaLength > end) return undefined;
  const meta =
    metaLength === 0 ? undefined : JSON.parse(buffer.toString("utf8", metaAt, metaAt + metaLength));
  return { op, key, meta, valueStart: metaAt + metaLength - offset, length: end - offset };
}

export class Journal {
  private readonly index = new Map<string, Entry>();
  private readonly segments = new Map<number, Segment>();
  private active = 0;
  private liveBytes = 0;
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private dirtySinceSync = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private compacting: Promise<void> | undefined;
  private compactions = 0;
  private closed = false;
  private readonly fsync: FsyncPolicy;
  private readonly compactMinBytes: number;
  private readonly compactDeadShare: number;
  private readonly segmentBytes: number;
  private readonly print: (line: string) => void;

  constructor(private readonly options: JournalOptions) {
    this.fsync = options.fsync ?? "everysec";
    this.compactMinBytes = options.compactMinBytes ?? 16 * 1024 * 1024;
    this.compactDeadShare = options.compactDeadShare ?? 0.5;
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.print = options.print ?? ((line) => process.stderr.write(`${line}\n`));
    mkdirSync(options.directory, { recursive: true });
    this.load();
    if (this.fsync === "everysec") {
      this.syncTimer = setInterval(() => void this.syncIfDirty(), 1000);
      this.syncTimer.unref();
    }
  }

  /** Reads every segment in order, verifying each record; a torn tail of the last one is cut off. */
  private load() {
    const names = readdirSync(this.options.directory);
    for (const name of names) {
      // A compaction that a crash interrupted before its rename: the sealed segments are still whole.
      if (name.endsWith(".tmp")) rmSync(join(this.options.directory, name), { force: true });
    }
    const numbers = names
      .map((name) => /^(\d{10})\.log$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const [i, n] of numbers.entries()) {
      const last = i === numbers.length - 1;
      const file = join(this.options.directory, segmentName(n));
      const buffer = readFileSync(file);
      let offset = 0;
      while (offset < buffer.length) {
        const record = decodeRecord(buffer, offset);
        if (!record) break;
        this.apply(record.key, record.op, {
          segment: n,
          offset,
          length: record.length,
          valueStart: record.valueStart,
          meta: record.meta,
        });
        offset += record.length;
      }
      if (offset < buffer.length) {
        const lost = buffer.length - offset;
        if (last) {
          // Only the last write can be cut short, and it was never acknowledged: drop it.
          const fd = openSync(file, "r+");
          ftruncateSync(fd, offset);
          closeSync(fd);
          this.print(
            `journal: cut a torn tail of ${lost} bytes off ${segmentName(n)} (a write a crash interrupted, never acknowledged)`,
          );
        } else {
          this.print(
            `journal: ${segmentName(n)} is damaged at byte ${offset}: its last ${lost} bytes are skipped`,
          );
        }
      }
      this.segments.set(n, { fd: openSync(file, last ? "a+" : "r"), size: last ? offset : buffer.length });
      this.active = n;
    }
    if (this.segments.size === 0) this.startSegment(1);
  }

  private startSegment(n: number) {
    const previous = this.segments.get(this.active);
    if (previous) fdatasync(previous.fd, () => {});
    const fd = openSync(join(this.options.directory, segmentName(n)), "a+");
    this.segments.set(n, { fd, size: statSync(join(this.options.directory, segmentName(n))).size });
    this.active = n;
  }

  /** Puts a record in the index (the previous one of its key becomes dead). */
  private apply(key: string, op: number, entry: Entry) {
    const previous = this.index.get(key);
    if (previous) this.liveBytes -= previous.length;
    if (op === OP_DELETE) this.index.delete(key);
    else {
      this.index.set(key, entry);
      this.liveBytes += entry.length;
    }
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  meta<T = unknown>(key: string): T | undefined {
    return this.index.get(key)?.meta as T | undefined;
  }

  /** The value as last written (read from its segment), or undefined. */
  read(key: string): Buffer | undefined {
    const entry = this.index.get(key);
    if (!entry) return undefined;
    const segment = this.segments.get(entry.segment);
    if (!segment) throw new Error(`journal: segment ${entry.segment} of ${key} is gone`);
    const length = entry.length - entry.valueStart;
    const value = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(segment.fd, value, done, length - done, entry.offset + entry.valueStart + done);
      if (n === 0) throw new Error(`journal: ${key} is cut short in segment ${entry.segment}`);
      done += n;
    }
    return value;
  }

  /** Every key that starts with `prefix`, with its meta (in no particular order). */
  *entries<T = unknown>(prefix: string): Generator<[string, T]> {
    for (const [key, entry] of this.index) if (key.startsWith(prefix)) yield [key, entry.meta as T];
  }

  /** Resolves once the record is in the file (and fdatasync'ed with `fsync: "always"`). */
  put(key: string, value: Buffer, meta?: unknown): Promise<void> {
    const { record, valueStart } = encode(OP_PUT, key, meta, value);
    return this.enqueue(record, key, OP_PUT, meta, valueStart);
  }

  delete(key: string): Promise<void> {
    if (!this.index.has(key) && !this.queue.some((pending) => pending.key === key)) return Promise.resolve();
    const { record, valueStart } = encode(OP_DELETE, key, undefined, Buffer.alloc(0));
    return this.enqueue(record, key, OP_DELETE, undefined, valueStart);
  }

  private enqueue(record: Buffer, key: string, op: number, meta: unknown, valueStart: number) {
    if (this.closed) return Promise.reject(new Error("journal: closed"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, key, op, meta, valueStart, resolve, reject });
      // Everything enqueued in this tick goes out in one writev.
      this.flushing ??= new Promise<void>((done) => process.nextTick(done)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        if ((this.segments.get(this.active) as Segment).size >= this.segmentBytes)
          this.startSegment(this.active + 1);
        const number = this.active;
        const segment = this.segments.get(number) as Segment;
        const batch = this.queue;
        this.queue = [];
        const start = segment.size;
        try {
          let written = 0;
          const total = batch.reduce((sum, pending) => sum + pending.record.length, 0);
          let buffers = batch.map((pending) => pending.record);
          while (written < total) {
            written += (await writevAsync(segment.fd, buffers)).bytesWritten;
            if (written < total)
              buffers = [Buffer.concat(batch.map((pending) => pending.record)).subarray(written)];
          }
          if (this.fsync === "always") await fdatasyncAsync(segment.fd);
          else this.dirtySinceSync = true;
        } catch (error) {
          // Nothing of a failed batch is acknowledged: cut it off so later records follow whole ones.
          try {
            ftruncateSync(segment.fd, start);
          } catch {}
          for (const pending of batch) pending.reject(error);
          continue;
        }
        let offset = start;
        for (const pending of batch) {
          this.apply(pending.key, pending.op, {
            segment: number,
            offset,
            length: pending.record.length,
            valueStart: pending.valueStart,
            meta: pending.meta,
          });
          offset += pending.record.length;
        }
        segment.size = offset;
        for (const pending of batch) pending.resolve();
      }
    } finally {
      this.flushing = undefined;
    }
    this.maybeCompact();
  }

  /** fdatasync of every segment, after every write enqueued so far. */
  async sync(): Promise<void> {
    await this.flush();
    await Promise.all([...this.segments.values()].map((segment) => fdatasyncAsync(segment.fd)));
  }

  private async syncIfDirty() {
    if (!this.dirtySinceSync) return;
    this.dirtySinceSync = false;
    const segment = this.segments.get(this.active);
    if (segment) await fdatasyncAsync(segment.fd).catch(() => {});
  }

  /** Waits for every write enqueued so far. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  stats(): JournalStats {
    let total = 0;
    for (const segment of this.segments.values()) total += segment.size;
    return {
      segments: this.segments.size,
      records: this.index.size,
      liveBytes: this.liveBytes,
      deadBytes: total - this.liveBytes,
      compactions: this.compactions,
    };
  }

  private maybeCompact() {
    if (this.compacting || this.closed) return;
    const { liveBytes, deadBytes } = this.stats();
    const total = liveBytes + deadBytes;
    if (total >= this.compactMinBytes && deadBytes >= total * this.compactDeadShare) void this.compact();
  }

  /** Rewrites the live records of every sealed segment into one (see the class comment). */
  compact(): Promise<void> {
    this.compacting ??= this.compactNow().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private async compactNow(): Promise<void> {
    // Seal the active segment between two batches (no write in flight): the next batch starts a new one.
    while (this.flushing) await this.flushing;
    if (this.closed) return;
    this.startSegment(this.active + 1);
    const sealed = [...this.segments.keys()].filter((n) => n < this.active).sort((a, b) => a - b);
    const target = sealed.at(-1);
    if (target === undefined) return;
    const inSealed = new Set(sealed);
    const copies: Array<{ key: string; from: Entry; offset: number }> = [];
    const temp = join(this.options.directory, `${segmentName(target)}.compact.tmp`);
    const out = openSync(temp, "w");
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let size = 0;
    try {
      for (const [key, entry] of [...this.index]) {
        const current = this.index.get(key);
        if (current !== entry || !inSealed.has(entry.segment)) continue;
        const segment = this.segments.get(entry.segment) as Segment;
        const record = Buffer.allocUnsafe(entry.length);
        readSync(segment.fd, record, 0, entry.length, entry.offset);
        chunk.push(record);
        copies.push({ key, from: entry, offset: size });
        size += entry.length;
        chunkBytes += entry.length;
        if (chunkBytes >= 1024 * 1024) {
          writeSync(out, Buffer.concat(chunk));
          chunk = [];
          chunkBytes = 0;
          // Writes and requests go on while a large journal is copied.
          await new Promise((resolve) => setImmediate(resolve));
          if (this.closed) throw new Error("journal: closed during compaction");
        }
      }
      if (chunk.length > 0) writeSync(out, Buffer.concat(chunk));
      fsyncSync(out);
    } catch (error) {
      closeSync(out);
      rmSync(temp, { force: true });
      if (this.closed) return;
      throw error;
    }
    closeSync(out);
    // From here to the end nothing awaits: no read or write sees the index half moved.
    renameSync(temp, join(this.options.directory, segmentName(target)));
    this.syncDirectory();
    const old = this.segments.get(target) as Segment;
    this.segments.set(target, { fd: openSync(join(this.options.directory, segmentName(target)), "r"), size });
    closeSync(old.fd);
    for (const { key, from, offset } of copies) {
      if (this.index.get(key) === from) this.index.set(key, { ...from, segment: target, offset });
    }
    for (const n of sealed) {
      if (n === target) continue;
      const segment = this.segments.get(n) as Segment;
      closeSync(segment.fd);
      this.segments.delete(n);
      rmSync(join(this.options.directory, segmentName(n)), { force: true });
    }
    this.compactions += 1;
  }

  private syncDirectory() {
    try {
      const fd = openSync(this.options.directory, "r");
      fsyncSync(fd);
      closeSync(fd);
    } catch {
      // Not every file system lets a directory be fsync'ed; the rename is still atomic.
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.compacting?.catch(() => {});
    this.closed = true;
    if (this.syncTimer) clearInterval(this.syncTimer);
    for (const segment of this.segments.values()) {
      try {
        fsyncSync(segment.fd);
      } catch {}
      closeSync(segment.fd);
    }
    this.segments.clear();
  }
}

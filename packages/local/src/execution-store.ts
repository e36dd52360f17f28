import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { HistoryEvent } from "./history";

export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** epoch milliseconds */
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  events: HistoryEvent[];
}

/** What stays in memory of a finished execution: enough to list it (and to find its record). */
export type ExecutionSummary = Pick<
  ExecutionRecord,
  "name" | "status" | "startDate" | "stopDate" | "redriveCount" | "redriveDate"
>;

export const summaryOf = (record: ExecutionSummary): ExecutionSummary => ({
  name: record.name,
  status: record.status,
  startDate: record.startDate,
  stopDate: record.stopDate,
  redriveCount: record.redriveCount,
  redriveDate: record.redriveDate,
});

/** Where one state machine's execution records are kept: the journal, or a file per execution. */
export interface ExecutionStorage {
  /** One execution as last written. */
  read(name: string): ExecutionRecord | undefined;
  /** Resolves once the record would survive the process being killed. */
  write(record: ExecutionRecord): Promise<void>;
  /** Every execution's summary, without reading its history. */
  summaries(): ExecutionSummary[];
  remove(name: string): Promise<void>;
}

/**
 * The layout before the journal: one JSON file per execution under `<directory>/`, written as temp
 * file + rename. Kept to read a data folder of that layout when it moves into the journal.
 */
export class FileExecutionStorage implements ExecutionStorage {
  constructor(private readonly dir: string) {
    mkdirSync(this.dir, { recursive: true });
  }

  read(name: string): ExecutionRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${name}.json`), "utf8")) as ExecutionRecord;
    } catch {
      return undefined;
    }
  }

  /** Every record in the folder (a hand-edited, unreadable one is named and skipped). */
  all(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(".json")) continue;
      try {
        records.push(JSON.parse(readFileSync(join(this.dir, file), "utf8")) as ExecutionRecord);
      } catch {
        process.stderr.write(`leadrelay: skipping unreadable execution file ${file}\n`);
      }
    }
    return records;
  }

  summaries(): ExecutionSummary[] {
    return this.all().map(summaryOf);
  }

  async write(record: ExecutionRecord): Promise<void> {
    const file = join(this.dir, `${record.name}.json`);
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(record));
    await rename(temp, file);
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, `${name}.json`), { force: true });
  }
}

/**
 * An engine's execution records over an `ExecutionStorage`, with writes coalesced: at most one
 * write per execution in flight, the latest state always lands.
 */
export class ExecutionStore {
  private readonly writing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly soon = new Map<string, { timer: NodeJS.Timeout; record: ExecutionRecord }>();

  constructor(readonly storage: ExecutionStorage) {}

  /** One execution as last written (a finished execution's history is read from here when asked). */
  load(name: string): ExecutionRecord | undefined {
    return this.storage.read(name);
  }

  /** Resolves once a write that includes the record's current state has landed. */
  save(record: ExecutionRecord): Promise<void> {
    const pending = this.soon.get(record.name);
    if (pending) {
      clearTimeout(pending.timer);
      this.soon.delete(record.name);
    }
    this.dirty.add(record.name);
    const inFlight = this.writing.get(record.name);
    // The loop of the write in flight sees the dirty mark and writes the newest state before it resolves.
    if (inFlight) return inFlight;
    const write = (async () => {
      while (this.dirty.delete(record.name)) await this.storage.write(record);
    })().finally(() => this.writing.delete(record.name));
    this.writing.set(record.name, write);
    return write;
  }

  /**
   * Saves within `delayMs`, folding the events of one burst (a Task's start, result and exit)
   * into one write. What a crash loses is replayed: every Task of the pipeline is idempotent.
   */
  saveSoon(record: ExecutionRecord, delayMs: number): void {
    if (this.soon.has(record.name)) return;
    const timer = setTimeout(() => {
      this.soon.delete(record.name);
      void this.save(record);
    }, delayMs);
    this.soon.set(record.name, { timer, record });
  }

  async flush(): Promise<void> {
    for (const { timer, record } of this.soon.values()) {
      clearTimeout(timer);
      void this.save(record);
    }
    this.soon.clear();
    await Promise.all([...this.writing.values()]);
  }
}

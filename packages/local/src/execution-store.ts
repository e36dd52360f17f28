import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
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

/**
 * One JSON file per execution under `<dir>/executions/`. Writes are atomic (temp file + rename)
 * and coalesced: at most one write per execution in flight, the latest state always lands.
 */
export class ExecutionStore {
  private readonly dir: string;
  private readonly writing = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  private readonly soon = new Map<string, { timer: NodeJS.Timeout; record: ExecutionRecord }>();

  constructor(directory: string) {
    this.dir = directory;
    mkdirSync(this.dir, { recursive: true });
  }

  /** One execution as last written (a finished execution's history is read from here when asked). */
  load(name: string): ExecutionRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir, `${name}.json`), "utf8")) as ExecutionRecord;
    } catch {
      return undefined;
    }
  }

  loadAll(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith(".json")) continue;
      try {
        records.push(JSON.parse(readFileSync(join(this.dir, file), "utf8")) as ExecutionRecord);
      } catch {
        // A torn file cannot happen with rename, but a hand-edited one can: skip it, keep the rest.
        process.stderr.write(`leadrelay: skipping unreadable execution file ${file}\n`);
      }
    }
    return records;
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
      while (this.dirty.delete(record.name)) {
        const file = join(this.dir, `${record.name}.json`);
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, JSON.stringify(record));
        await rename(temp, file);
      }
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

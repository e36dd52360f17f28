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

  constructor(dataDir: string) {
    this.dir = join(dataDir, "executions");
    mkdirSync(this.dir, { recursive: true });
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

  async flush(): Promise<void> {
    await Promise.all([...this.writing.values()]);
  }
}

import { join } from "node:path";
import type { ExecutionStorage } from "./execution-store";
import { type FsyncPolicy, Journal } from "./journal";
import { hasOldLayout, importOldLayout } from "./journal-import";
import { createJournalObjectStorage, JournalExecutionStorage } from "./journal-storage";
import type { ObjectStorage } from "./object-storage";

/** What the runtime keeps in its data folder: one journal (`<data dir>/journal/`) for objects and executions. */
export interface LocalStorage {
  journal: Journal;
  objects: ObjectStorage;
  executions(flow: string): ExecutionStorage;
  close(): Promise<void>;
}

function fsyncPolicy(value: string | undefined): FsyncPolicy {
  if (value === undefined || value === "" || value === "everysec") return "everysec";
  if (value === "always") return "always";
  throw new Error(`LEADRELAY_JOURNAL_FSYNC must be "everysec" (default) or "always", not "${value}"`);
}

/**
 * Opens the data folder's journal (the caller holds the folder: main.ts claims it first), moving a
 * folder of the older layout (a file per object and per execution) into it on the first start.
 */
export async function openLocalStorage(
  dataDir: string,
  options: { env?: Record<string, string | undefined>; print: (line: string) => void },
): Promise<LocalStorage> {
  const journal = new Journal({
    directory: join(dataDir, "journal"),
    fsync: fsyncPolicy(options.env?.LEADRELAY_JOURNAL_FSYNC),
    print: options.print,
  });
  if (hasOldLayout(dataDir)) {
    const report = await importOldLayout(dataDir, journal);
    options.print(
      `journal: moved the older layout in: ${report.objects} objects in ${report.buckets} bucket(s), ${report.executions} executions (${report.running} running); verified (counts and SHA-256 of every file match)`,
    );
    if (report.unreadable.length > 0)
      options.print(`journal: not imported, unreadable: ${report.unreadable.join(", ")}`);
    options.print(
      `journal: the old files are kept in ${report.keptIn} (remove that folder when you no longer need it)`,
    );
  }
  return {
    journal,
    objects: createJournalObjectStorage(journal),
    executions: (flow) => new JournalExecutionStorage(journal, flow),
    close: () => journal.close(),
  };
}

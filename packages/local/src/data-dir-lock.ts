import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * One `pnpm start` per data folder. The lock is `<data dir>/runtime.lock`, created atomically
 * (written aside, then hard-linked into place: the link fails when the file exists, and a reader
 * never sees half a lock) before anything else is started, so two starts at the same moment cannot
 * both run. It records the pid and, where the system tells it (Linux `/proc`), when that process
 * started: a lock whose pid is gone, or now belongs to another process (a pid reused after
 * `kill -9`), is stale and taken over, so resume after a crash keeps working. `runtime.json`, with
 * the port, is still written when the runtime is ready; the lock says who is starting before then.
 */

export const LOCK_FILE = "runtime.lock";

/** The runtime that holds a data folder. */
export interface DataDirHolder {
  pid: number;
  /** Its URL and port, once it is ready (from `runtime.json`); undefined while it starts. */
  url?: string;
  port?: number;
}

export type DataDirClaim =
  /** Another `pnpm start` is serving or starting on this folder: refuse. */
  | { kind: "held"; holder: DataDirHolder }
  /** Taken over from a runtime that is gone (stopped without cleaning up, crashed, `kill -9`). */
  | { kind: "stale"; holder: DataDirHolder }
  | { kind: "free" };

interface LockRecord {
  pid: number;
  startedAt: string;
  /** The process's start time as the system counts it (`/proc/<pid>/stat` field 22), when known. */
  processStart?: string;
}

/** When `pid` started (clock ticks since boot), read from `/proc`; undefined where there is none. */
export function processStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** What `<data dir>/runtime.json` records: the ready runtime's pid and URL. */
function recorded(dataDir: string): { pid: number; url: string; port: number } | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8")) as {
      pid?: unknown;
      url?: unknown;
    };
    if (typeof info.pid !== "number" || typeof info.url !== "string") return undefined;
    return { pid: info.pid, url: info.url, port: Number(new URL(info.url).port) };
  } catch {
    return undefined;
  }
}

/** A leadrelay runtime answers `/healthz` with `{ok: true}`; a reused pid or another program does not. */
async function answersHealth(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await response.json()) as { ok?: unknown };
    return response.ok && body.ok === true;
  } catch {
    return false;
  }
}

function parseLock(text: string): LockRecord | undefined {
  try {
    const lock = JSON.parse(text) as Partial<LockRecord>;
    if (typeof lock.pid !== "number" || !Number.isInteger(lock.pid) || lock.pid <= 0) return undefined;
    return {
      pid: lock.pid,
      startedAt: String(lock.startedAt ?? ""),
      processStart: typeof lock.processStart === "string" ? lock.processStart : undefined,
    };
  } catch {
    return undefined;
  }
}

const readText = (file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

/** The holder as the folder shows it: with its port once `runtime.json` names the same pid. */
function holderOf(dataDir: string, pid: number): DataDirHolder {
  const record = recorded(dataDir);
  return record?.pid === pid ? { pid, url: record.url, port: record.port } : { pid };
}

/** Whether the process a lock names still runs: the same pid, started at the same time. */
async function stillHolds(dataDir: string, lock: LockRecord, timeoutMs: number): Promise<boolean> {
  if (!alive(lock.pid)) return false;
  const started = processStartOf(lock.pid);
  if (lock.processStart && started) return started === lock.processStart;
  // No start time to compare (not Linux): a ready runtime of that pid must answer /healthz.
  const record = recorded(dataDir);
  return record?.pid === lock.pid ? answersHealth(record.url, timeoutMs) : true;
}

/** Creates the lock with `content` unless one exists: written aside, then linked into place. */
function create(lockPath: string, content: string): boolean {
  const aside = `${lockPath}.${process.pid}.new`;
  writeFileSync(aside, content);
  try {
    linkSync(aside, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * Takes the data folder for this process, or says who holds it. Call it first thing: the folder
 * is made if missing. A stale lock is moved aside before it is replaced, and only if it is still
 * the one judged stale, so two starts that find the same stale lock do not both take it.
 */
export async function claimDataDir(dataDir: string, timeoutMs = 2_000): Promise<DataDirClaim> {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  const mine: LockRecord = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    processStart: processStartOf(process.pid),
  };
  let tookOver: DataDirHolder | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (create(lockPath, `${JSON.stringify(mine)}\n`)) {
      // A runtime of a version before the lock, still serving this folder.
      const legacy = recorded(dataDir);
      if (
        legacy &&
        legacy.pid !== process.pid &&
        legacy.pid !== tookOver?.pid &&
        alive(legacy.pid) &&
        (await answersHealth(legacy.url, timeoutMs))
      ) {
        rmSync(lockPath, { force: true });
        return { kind: "held", holder: legacy };
      }
      return tookOver ? { kind: "stale", holder: tookOver } : { kind: "free" };
    }
    const text = readText(lockPath);
    if (text === undefined) continue; // released in between: try again
    const lock = parseLock(text);
    if (lock && lock.pid !== process.pid && (await stillHolds(dataDir, lock, timeoutMs)))
      return { kind: "held", holder: holderOf(dataDir, lock.pid) };
    const aside = `${lockPath}.${process.pid}.stale`;
    try {
      renameSync(lockPath, aside);
    } catch {
      continue;
    }
    if (readText(aside) !== text) {
      // Another start replaced the stale lock between our read and the move: give it back.
      try {
        linkSync(aside, lockPath);
      } catch {
        // a third start took the folder meanwhile; its lock stands
      }
      rmSync(aside, { force: true });
      continue;
    }
    rmSync(aside, { force: true });
    // An unreadable lock (not written by leadrelay) is replaced without a word.
    if (lock) tookOver = holderOf(dataDir, lock.pid);
  }
  throw new Error(`could not take ${lockPath}: other starts keep replacing it`);
}

/** On a stop (or a failed start): the lock and the record go, if they are this process's. */
export function releaseDataDir(dataDir: string): void {
  if (recorded(dataDir)?.pid === process.pid) rmSync(join(dataDir, "runtime.json"), { force: true });
  const lockPath = join(dataDir, LOCK_FILE);
  const text = readText(lockPath);
  if (text !== undefined && parseLock(text)?.pid === process.pid) rmSync(lockPath, { force: true });
}

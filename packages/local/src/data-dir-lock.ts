import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** The runtime that holds a data folder: what `<data dir>/runtime.json` records. */
export interface DataDirHolder {
  pid: number;
  url: string;
  port: number;
}

export type DataDirClaim =
  /** Another `pnpm start` is serving this folder: refuse. */
  | { kind: "held"; holder: DataDirHolder }
  /** A record of a runtime that is gone (stopped, crashed, `kill -9`): take the folder over. */
  | { kind: "stale"; holder: DataDirHolder }
  | { kind: "free" };

function recorded(dataDir: string): DataDirHolder | undefined {
  try {
    const info = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8")) as {
      pid?: unknown;
      url?: unknown;
    };
    if (typeof info.pid !== "number" || typeof info.url !== "string") return undefined;
    const port = Number(new URL(info.url).port);
    return { pid: info.pid, url: info.url, port };
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

/**
 * Whether this data folder is free: held while the recorded pid is alive and answers `/healthz` on
 * the recorded port; a record whose pid is gone, or whose port answers nothing (a pid reused after
 * `kill -9`), is stale and taken over, so resume after a crash keeps working.
 */
export async function claimDataDir(dataDir: string, timeoutMs = 2_000): Promise<DataDirClaim> {
  const holder = recorded(dataDir);
  if (!holder) return { kind: "free" };
  if (holder.pid !== process.pid && alive(holder.pid) && (await answersHealth(holder.url, timeoutMs))) {
    return { kind: "held", holder };
  }
  return { kind: "stale", holder };
}

/** On a clean stop: the record goes, so the next start is not told it took over from a crash. */
export function releaseDataDir(dataDir: string): void {
  const path = join(dataDir, "runtime.json");
  if (recorded(dataDir)?.pid === process.pid) rmSync(path, { force: true });
}

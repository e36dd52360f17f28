import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimDataDir, LOCK_FILE, processStartOf, releaseDataDir } from "../src/data-dir-lock";
import { tempDir, waitFor } from "./harness";

/**
 * The data folder's lock, taken in this process against locks written as other processes would
 * leave them: a live one, one whose process is gone (kill -9), one whose pid now names another process.
 */

const writeLock = (dataDir: string, lock: Record<string, unknown>) =>
  writeFileSync(join(dataDir, LOCK_FILE), `${JSON.stringify(lock)}\n`);
const lockOf = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8"));

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.on("exit", resolve));
  return child.pid as number;
}

describe("the data folder's lock", () => {
  let sleeper: ChildProcess;
  beforeAll(() => {
    sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
  });
  afterAll(() => {
    sleeper.kill("SIGKILL");
  });

  it("is taken on a new folder (made if missing), with this pid and its start time; release frees it", async () => {
    const dataDir = join(tempDir(), "not-yet");
    expect(await claimDataDir(dataDir)).toEqual({ kind: "free" });
    expect(lockOf(dataDir)).toMatchObject({ pid: process.pid, processStart: processStartOf(process.pid) });
    // Taken again by the same process (a restart in one test): still its own.
    releaseDataDir(dataDir);
    expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
  });

  it("is refused while the process that took it runs, naming its pid (still starting: no port yet)", async () => {
    const dataDir = tempDir();
    const pid = sleeper.pid as number;
    writeLock(dataDir, { pid, startedAt: new Date().toISOString(), processStart: processStartOf(pid) });
    expect(await claimDataDir(dataDir)).toEqual({ kind: "held", holder: { pid } });
    // The lock is left as it was, and a release by another process does not touch it.
    expect(lockOf(dataDir).pid).toBe(pid);
    releaseDataDir(dataDir);
    expect(lockOf(dataDir).pid).toBe(pid);
  });

  it("is taken over when its process is gone (kill -9 during start-up)", async () => {
    const dataDir = tempDir();
    const pid = await deadPid();
    writeLock(dataDir, { pid, startedAt: new Date().toISOString() });
    expect(await claimDataDir(dataDir)).toEqual({ kind: "stale", holder: { pid } });
    expect(lockOf(dataDir).pid).toBe(process.pid);
    releaseDataDir(dataDir);
  });

  it("is taken over when its pid now names another process (started at another time)", async () => {
    const dataDir = tempDir();
    const pid = sleeper.pid as number;
    writeLock(dataDir, { pid, startedAt: "2026-01-01T00:00:00.000Z", processStart: "1" });
    expect((await claimDataDir(dataDir)).kind).toBe("stale");
    expect(lockOf(dataDir).pid).toBe(process.pid);
    releaseDataDir(dataDir);
  });

  it("of many claims at once on a stale lock, exactly one takes the folder", async () => {
    const dataDir = tempDir();
    writeLock(dataDir, { pid: await deadPid(), startedAt: new Date().toISOString() });
    // Each claim in its own process, all at the same moment; a winner holds on until the test ends.
    const script = `import("${new URL("../src/data-dir-lock.ts", import.meta.url).href}").then(async (m) => {
      const claim = await m.claimDataDir(${JSON.stringify(dataDir)});
      process.stdout.write(claim.kind);
      if (claim.kind !== "held") setTimeout(() => {}, 120000);
    });`;
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const run = { child, out: "" };
      child.stdout?.on("data", (chunk) => {
        run.out += String(chunk);
      });
      return run;
    });
    try {
      await waitFor(() => children.every((run) => run.out !== "") || undefined, 45_000, "every claim");
      const kinds = children.map((run) => run.out);
      expect(kinds.filter((kind) => kind !== "held")).toHaveLength(1);
      expect(kinds.filter((kind) => kind === "held")).toHaveLength(3);
    } finally {
      for (const run of children) run.child.kill("SIGKILL");
    }
  }, 60_000);
});

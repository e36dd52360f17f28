/**
 * The processes a peer runs (leadrelay, Redis + the BullMQ app, n8n and its task runner): each
 * started in its own process group so that "stop" and "kill -9" reach the whole tree, measured from
 * /proc (Linux), and killed when the bench exits for any reason (end, error, watchdog, Ctrl-C).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { sleep } from "../lib";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on every Linux port). */
const TICKS_PER_SECOND = 100;
/** How much of a child's output is kept for error messages. */
const OUTPUT_TAIL_CHARS = 20_000;

const liveGroups = new Set<number>();
process.on("exit", () => {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
});

function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** Every process group still running is killed; for SIGINT/SIGTERM handlers and the end of the bench. */
export function killAllGroups() {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
  liveGroups.clear();
}

export interface Tree {
  name: string;
  pid: number;
  child: ChildProcess;
  spawnedAt: number;
  exited: Promise<number | null>;
  running(): boolean;
  output(): string;
  /** Resolves when `pattern` appears in stdout/stderr; rejects if the tree exits or `timeoutMs` passes. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM to the group, SIGKILL to whatever is left after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL to every process of the group at once (a crash, a power cut of the process). */
  kill9(): Promise<void>;
}

export function spawnTree(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env: NodeJS.ProcessEnv },
): Tree {
  const spawnedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = child.pid ?? -1;
  if (pid > 0) liveGroups.add(pid);
  let output = "";
  let exitCode: number | null | undefined;
  const onData = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code, signal) => {
      exitCode = code ?? (signal ? 128 : null);
      resolve(exitCode);
    });
    child.on("error", (error) => {
      output += `\nspawn error: ${error.message}`;
      exitCode = -1;
      resolve(-1);
    });
  });
  const forget = () => {
    // The leader is gone; a straggler in its group (a task runner) is killed with it.
    killGroup(pid, "SIGKILL");
    liveGroups.delete(pid);
  };
  return {
    name,
    pid,
    child,
    spawnedAt,
    exited,
    running: () => exitCode === undefined,
    output: () => output,
    async waitFor(pattern, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(output);
        if (match) return match;
        if (exitCode !== undefined) throw new Error(`${name} exited (${exitCode}):\n${output.slice(-4000)}`);
        if (performance.now() > deadline)
          throw new Error(`${name}: no ${pattern} after ${timeoutMs} ms:\n${output.slice(-4000)}`);
        await sleep(100);
      }
    },
    async stop(timeoutMs = 20_000) {
      if (exitCode === undefined) {
        killGroup(pid, "SIGTERM");
        const timer = setTimeout(() => killGroup(pid, "SIGKILL"), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      forget();
    },
    async kill9() {
      killGroup(pid, "SIGKILL");
      await exited;
      forget();
    },
  };
}

// ── /proc ─────────────────────────────────────────────────────────────────────

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  cpuTicks: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const rest = text.slice(close + 2).split(" ");
    return { pid, ppid: Number(rest[1]), comm, cpuTicks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/** `roots` and all their descendants that are alive now. */
export function treePids(roots: number[]): number[] {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const siblings = byParent.get(stat.ppid) ?? [];
    siblings.push(stat.pid);
    byParent.set(stat.ppid, siblings);
  }
  const seen = new Set<number>();
  const queue = roots.filter((pid) => pid > 0 && readStat(pid) !== undefined);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return [...seen];
}

export interface ProcessMemory {
  pid: number;
  command: string;
  rssMB: number;
  /** VmHWM: the highest RSS this process has had. */
  peakRssMB: number;
}

export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
    const round = (n: number) => Math.round(n / 102.4) / 10;
    return {
      pid,
      command: readStat(pid)?.comm ?? "?",
      rssMB: round(kb("VmRSS")),
      peakRssMB: round(kb("VmHWM")),
    };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) each live process of the trees has used since it started. */
export function cpuSeconds(pids: number[]): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) result.set(pid, stat.cpuTicks / TICKS_PER_SECOND);
  }
  return result;
}

/**
 * Samples the summed RSS of the trees every `intervalMs` until stopped: the peak of the sum (the
 * per-process VmHWM values only bound it from above, they need not have peaked at the same moment).
 */
export function rssSampler(roots: () => number[], intervalMs = 250) {
  let peakTotalMB = 0;
  let samples = 0;
  const take = () => {
    const total = treePids(roots()).reduce((sum, pid) => sum + (processMemory(pid)?.rssMB ?? 0), 0);
    peakTotalMB = Math.max(peakTotalMB, Math.round(total * 10) / 10);
    samples++;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { peakTotalRssMB: peakTotalMB, samples };
    },
  };
}

/**
 * The processes a peer runs (leadrelay, Redis + the BullMQ app, n8n and its task runner): each
 * started in its own process group so that "stop" and "kill -9" reach the whole tree, measured from
 * /proc (Linux), and killed when the bench exits for any reason (end, error, watchdog, Ctrl-C).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
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

// ── sockets ───────────────────────────────────────────────────────────────────

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // process gone
  }
  return inodes;
}

/** "0100007F:1F90" (IPv4, little-endian) or 32 hex digits (IPv6) → address, or undefined when unset or loopback. */
function remoteIfOutside(hex: string): string | undefined {
  const [address = "", portHex = "0"] = hex.split(":");
  const port = Number.parseInt(portHex, 16);
  const v4 = (h: string) => [6, 4, 2, 0].map((i) => Number.parseInt(h.slice(i, i + 2), 16)).join(".");
  if (address.length === 8) {
    const ip = v4(address);
    return ip === "0.0.0.0" || ip.startsWith("127.") ? undefined : `${ip}:${port}`;
  }
  if (/^0+$/.test(address) || address === "00000000000000000000000001000000") return undefined;
  if (address.startsWith("0000000000000000FFFF0000")) {
    const ip = v4(address.slice(24));
    return ip.startsWith("127.") ? undefined : `${ip}:${port}`;
  }
  return `[${address}]:${port}`;
}

/**
 * Remote endpoints outside loopback of the sockets the processes hold right now (TCP and UDP, v4
 * and v6), as "process → address:port". Sampled, so a connection that lives between two samples
 * can be missed; a socket that stays (a keep-alive, a long poll) is not.
 */
export function outsideConnections(pids: number[]): string[] {
  const remoteByInode = new Map<string, string>();
  for (const table of ["tcp", "tcp6", "udp", "udp6"]) {
    let text = "";
    try {
      text = readFileSync(`/proc/self/net/${table}`, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const remote = fields[2] ? remoteIfOutside(fields[2]) : undefined;
      if (remote && fields[9]) remoteByInode.set(fields[9], `${table} ${remote}`);
    }
  }
  const found: string[] = [];
  if (remoteByInode.size === 0) return found;
  for (const pid of pids) {
    for (const inode of socketInodes(pid)) {
      const remote = remoteByInode.get(inode);
      if (remote) found.push(`${readStat(pid)?.comm ?? pid} → ${remote}`);
    }
  }
  return found;
}

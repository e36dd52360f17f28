import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { cpus, release, tmpdir, totalmem, type } from "node:os";
import { join } from "node:path";
import { closeHeaders } from "../packages/local/src/sample-request";
import { leadBody, SECRET } from "../packages/local/test/harness";

export { SECRET };
export const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** Distinct, valid Close lead ids per benchmark (the execution name is the lead id). */
export function leadId(prefix: string, n: number): string {
  return `lead_Bench${prefix}${String(n).padStart(6, "0")}`;
}

/** Signed lead.created bodies, built before any timing starts (signing happens per request, it is cheap). */
export function leadBodies(prefix: string, count: number, from = 0): Array<{ leadId: string; body: string }> {
  const template = leadBody("lead_BenchTEMPLATE", "Bench Lead", "ev_BenchTEMPLATE");
  return Array.from({ length: count }, (_, i) => {
    const id = leadId(prefix, from + i);
    return {
      leadId: id,
      body: template.replaceAll("lead_BenchTEMPLATE", id).replaceAll("ev_BenchTEMPLATE", `ev_${id}`),
    };
  });
}

export function signed(body: string): Record<string, string> {
  return closeHeaders(SECRET, body);
}

/** An owner file (`{OWNER_BASE_URL}/{lead_id}.json`) with a rep assigned. */
export function ownerFileFor(leadId: string): string {
  return JSON.stringify({
    lead_id: leadId,
    display_name: "Bench Lead",
    lead_email: "bench@example.com",
    lead_owner: "Bench Owner",
    funnel: "Inbound",
    status_label: "Potential",
    date_created: "2026-11-20T14:03:11.198000+00:00",
  });
}

// ── statistics ────────────────────────────────────────────────────────────────

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    count: sorted.length,
    mean: round(sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length)),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? Number.NaN),
  };
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ── processes ─────────────────────────────────────────────────────────────────

export interface NodeProcess {
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  output(): string;
  /** Resolves with the URL printed after `ready` and the ms from spawn to that line. */
  ready(timeoutMs?: number): Promise<{ url: string; msFromSpawn: number; reportedMs?: number }>;
  rss(): Memory;
  stop(timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface Memory {
  rssMB: number;
  peakRssMB: number;
}

/** VmRSS / VmHWM of a process, from /proc (Linux). */
export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMB: Math.round(kb("VmRSS") / 102.4) / 10, peakRssMB: Math.round(kb("VmHWM") / 102.4) / 10 };
}

/** Children and temp dirs still alive: killed / removed if the bench exits early (watchdog, Ctrl-C, crash). */
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
process.on("exit", () => {
  for (const child of liveChildren) child.kill("SIGKILL");
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** A TypeScript entry in its own Node 22 process (`node --import tsx`), like `pnpm start`. */
export function spawnTs(script: string, env: Record<string, string>): NodeProcess {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let readyAt: number | undefined;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += String(chunk);
    if (readyAt === undefined && /^ready \S+/m.test(output)) readyAt = performance.now();
    for (const wake of waiters) wake();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  liveChildren.add(child);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  exited.then(() => {
    liveChildren.delete(child);
    for (const wake of waiters) wake();
  });
  let exitCode: number | null | undefined;
  exited.then((code) => {
    exitCode = code;
  });
  const pid = child.pid ?? -1;
  return {
    child,
    pid,
    spawnedAt,
    exited,
    output: () => output,
    rss: () => memoryOf(pid),
    async ready(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = /^ready (\S+)(?: \(started in (\d+) ms\))?/m.exec(output);
        if (match?.[1] && readyAt !== undefined) {
          return {
            url: match[1],
            msFromSpawn: Math.round(readyAt - spawnedAt),
            reportedMs: match[2] ? Number(match[2]) : undefined,
          };
        }
        if (exitCode !== undefined)
          throw new Error(`${script} exited (${exitCode}) before ready:\n${output}`);
        if (Date.now() > deadline) throw new Error(`${script} not ready after ${timeoutMs} ms:\n${output}`);
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
          setTimeout(resolve, 200);
        }).finally(() => waiters.clear());
      }
    },
    async stop(timeoutMs = 20_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** A loopback port with nothing listening on it (connections are refused at once). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `leadrelay-bench-${prefix}-`));
  liveDirs.add(dir);
  return dir;
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

// ── load generation ───────────────────────────────────────────────────────────

export interface LoadResult {
  sent: number;
  statuses: Record<string, number>;
  latenciesMs: number[];
  elapsedMs: number;
  rps: number;
  /** performance.now() when each 2xx answer arrived, by lead id. */
  acceptedAt: Map<string, number>;
}

/** One webhook to send: signed as Close signs it unless `headers` are given; to `url` unless it names its own. */
export interface LoadRequest {
  /** The key its 2xx answer is recorded under (`acceptedAt`). */
  leadId: string;
  body: string;
  url?: string;
  headers?: Record<string, string>;
}

export interface LoadOptions {
  url: string;
  requests: LoadRequest[];
  concurrency: number;
  /** Stop issuing new requests after this long (bounded in time as well as in count). */
  maxMs: number;
  /** Open loop: start requests at this rate instead of back to back (still capped by concurrency). */
  ratePerSecond?: number;
}

function post(agent: Agent, url: URL, body: string, given?: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { ...(given ?? signed(body)), "content-length": String(Buffer.byteLength(body)) };
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: "POST",
        headers,
        agent,
        timeout: 30_000,
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

/** Signed webhooks to `url`, `concurrency` in flight, every latency recorded (closed loop unless a rate is given). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const acceptedAt = new Map<string, number>();
  const started = performance.now();
  const deadline = started + options.maxMs;
  let next = 0;
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      const item = options.requests[index];
      if (!item || performance.now() > deadline) return;
      if (interval > 0) {
        const due = started + index * interval;
        const now = performance.now();
        if (due > now) await sleep(due - now);
      }
      const t0 = performance.now();
      let status: number;
      try {
        status = await post(agent, item.url ? new URL(item.url) : url, item.body, item.headers);
      } catch (error) {
        status = 0;
        statuses[`error:${(error as Error).message}`] =
          (statuses[`error:${(error as Error).message}`] ?? 0) + 1;
      }
      const t1 = performance.now();
      latenciesMs.push(t1 - t0);
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (status >= 200 && status < 300) acceptedAt.set(item.leadId, t1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    sent: latenciesMs.length,
    statuses,
    latenciesMs,
    elapsedMs: Math.round(elapsedMs),
    rps: Math.round((latenciesMs.length / elapsedMs) * 1000 * 10) / 10,
    acceptedAt,
  };
}

export async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  return response.json();
}

// ── machine ───────────────────────────────────────────────────────────────────

export function machine() {
  const cpuList = cpus();
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, {
        cwd: REPO_ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      return undefined;
    }
  };
  const commit = git("rev-parse", "--short", "HEAD")?.trim();
  // Uncommitted changes outside bench/ mean the numbers are for a working tree, not for the commit alone.
  const changed = git("status", "--porcelain")
    ?.split("\n")
    .filter((line) => line.trim() && !/ (bench\/|package\.json$)/.test(line)).length;
  return {
    os: `${type()} ${release()}`,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpuList[0]?.model ?? "unknown",
    cpuCount: cpuList.length,
    totalMemoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    pnpm: /pnpm\/(\S+)/.exec(process.env.npm_config_user_agent ?? "")?.[1],
    gitCommit: commit,
    uncommittedFilesOutsideBench: changed,
  };
}

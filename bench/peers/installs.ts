/**
 * What the peers need that the workspace does not have, installed only when `pnpm bench --peers`
 * runs (never in CI), outside the repo in ~/.cache/leadrelay-bench, and reused on the next run.
 * Each step is bounded in time; a failure carries the command, its exit status and its last output.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../lib";

export const CACHE_DIR = join(homedir(), ".cache", "leadrelay-bench");

export interface StepRecord {
  step: string;
  command?: string;
  seconds: number;
  skipped?: string;
}

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout));
        const tail = `${stderr}\n${stdout}`
          .split("\n")
          .filter(
            (line) =>
              line.trim() &&
              !/^npm warn (ERESOLVE|EBADENGINE|While|Found|Could not|Conflicting|\s)/.test(line),
          )
          .slice(-25)
          .join("\n");
        const how = error.killed ? `killed after ${options.timeoutMs} ms` : `exit ${error.code ?? "?"}`;
        reject(
          new Error(`\`${[command, ...args].join(" ")}\` in ${options.cwd ?? "."} failed (${how}):\n${tail}`),
        );
      },
    );
  });
}

/** A private package folder: `npm install` there does not touch the workspace. */
export function packageFolder(name: string): string {
  const dir = join(CACHE_DIR, name);
  mkdirSync(dir, { recursive: true });
  const manifest = join(dir, "package.json");
  if (!existsSync(manifest))
    writeFileSync(
      manifest,
      `${JSON.stringify({ name: `leadrelay-bench-${name}`, private: true }, null, 2)}\n`,
    );
  return dir;
}

export function installedVersion(dir: string, pkg: string): string | undefined {
  try {
    return (
      JSON.parse(readFileSync(join(dir, "node_modules", pkg, "package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    return undefined;
  }
}

export async function step<T>(
  steps: StepRecord[],
  name: string,
  command: string | undefined,
  body: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  try {
    return await body();
  } finally {
    steps.push({ step: name, command, seconds: Math.round((performance.now() - started) / 100) / 10 });
  }
}

// ── Redis and its client ──────────────────────────────────────────────────────

export const REDIS_SERVER = "/usr/bin/redis-server";
export const IOREDIS_VERSION = "5.11.1";

/** redis-server from Debian, installed with apt-get only if it is missing. */
export async function ensureRedis(steps: StepRecord[]): Promise<string> {
  if (!existsSync(REDIS_SERVER)) {
    await step(steps, "apt-get install redis-server", "apt-get install -y redis-server", async () => {
      await run("apt-get", ["update"], { timeoutMs: 180_000 });
      await run("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], {
        timeoutMs: 300_000,
        env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      });
    });
  }
  return (await run(REDIS_SERVER, ["--version"], { timeoutMs: 10_000 })).trim();
}

/**
 * BullMQ 6 has its Redis driver as an optional peer dependency and the workspace has none: ioredis
 * from the workspace if someone adds it, else installed here (the version BullMQ 6.7.0 is built with).
 */
export async function ensureIORedis(steps: StepRecord[]): Promise<{ dir: string; version: string }> {
  try {
    const resolved = createRequire(join(REPO_ROOT, "package.json")).resolve("ioredis/package.json");
    const dir = join(resolved, "..", "..", "..");
    return { dir, version: installedVersion(dir, "ioredis") ?? "?" };
  } catch {
    // not in the workspace
  }
  const dir = packageFolder(`ioredis-${IOREDIS_VERSION}`);
  if (installedVersion(dir, "ioredis") !== IOREDIS_VERSION) {
    const args = ["install", "--no-audit", "--no-fund", "--loglevel=error", `ioredis@${IOREDIS_VERSION}`];
    await step(steps, "npm install ioredis", `npm ${args.join(" ")}`, () =>
      run("npm", args, { cwd: dir, timeoutMs: 180_000 }),
    );
  }
  return { dir, version: IOREDIS_VERSION };
}

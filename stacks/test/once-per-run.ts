import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isMainThread } from "node:worker_threads";

const ROOT = path.join(tmpdir(), "leadrelay-once-per-run");
const POLL_MS = 100;

/**
 * The vitest run this process belongs to: test files run in child processes of one vitest process
 * (pool "forks"), or in worker threads of it (pool "threads").
 */
const runPid = () => (isMainThread ? process.ppid : process.pid);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** Folders that never hold what a result is made from (and change while others work). */
const SKIPPED = new Set(["node_modules", "test", "fixtures", "corpus"]);

/** Paths, sizes and modification times of every file under `inputs`: a changed source is a new result. */
function fingerprint(inputs: readonly string[]): string {
  const hash = createHash("sha256");
  const visit = (file: string) => {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(file).sort()) {
        if (!SKIPPED.has(entry) && !entry.startsWith(".")) visit(path.join(file, entry));
      }
    } else hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  };
  for (const input of inputs) visit(input);
  return hash.digest("hex").slice(0, 16);
}

/** Results of runs whose vitest process is gone. */
function removeStale(name: string) {
  for (const entry of readdirSync(ROOT)) {
    const pid = Number(new RegExp(`^${name}-(\\d+)-`).exec(entry)?.[1]);
    if (pid && !alive(pid)) rmSync(path.join(ROOT, entry), { recursive: true, force: true });
  }
}

/**
 * `produce(dir)` once per vitest run, shared by every test file of the run: the first process to
 * create the run's directory produces (its result as JSON; files it needs to keep go in `dir`), the
 * others wait for it. A test file run alone produces it itself. Watch mode produces again when a file
 * under `inputs` has changed. The directory goes when its vitest process is gone.
 */
export async function oncePerRun<T>(
  name: string,
  inputs: readonly string[],
  produce: (dir: string) => Promise<T>,
  timeoutMs = 900_000,
): Promise<T> {
  mkdirSync(ROOT, { recursive: true });
  // A run's files must agree on one key: others edit sources while it runs, so only watch mode, which
  // reruns in the same vitest process, tells results apart by their inputs.
  const inputsKey = process.env.VITEST_MODE === "WATCH" ? fingerprint(inputs) : "run";
  const dir = path.join(ROOT, `${name}-${runPid()}-${inputsKey}`);
  const result = path.join(dir, "result.json");
  const failure = path.join(dir, "error.txt");
  const owner = path.join(dir, "owner");

  let producer = false;
  try {
    mkdirSync(dir);
    producer = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }

  if (producer) {
    writeFileSync(owner, String(process.pid));
    removeStale(name);
    try {
      const value = await produce(dir);
      // Written whole, then renamed: a waiting process never reads half a file.
      writeFileSync(`${result}.tmp`, JSON.stringify(value));
      renameSync(`${result}.tmp`, result);
      return value;
    } catch (error) {
      writeFileSync(failure, error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw error;
    }
  }

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readIfPresent(result);
    if (text !== undefined) return JSON.parse(text) as T;
    const error = readIfPresent(failure);
    if (error !== undefined) throw new Error(`${name} failed in another test process:\n${error}`);
    const pid = Number(readIfPresent(owner));
    if (pid && !alive(pid) && readIfPresent(result) === undefined) {
      throw new Error(`${name}: the test process producing it (${pid}) is gone`);
    }
    if (Date.now() > deadline) throw new Error(`${name}: no result after ${timeoutMs} ms in ${dir}`);
    await sleep(POLL_MS);
  }
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * What the scenarios need from a system under test, and leadrelay itself as one: a black box over
 * HTTP, started exactly as a user starts it (`node --import tsx packages/local/src/main.ts` with the
 * project's Node 22), configured only through its environment.
 */
import { closedPort, REPO_ROOT, removeDir, SECRET, sleep, tempDir } from "../lib";
import type { StepRecord } from "./installs";
import { spawnTree, type Tree } from "./processes";
import type { StandIns } from "./stand-ins";

export type PeerName = "leadrelay" | "bullmq" | "n8n";

export interface LaunchOptions {
  holdSeconds: number;
  standIns: StandIns;
  /** First retry interval after "owner not assigned" or a Slack failure: the same for every peer in a run. */
  retryIntervalMs: number;
}

export interface Running {
  webhookUrl: string;
  /** Spawn → accepting webhooks, ms. */
  readyMs: number;
  /** The live process trees of the system, by role. */
  parts(): Array<{ role: string; tree: Tree }>;
  /** kill -9 one part of the system ("all": every process of it). */
  crash(part: string): Promise<void>;
  /** Starts the crashed part again on the same data; resolves with ms until it accepts work again. */
  recover(part: string): Promise<number>;
  stop(): Promise<void>;
  /** How many leads the system itself says are held, where it can say. */
  held?(): Promise<number | undefined>;
}

export interface Peer {
  name: PeerName;
  /** The crash scenarios this peer is put through: which part is killed, in words. */
  crashes: Array<{ part: string; what: string }>;
  /** Installs what is missing; returns the versions and settings, for the report. */
  setup(steps: StepRecord[]): Promise<Record<string, unknown>>;
  launch(options: LaunchOptions): Promise<Running>;
}

/** The bench's environment for children, without proxies: every peer must talk to loopback directly. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!/_proxy$/i.test(name) && name !== "NODE_OPTIONS") env[name] = value;
  return { ...env, ...extra };
}

/** GETs `url` until `accept(status, body)` holds; bounded by `timeoutMs`. */
export async function untilHttp(
  url: string,
  accept: (status: number, body: string) => boolean,
  timeoutMs: number,
  init?: RequestInit,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "no answer";
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
      const body = await response.text();
      if (accept(response.status, body)) return;
      last = `${response.status} ${body.slice(0, 200)}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${url}: not ready after ${timeoutMs} ms (last: ${last})`);
}

export const leadrelay: Peer = {
  name: "leadrelay",
  crashes: [{ part: "process", what: "kill -9 the leadrelay process (its only process)" }],
  async setup() {
    return {
      command: "node --import tsx packages/local/src/main.ts (what `pnpm start` runs), from the repo root",
      node: process.version,
      env: "PORT, CLOSE_WEBHOOK_SECRET, SLACK_WEBHOOK_URL, OWNER_BASE_URL, LEAD_WAIT_SECONDS, LEADRELAY_DATA_DIR (a temp dir), LEADRELAY_FLOWS=announce, LEADRELAY_RETRY_INTERVAL_MS",
      storage: "its local runtime: executions and S3 objects as files under LEADRELAY_DATA_DIR",
    };
  },
  async launch(options) {
    const dataDir = tempDir("peers-leadrelay");
    const port = await closedPort();
    const env = childEnv({
      PORT: String(port),
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: options.standIns.slackWebhookUrl,
      OWNER_BASE_URL: options.standIns.ownerBaseUrl,
      LEAD_WAIT_SECONDS: String(options.holdSeconds),
      LEADRELAY_DATA_DIR: dataDir,
      LEADRELAY_FLOWS: "announce",
      LEADRELAY_RETRY_INTERVAL_MS: String(options.retryIntervalMs),
      LOG_LEVEL: "warn",
    });
    const start = async () => {
      const tree = spawnTree(
        "leadrelay",
        process.execPath,
        ["--import", "tsx", "packages/local/src/main.ts"],
        {
          cwd: REPO_ROOT,
          env,
        },
      );
      const url = (await tree.waitFor(/^ready (\S+)/m, 120_000))[1] ?? "";
      return { tree, url, ms: Math.round(performance.now() - tree.spawnedAt) };
    };
    let current = await start();
    const origin = new URL(current.url).origin;
    return {
      webhookUrl: current.url,
      readyMs: current.ms,
      parts: () => [{ role: "leadrelay", tree: current.tree }],
      crash: () => current.tree.kill9(),
      async recover() {
        current = await start();
        return current.ms;
      },
      async stop() {
        await current.tree.stop();
        removeDir(dataDir);
      },
      async held() {
        const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5000) });
        return ((await response.json()) as { running?: number }).running;
      },
    };
  },
};

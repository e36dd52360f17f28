/**
 * Section 7's Close burst done the BullMQ way (issue 20's yardstick, not part of the product):
 * `leads` jobs added at once to one queue whose Worker has BullMQ's `limiter: { max, duration }`,
 * each job making triage's three Close calls (GET the lead; PUT the custom field and POST the note
 * when recording the outcome) against a loopback Close stand-in that refuses beyond 12/s with
 * Close's own 429 (the same limiter code as leadrelay's stand-ins, packages/local/src/stand-ins/
 * rate-limit.ts). BullMQ's limiter counts jobs, not calls: 10 Close calls per second at 3 calls a
 * job is `{ max: 10, duration: 3000 }`. On a 429 the job does what BullMQ's docs recommend:
 * `worker.rateLimit(Retry-After)` (the whole queue waits) and `throw Worker.RateLimitError()` (the
 * job goes back to wait, no attempt used); it keeps the calls it already made in its data (BullMQ's
 * "process step jobs" pattern), so a retried job does not repeat them. Other failures: 10 attempts,
 * exponential backoff from 1 s. Docs: docs.bullmq.io/guide/rate-limiting ("Manual rate-limit").
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Queue, Worker } from "bullmq";
import { StandInLimiter } from "../../../packages/local/src/stand-ins/rate-limit";
import { closedPort, removeDir, sleep, tempDir } from "../../lib";
import { ensureIORedis, ensureRedis, REDIS_SERVER, type StepRecord } from "../installs";
import { childEnv } from "../peer";
import { spawnTree } from "../processes";
import { REDIS_SETTINGS } from "./system";

const CLOSE_PER_SECOND = 10;
const CALLS_PER_JOB = 3;
export const BULLMQ_BURST_LIMITER = { max: 10, duration: (CALLS_PER_JOB * 1000 * 10) / CLOSE_PER_SECOND };
const CLOSE_REFUSES_BEYOND = { count: 12, windowMs: 1000 };
const WORKER_CONCURRENCY = 50;

interface CloseStandIn {
  url: string;
  calls: number;
  refused: number;
  close(): Promise<void>;
}

/** Close's API as far as triage calls it, refusing like Close beyond 12 requests in any second. */
async function closeStandIn(): Promise<CloseStandIn> {
  const limiter = new StandInLimiter("close", CLOSE_REFUSES_BEYOND, Date.now);
  const counts = { calls: 0, refused: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      counts.calls++;
      const admission = limiter.admit({ path: req.url ?? "/" });
      const answer =
        "refuse" in admission
          ? admission.refuse
          : { status: 200, headers: admission.headers, json: { id: `lead_${counts.calls}` } };
      if ("refuse" in admission) counts.refused++;
      const text = JSON.stringify("json" in answer ? answer.json : {});
      res.writeHead(answer.status, { ...answer.headers, "content-type": "application/json" });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return counts.calls;
    },
    get refused() {
      return counts.refused;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type RedisClient = { quit(): Promise<unknown> };
type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;

function loadIORedis(dir: string): RedisConstructor {
  const module = createRequire(`${dir}/package.json`)("ioredis") as RedisConstructor & {
    default?: RedisConstructor;
  };
  return module.default ?? module;
}

interface BurstJob {
  leadId: string;
  /** How many of the job's Close calls are done (kept across a rate-limited retry). */
  done: number;
}

export async function bullmqCloseBurst(options: { leads: number }, steps: StepRecord[] = []) {
  await ensureRedis(steps);
  const IORedis = loadIORedis((await ensureIORedis(steps)).dir);
  const dir = tempDir("peers-burst-redis");
  const port = await closedPort();
  const redis = spawnTree(
    "redis-server",
    REDIS_SERVER,
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--logfile", ""],
      ...Object.entries(REDIS_SETTINGS).flatMap(([name, value]) => [`--${name}`, value]),
    ],
    { cwd: dir, env: childEnv({}) },
  );
  const close = await closeStandIn();
  let connection: RedisClient | undefined;
  let queue: Queue<BurstJob> | undefined;
  let worker: Worker<BurstJob> | undefined;
  try {
    await redis.waitFor(/Ready to accept connections/, 60_000);
    connection = new IORedis({ host: "127.0.0.1", port, maxRetriesPerRequest: null });
    // biome-ignore lint/suspicious/noExplicitAny: BullMQ accepts an ioredis instance; its type is not installed
    const redisConnection = connection as any;
    queue = new Queue<BurstJob>("close-burst", {
      connection: redisConnection,
      defaultJobOptions: {
        attempts: 10,
        backoff: { type: "exponential", delay: 1000 },
        removeOnComplete: true,
      },
    });
    let completed = 0;
    let failed = 0;
    const calls = (leadId: string): Array<[string, string]> => [
      ["GET", `/api/v1/lead/${leadId}/`],
      ["PUT", `/api/v1/lead/${leadId}/`],
      ["POST", "/api/v1/activity/note/"],
    ];
    const current = new Worker<BurstJob>(
      "close-burst",
      async (job) => {
        const steps = calls(job.data.leadId);
        for (let step = job.data.done; step < steps.length; step++) {
          const [method, path] = steps[step] as [string, string];
          const response = await fetch(`${close.url}${path}`, {
            method,
            headers: { "content-type": "application/json" },
            body: method === "GET" ? undefined : JSON.stringify({ leadId: job.data.leadId }),
          });
          await response.arrayBuffer();
          if (response.status === 429) {
            const seconds = Number(response.headers.get("retry-after") ?? "1");
            await current.rateLimit(Math.max(1, seconds) * 1000);
            throw Worker.RateLimitError();
          }
          if (!response.ok) throw new Error(`Close answered ${response.status}`);
          await job.updateData({ ...job.data, done: step + 1 });
        }
      },
      { connection: redisConnection, concurrency: WORKER_CONCURRENCY, limiter: BULLMQ_BURST_LIMITER },
    );
    worker = current;
    current.on("completed", () => {
      completed++;
    });
    current.on("failed", (job) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) failed++;
    });
    const began = performance.now();
    await queue.addBulk(
      Array.from({ length: options.leads }, (_, i) => ({
        name: "lead",
        data: { leadId: `lead_burst${i + 1}`, done: 0 },
        opts: { jobId: `lead_burst${i + 1}` },
      })),
    );
    const deadline = Date.now() + 600_000;
    while (completed + failed < options.leads && Date.now() < deadline) await sleep(100);
    const seconds = (performance.now() - began) / 1000;
    const answered = close.calls - close.refused;
    const boundSeconds = answered / CLOSE_PER_SECOND;
    return {
      leads: options.leads,
      limiter: BULLMQ_BURST_LIMITER,
      workerConcurrency: WORKER_CONCURRENCY,
      doneSeconds: Math.round(seconds * 10) / 10,
      boundSeconds: Math.round(boundSeconds * 10) / 10,
      ratioToBound: Math.round((seconds / boundSeconds) * 100) / 100,
      closeCalls: close.calls,
      close429: close.refused,
      close429Share: close.calls ? Math.round((close.refused / close.calls) * 10_000) / 10_000 : 0,
      completed,
      failed,
      unfinished: options.leads - completed - failed,
    };
  } finally {
    await worker?.close(true).catch(() => undefined);
    await queue?.close().catch(() => undefined);
    await connection?.quit().catch(() => undefined);
    await close.close();
    await redis.stop().catch(() => undefined);
    removeDir(dir);
  }
}

/**
 * The BullMQ peer: Debian's redis-server started by the bench on a free loopback port with the
 * persistence BullMQ's production guide asks for (AOF, fsync every second; RDB snapshots at Redis's
 * default save points as well; maxmemory-policy noeviction), and bench/peers/bullmq/app.ts (webhook
 * + Worker, one Node 22 process) in front of it.
 */
import { closedPort, REPO_ROOT, removeDir, SECRET, tempDir } from "../../lib";
import { ensureIORedis, ensureRedis, REDIS_SERVER } from "../installs";
import { childEnv, type Peer, untilHttp } from "../peer";
import { spawnTree, type Tree } from "../processes";

const BULLMQ_VERSION = "6.7.0";
const WORKER_CONCURRENCY = 50;
export const REDIS_SETTINGS = {
  appendonly: "yes",
  appendfsync: "everysec",
  save: "3600 1 300 100 60 10000",
  "maxmemory-policy": "noeviction",
};

let ioredisDir = "";

export const bullmq: Peer = {
  name: "bullmq",
  crashes: [
    { part: "app", what: "kill -9 the app process (webhook + Worker); Redis keeps running" },
    { part: "redis", what: "kill -9 redis-server; the app keeps running and reconnects" },
  ],
  async setup(steps) {
    const redis = await ensureRedis(steps);
    const ioredis = await ensureIORedis(steps);
    ioredisDir = ioredis.dir;
    return {
      bullmq: BULLMQ_VERSION,
      redis,
      ioredis: `${ioredis.version} (${ioredis.dir})`,
      redisSettings: REDIS_SETTINGS,
      rawEvent: "Redis key announce:raw:{lead_id} (SET NX, 7-day TTL), same Redis and AOF as the jobs",
      job: "queue.add('announce', …, { jobId: lead id, delay: hold }); attempts 10, exponential backoff (base = retry interval, jitter 0.5)",
      removeOnComplete: "{ age: 7 days } (a kept job still refuses a redelivered webhook by its jobId)",
      removeOnFail: "{ age: 28 days }",
      workerConcurrency: WORKER_CONCURRENCY,
      slack429:
        "queue.rateLimit(Retry-After) + Worker.RateLimitError() (BullMQ's manual rate limit: the job goes back to wait); " +
        "the worker has limiter { max: 1000, duration: 1000 } because BullMQ only applies a manual rate limit when limiter.max is set",
      process:
        "one Node 22 process: node:http webhook + Queue (producer connection fails fast) + Worker (maxRetriesPerRequest: null)",
    };
  },
  async launch(options) {
    const dir = tempDir("peers-redis");
    const redisPort = await closedPort();
    const appPort = await closedPort();
    const redisArgs = [
      ...["--port", String(redisPort), "--bind", "127.0.0.1", "--protected-mode", "yes"],
      ...["--dir", dir, "--daemonize", "no", "--logfile", ""],
      ...Object.entries(REDIS_SETTINGS).flatMap(([name, value]) => [`--${name}`, value]),
    ];
    const startRedis = async () => {
      const tree = spawnTree("redis-server", REDIS_SERVER, redisArgs, { cwd: dir, env: childEnv({}) });
      await tree.waitFor(/Ready to accept connections/, 60_000);
      return { tree, ms: Math.round(performance.now() - tree.spawnedAt) };
    };
    const appEnv = childEnv({
      PORT: String(appPort),
      REDIS_PORT: String(redisPort),
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: options.standIns.slackWebhookUrl,
      OWNER_BASE_URL: options.standIns.ownerBaseUrl,
      LEAD_WAIT_SECONDS: String(options.holdSeconds),
      OWNER_RETRY_DELAY_MS: String(options.retryIntervalMs),
      WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
      IOREDIS_PACKAGE_DIR: ioredisDir,
    });
    const startApp = async () => {
      const tree = spawnTree(
        "bullmq-app",
        process.execPath,
        ["--import", "tsx", "bench/peers/bullmq/app.ts"],
        {
          cwd: REPO_ROOT,
          env: appEnv,
        },
      );
      const url = (await tree.waitFor(/^ready (\S+)/m, 120_000))[1] ?? "";
      return { tree, url, ms: Math.round(performance.now() - tree.spawnedAt) };
    };
    let redis: { tree: Tree; ms: number } = await startRedis();
    let app: { tree: Tree; url: string; ms: number };
    try {
      app = await startApp();
    } catch (error) {
      await redis.tree.stop();
      throw error;
    }
    const origin = new URL(app.url).origin;
    return {
      webhookUrl: app.url,
      readyMs: redis.ms + app.ms,
      parts: () => [
        { role: "redis-server", tree: redis.tree },
        { role: "bullmq-app", tree: app.tree },
      ],
      async crash(part) {
        if (part === "redis") await redis.tree.kill9();
        else await app.tree.kill9();
      },
      async recover(part) {
        if (part !== "redis") {
          app = await startApp();
          return app.ms;
        }
        redis = await startRedis();
        // Back when the app's producer connection answers again (ioredis reconnects on its own).
        const started = performance.now();
        await untilHttp(`${origin}/healthz`, (status) => status === 200, 30_000);
        return redis.ms + Math.round(performance.now() - started);
      },
      async stop() {
        // App first (graceful worker.close()), then Redis (SIGTERM: it writes the AOF and exits).
        await app.tree.stop();
        await redis.tree.stop();
        removeDir(dir);
      },
      async held() {
        const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5000) });
        const counts = (await response.json()) as { delayed?: number; waiting?: number; active?: number };
        return (counts.delayed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0);
      },
    };
  },
};

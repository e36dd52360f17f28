/**
 * The announce flow as a BullMQ user would write it (a yardstick for the bench, not part of the
 * product): one Node process with
 *  - a node:http webhook handler: verify the Close signature on the raw body, store the raw event in
 *    Redis (`announce:raw:{lead_id}`, SET NX, same Redis and so the same AOF as the job), then
 *    `queue.add` with `delay` = the hold and `jobId` = the lead id (a redelivered webhook is ignored);
 *  - a Worker: raw event → owner file (403/404 = not assigned yet: the job fails and BullMQ retries it
 *    with `attempts` + exponential `backoff`) → merge and store (`announce:merged:{lead_id}`, reused
 *    by later attempts) → POST to Slack (429: the queue is rate limited for Retry-After and the job
 *    goes back to wait, BullMQ's manual rate-limit pattern; 5xx/network: retried with backoff).
 *
 * env: PORT, REDIS_PORT, CLOSE_WEBHOOK_SECRET, SLACK_WEBHOOK_URL, OWNER_BASE_URL, LEAD_WAIT_SECONDS,
 * OWNER_RETRY_DELAY_MS (default 120000), WORKER_CONCURRENCY (default 50), IOREDIS_PACKAGE_DIR.
 * Prints `ready <url>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Queue, UnrecoverableError, Worker } from "bullmq";
import {
  isHexKey,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyCloseSignature,
} from "../../../packages/core/src/close-signature";

const startedAt = performance.now();

function readEnv() {
  const env = process.env;
  const problems: string[] = [];
  const url = (name: string) => {
    const value = env[name] ?? "";
    if (!/^https?:\/\/\S+$/.test(value)) problems.push(`${name}: must be an http(s) URL`);
    return value.replace(/\/+$/, "");
  };
  const int = (name: string, fallback?: number) => {
    const value = env[name] === undefined || env[name] === "" ? fallback : Number(env[name]);
    if (value === undefined || !Number.isInteger(value) || value < 0)
      problems.push(`${name}: must be an integer ≥ 0`);
    return value ?? 0;
  };
  const secret = env.CLOSE_WEBHOOK_SECRET ?? "";
  if (!isHexKey(secret)) problems.push("CLOSE_WEBHOOK_SECRET: must be hex (Close's signature key)");
  const config = {
    port: int("PORT", 3000),
    redisPort: int("REDIS_PORT", 6379),
    secretHex: secret,
    slackWebhookUrl: url("SLACK_WEBHOOK_URL"),
    ownerBaseUrl: url("OWNER_BASE_URL"),
    holdMs: int("LEAD_WAIT_SECONDS", 600) * 1000,
    ownerRetryDelayMs: int("OWNER_RETRY_DELAY_MS", 120_000),
    concurrency: int("WORKER_CONCURRENCY", 50),
    ioredisDir: env.IOREDIS_PACKAGE_DIR,
  };
  if (problems.length > 0) throw new Error(`bullmq peer: invalid configuration\n  ${problems.join("\n  ")}`);
  return config;
}

const config = readEnv();

/**
 * BullMQ 6 makes its Redis driver an optional peer dependency. The workspace has none, so the bench
 * installs ioredis (the version BullMQ is developed against) outside the repo and points here.
 */
type RedisClient = {
  set(...args: Array<string | number>): Promise<string | null>;
  get(key: string): Promise<string | null>;
  quit(): Promise<unknown>;
};
type RedisConstructor = new (options: Record<string, unknown>) => RedisClient;
function loadIORedis(): RedisConstructor {
  const from = config.ioredisDir ? `${config.ioredisDir}/package.json` : import.meta.url;
  const module = createRequire(from)("ioredis") as RedisConstructor & { default?: RedisConstructor };
  return module.default ?? module;
}
const IORedis = loadIORedis();
const redisOptions = { host: "127.0.0.1", port: config.redisPort };
// BullMQ's production guide: the producer fails fast while Redis is away (the webhook answers 503 and
// Close delivers again); the worker waits for Redis forever (maxRetriesPerRequest: null).
const producerRedis = new IORedis({ ...redisOptions, enableOfflineQueue: false });
const workerRedis = new IORedis({ ...redisOptions, maxRetriesPerRequest: null });

const QUEUE = "announce";
const KEEP_SECONDS = 7 * 24 * 3600;
const rawKey = (leadId: string) => `announce:raw:${leadId}`;
const mergedKey = (leadId: string) => `announce:merged:${leadId}`;

interface AnnounceJob {
  leadId: string;
  receivedAt: string;
}

const queue = new Queue<AnnounceJob>(QUEUE, {
  // biome-ignore lint/suspicious/noExplicitAny: BullMQ accepts an ioredis instance; its type is not installed
  connection: producerRedis as any,
  defaultJobOptions: {
    attempts: 10,
    backoff: { type: "exponential", delay: config.ownerRetryDelayMs, jitter: 0.5 },
    // Completed jobs are kept a week: while a job is kept, its jobId still refuses a redelivered webhook.
    removeOnComplete: { age: KEEP_SECONDS },
    removeOnFail: { age: 4 * KEEP_SECONDS },
  },
});

// ── webhook ───────────────────────────────────────────────────────────────────

function reply(res: ServerResponse, status: number, body: Record<string, unknown>) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error("body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// A BullMQ custom job id may not contain ":" nor be an integer; Close lead ids never are.
const LEAD_ID = /^lead_[A-Za-z0-9]+$/;

const server = createServer(async (req, res) => {
  if (req.method === "GET" && req.url === "/healthz") {
    try {
      return reply(res, 200, await queue.getJobCounts("delayed", "waiting", "active", "completed", "failed"));
    } catch (error) {
      return reply(res, 503, { error: (error as Error).message });
    }
  }
  if (req.method !== "POST" || req.url !== "/webhook/close") return reply(res, 404, { error: "not found" });
  try {
    const raw = await readBody(req);
    const check = verifyCloseSignature({
      secretHex: config.secretHex,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
      timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      rawBody: raw,
      now: Date.now(),
    });
    if (!check.ok) return reply(res, 401, { error: "invalid signature", reason: check.reason });
    const event = (JSON.parse(raw.toString("utf8")) as { event?: { lead_id?: string; object_id?: string } })
      .event;
    const leadId = event?.lead_id ?? event?.object_id;
    if (!leadId || !LEAD_ID.test(leadId)) return reply(res, 400, { error: "no lead id" });
    await producerRedis.set(rawKey(leadId), raw.toString("utf8"), "EX", KEEP_SECONDS, "NX");
    await queue.add(
      "announce",
      { leadId, receivedAt: new Date().toISOString() },
      { jobId: leadId, delay: config.holdMs },
    );
    reply(res, 202, { status: "accepted", leadId });
  } catch (error) {
    reply(res, 503, { error: (error as Error).message });
  }
});
server.keepAliveTimeout = 30_000;

// ── worker ────────────────────────────────────────────────────────────────────

interface Owner {
  lead_owner?: string | null;
  funnel?: string | null;
  lead_email?: string | null;
  status_label?: string | null;
}

async function fetchOwner(leadId: string): Promise<Owner> {
  const response = await fetch(`${config.ownerBaseUrl}/${leadId}.json`, {
    signal: AbortSignal.timeout(8000),
  });
  if (response.status === 403 || response.status === 404) {
    await response.body?.cancel();
    // Not assigned yet: failing the job makes BullMQ retry it after the backoff.
    throw new Error(`OwnerNotAssigned: ${response.status} for ${leadId}`);
  }
  if (!response.ok) throw new Error(`owner lookup: HTTP ${response.status}`);
  return (await response.json()) as Owner;
}

function merge(raw: string, owner: Owner) {
  const data = (JSON.parse(raw) as { event: { lead_id: string; data: Record<string, unknown> } }).event;
  const lead = data.data;
  return {
    leadId: data.lead_id,
    name: (lead.display_name as string | undefined) ?? null,
    url: (lead.html_url as string | undefined) ?? null,
    createdAt: (lead.date_created as string | undefined) ?? null,
    status: owner.status_label ?? (lead.status_label as string | undefined) ?? null,
    email: owner.lead_email ?? null,
    owner: owner.lead_owner ?? null,
    funnel: owner.funnel ?? null,
  };
}
type Merged = ReturnType<typeof merge>;

function slackMessage(lead: Merged) {
  const field = (label: string, value: string | null) => ({
    type: "mrkdwn",
    text: `*${label}*\n${value ?? "—"}`,
  });
  return {
    text: `New lead ${lead.name ?? "—"} (${lead.leadId}), owner ${lead.owner ?? "—"}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "New lead", emoji: false } },
      {
        type: "section",
        fields: [
          field("Lead", lead.url ? `<${lead.url}|${lead.name}>` : lead.name),
          field("Lead ID", lead.leadId),
          field("Created", lead.createdAt),
          field("Status", lead.status),
          field("Email", lead.email),
          field("Owner", lead.owner),
          field("Funnel", lead.funnel),
        ],
      },
    ],
  };
}

async function announce(job: { data: AnnounceJob }) {
  const { leadId } = job.data;
  // A later attempt (after a Slack failure) reuses what an earlier one merged and stored.
  let merged = await workerRedis.get(mergedKey(leadId));
  if (merged === null) {
    const raw = await workerRedis.get(rawKey(leadId));
    if (raw === null) throw new UnrecoverableError(`raw event of ${leadId} is missing`);
    merged = JSON.stringify(merge(raw, await fetchOwner(leadId)));
    await workerRedis.set(mergedKey(leadId), merged, "EX", KEEP_SECONDS);
  }
  const response = await fetch(config.slackWebhookUrl, {
    method: "POST",
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(slackMessage(JSON.parse(merged) as Merged)),
    signal: AbortSignal.timeout(8000),
  });
  await response.body?.cancel();
  if (response.status === 429) {
    const seconds = Number(response.headers.get("retry-after"));
    await queue.rateLimit(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000);
    throw Worker.RateLimitError();
  }
  if (response.status >= 500) throw new Error(`Slack: HTTP ${response.status}`);
  if (!response.ok) throw new UnrecoverableError(`Slack refused the message: HTTP ${response.status}`);
  return { postedAt: new Date().toISOString() };
}

const worker = new Worker<AnnounceJob>(QUEUE, announce, {
  // biome-ignore lint/suspicious/noExplicitAny: see the queue
  connection: workerRedis as any,
  // The job is two HTTP calls and two Redis reads: I/O-bound, so many at once in one process.
  concurrency: config.concurrency,
  // BullMQ applies a manual rate limit (queue.rateLimit on a 429) only when the worker has a limiter
  // (it reads limiter.max); set far above the bench's rates so that it never throttles on its own.
  limiter: { max: 1000, duration: 1000 },
});
worker.on("error", (error) => process.stderr.write(`worker error: ${error.message}\n`));

// ── start / stop ──────────────────────────────────────────────────────────────

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`bullmq peer: ${signal}, stopping\n`);
  server.close();
  server.closeAllConnections();
  // BullMQ's graceful shutdown: no new jobs, the active ones finish (a killed process leaves them
  // stalled, and the next worker picks them up after the lock expires).
  await worker.close();
  await queue.close();
  await Promise.allSettled([producerRedis.quit(), workerRedis.quit()]);
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));

await queue.waitUntilReady();
await worker.waitUntilReady();
await new Promise<void>((resolve) => server.listen(config.port, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/close`;
process.stdout.write(`ready ${url} (started in ${Math.round(performance.now() - startedAt)} ms)\n`);

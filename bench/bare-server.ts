/**
 * The baseline for the ingest benchmark: a bare node:http server doing the minimum work of an
 * ingest — verify the Close HMAC, one conditional S3 PutObject (If-None-Match: *), one
 * StartExecution — and nothing else (no API Gateway event, no zod, no logging, no middy).
 *
 * Storage and Step Functions are an embedded leadrelay runtime *in this same process*, reached
 * with the same SDK clients, adapters and in-process request handler the runtime's ingest uses. So
 * both servers have the same process topology (one process: HTTP front + SDK calls + embedded S3 +
 * SFN engine) and differ only in the request path in front of the SDK calls.
 *
 * env: CLOSE_WEBHOOK_SECRET, LEAD_WAIT_SECONDS, LEADRELAY_DATA_DIR. Prints `ready <url>`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  rawEventKey,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyCloseSignature,
} from "../packages/core/src/index";
import { createSfnStarter } from "../packages/functions/src/index";
import { startRuntime } from "../packages/local/src/runtime";

const startedAt = performance.now();
const secretHex = process.env.CLOSE_WEBHOOK_SECRET ?? "";
const backend = await startRuntime({
  port: 0,
  dataDir: process.env.LEADRELAY_DATA_DIR ?? ".leadrelay-bare",
  secretHex,
  waitSeconds: Number(process.env.LEAD_WAIT_SECONDS ?? 3600),
  flows: "announce",
  print: () => {},
});
const store = backend.store;
const executions = createSfnStarter(backend.sfnClient, backend.stateMachineArn);

function reply(res: import("node:http").ServerResponse, status: number, body: string) {
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = createServer(async (req, res) => {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const check = verifyCloseSignature({
      secretHex,
      signature: req.headers[SIGNATURE_HEADER] as string | undefined,
      timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
      rawBody: raw,
      now: Date.now(),
    });
    if (!check.ok) return reply(res, 401, '{"error":"invalid signature"}');
    const event = (JSON.parse(raw.toString("utf8")) as { event?: { lead_id?: string; object_id?: string } })
      .event;
    const leadId = event?.lead_id ?? event?.object_id;
    if (!leadId) return reply(res, 400, '{"error":"no lead id"}');
    const rawKey = rawEventKey(leadId);
    await store.putIfAbsent(rawKey, raw);
    const started = await executions.start(leadId, { leadId, rawKey, receivedAt: new Date().toISOString() });
    reply(res, started.status === "duplicate" ? 200 : 202, JSON.stringify({ status: "accepted", leadId }));
  } catch (error) {
    reply(res, 503, JSON.stringify({ error: (error as Error).message }));
  }
});
server.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook/close`;

const stop = async () => {
  server.close();
  server.closeAllConnections();
  await backend.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.stdout.write(`ready ${url} (started in ${Math.round(performance.now() - startedAt)} ms)\n`);

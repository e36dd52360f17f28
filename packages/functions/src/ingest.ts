import {
  type Clock,
  classifyWebhook,
  type ExecutionStarter,
  type ObjectStore,
  rawEventKey,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyCloseSignature,
} from "@leadrelay/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createS3Client, createS3Store } from "./adapters/s3-store";
import { createSfnClient, createSfnStarter } from "./adapters/sfn-starter";
import { readConfig } from "./config";
import { json } from "./http-response";
import { lambdaHandler } from "./lambda";
import { createLogger, type Logger } from "./log";

/** Close's bodies are a few KiB; anything near this is not Close. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface IngestDeps {
  store: ObjectStore;
  executions: ExecutionStarter;
  secretHex: string;
  clock?: Clock;
  log?: Logger;
}

export type IngestEvent = Pick<APIGatewayProxyEventV2, "body" | "isBase64Encoded" | "headers"> & {
  requestContext: { http: { method: string } };
};

function header(headers: IngestEvent["headers"], name: string): string | undefined {
  // API Gateway v2 lower-cases names and joins repeated headers with commas.
  return headers?.[name] ?? undefined;
}

/**
 * POST /webhook/close: verify → classify → store raw (conditional) → start the lead's execution.
 * Every failure of storage or Step Functions answers 5xx so that Close delivers again.
 */
export function createIngest(deps: IngestDeps) {
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createLogger("ingest");
  return async (event: IngestEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    if (event.requestContext.http.method !== "POST") return json(405, { error: "use POST" });
    const raw = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
    if (raw.length > MAX_BODY_BYTES) return json(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` });

    const signature = verifyCloseSignature({
      secretHex: deps.secretHex,
      signature: header(event.headers, SIGNATURE_HEADER),
      timestamp: header(event.headers, TIMESTAMP_HEADER),
      rawBody: raw,
      now: clock(),
    });
    if (!signature.ok) {
      log.warn("webhook refused", { reason: signature.reason });
      return json(401, { error: "invalid signature", reason: signature.reason });
    }

    const contentType = header(event.headers, "content-type");
    if (contentType !== undefined && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
      return json(415, { error: "content-type must be application/json" });
    }

    const verdict = classifyWebhook(raw.toString("utf8"));
    if (verdict.kind === "invalid") return json(400, { error: verdict.reason });
    if (verdict.kind === "ignored") {
      log.info("event ignored", { eventId: verdict.eventId, reason: verdict.reason });
      return json(202, { status: "ignored", reason: verdict.reason });
    }

    const { leadId, eventId } = verdict;
    const rawKey = rawEventKey(leadId);
    try {
      const stored = await deps.store.putIfAbsent(rawKey, raw);
      const receivedAt = new Date(clock()).toISOString();
      const started = await deps.executions.start(leadId, { leadId, rawKey, receivedAt, eventId });
      if (started.status === "duplicate") {
        log.info("duplicate lead", { leadId, eventId, raw: stored });
        return json(200, { status: "duplicate", leadId });
      }
      log.info("lead accepted", { leadId, eventId, raw: stored, executionArn: started.executionArn });
      return json(202, { status: "accepted", leadId, executionArn: started.executionArn });
    } catch (error) {
      log.error("ingest failed, Close will retry", { leadId, eventId, error });
      return json(503, { error: "temporarily unavailable, retry later" });
    }
  };
}

export const handler = lambdaHandler("ingest", (env, log) => {
  const config = readConfig(["BUCKET_NAME", "STATE_MACHINE_ARN", "CLOSE_WEBHOOK_SECRET"], env);
  return createIngest({
    store: createS3Store(createS3Client(), config.BUCKET_NAME),
    executions: createSfnStarter(createSfnClient(), config.STATE_MACHINE_ARN),
    secretHex: config.CLOSE_WEBHOOK_SECRET,
    log,
  });
});

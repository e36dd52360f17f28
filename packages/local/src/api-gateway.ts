import type { IncomingMessage, ServerResponse } from "node:http";
import type { IngestEvent } from "@leadrelay/functions";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { BodyTooLarge, readBody, sendJson } from "./http-body";

/** How much of a too-large body is read (and dropped) before the 413, so clients that send first see it. */
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;

/** Reads and discards the rest of a refused body (up to a cap), then lets the answer go out. */
async function drain(req: IncomingMessage, limit: number): Promise<void> {
  let seen = 0;
  for await (const chunk of req) {
    seen += (chunk as Buffer).length;
    if (seen > limit) return;
  }
}

/**
 * Plays API Gateway HTTP API (payload v2) in front of an ingest handler: lower-cased headers,
 * repeated headers joined with commas, path parameters of the route, the body passed as base64
 * so the handler sees the exact bytes.
 */
export async function invokeThroughApiGateway(
  req: IncomingMessage,
  res: ServerResponse,
  handler: (event: IngestEvent) => Promise<APIGatewayProxyStructuredResultV2>,
  maxBodyBytes: number,
  pathParameters: Record<string, string> = {},
) {
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      // Answering before the client has sent its body makes Node's fetch (undici) report EPIPE
      // instead of the 413: read and drop the rest first (up to a cap), then answer.
      await drain(req, DRAIN_LIMIT_BYTES).catch(() => undefined);
      sendJson(res, 413, { error: `body larger than ${maxBodyBytes} bytes` }, { connection: "close" });
      return { status: 413, outcome: "refused" };
    }
    throw error;
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const [rawPath = "/", rawQueryString = ""] = (req.url ?? "/").split(/\?(.*)/s);
  const result = await handler({
    body: body.toString("base64"),
    isBase64Encoded: true,
    headers,
    rawPath,
    rawQueryString,
    pathParameters,
    requestContext: { http: { method: req.method ?? "GET" } },
  });
  const status = result.statusCode ?? 200;
  res.writeHead(status, result.headers as Record<string, string>);
  res.end(result.body ?? "");
  return { status, outcome: webhookOutcome(status, result.body) };
}

/** What became of a delivery, for `/metrics`: the answer's own `status` (accepted, duplicate, ignored, rejected), else by HTTP status. */
export function webhookOutcome(status: number, body: string | undefined): string {
  if (status >= 500) return "unavailable";
  if (status >= 400) return "refused";
  try {
    const answer = JSON.parse(body ?? "") as { status?: unknown };
    if (typeof answer?.status === "string" && /^[a-z_]{1,20}$/.test(answer.status)) return answer.status;
  } catch {
    // a handshake answered with text (Meta's challenge)
  }
  return "answered";
}

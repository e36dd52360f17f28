import type { IncomingMessage, ServerResponse } from "node:http";
import type { IngestEvent } from "@leadrelay/functions";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { BodyTooLarge, readBody, sendJson } from "./http-body";

/**
 * Plays API Gateway HTTP API (payload v2) in front of the ingest handler: lower-cased headers,
 * repeated headers joined with commas, the body passed as base64 so the handler sees the exact bytes.
 */
export async function invokeThroughApiGateway(
  req: IncomingMessage,
  res: ServerResponse,
  handler: (event: IngestEvent) => Promise<APIGatewayProxyStructuredResultV2>,
  maxBodyBytes: number,
) {
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLarge) {
      sendJson(res, 413, { error: `body larger than ${maxBodyBytes} bytes` }, { connection: "close" });
      req.resume();
      return 413;
    }
    throw error;
  }
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const result = await handler({
    body: body.toString("base64"),
    isBase64Encoded: true,
    headers,
    requestContext: { http: { method: req.method ?? "GET" } },
  });
  const status = result.statusCode ?? 200;
  res.writeHead(status, result.headers as Record<string, string>);
  res.end(result.body ?? "");
  return status;
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody, sendJson } from "./http-body";
import { type LocalStepFunctions, SfnApiError } from "./local-step-functions";

const DATE_KEYS = new Set(["startDate", "stopDate", "redriveDate", "timestamp", "creationDate"]);

/** The AWS JSON protocol sends timestamps as epoch seconds. */
function toWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toWire);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [
        key,
        DATE_KEYS.has(key) && typeof item === "number" ? item / 1000 : toWire(item),
      ]),
  );
}

/**
 * Step Functions API (AWS JSON 1.0: `X-Amz-Target: AWSStepFunctions.<Operation>`) over the local
 * engine, so the real @aws-sdk/client-sfn — in ingest, the CLI and the console — talks to it.
 */
export function createSfnFacade(engine: LocalStepFunctions, faults: { down: boolean } = { down: false }) {
  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => engine.startExecution(body as never),
    DescribeExecution: (body) => engine.describeExecution(body as never),
    ListExecutions: (body) => engine.listExecutions(body as never),
    GetExecutionHistory: (body) => engine.getExecutionHistory(body as never),
    StopExecution: (body) => engine.stopExecution(body as never),
    RedriveExecution: (body) => engine.redriveExecution(body as never),
    DescribeStateMachine: () => ({
      stateMachineArn: engine.stateMachineArn,
      name: engine.stateMachineArn.split(":").at(-1),
      status: "ACTIVE",
      type: "STANDARD",
      definition: JSON.stringify(engine.definition),
      roleArn: "arn:aws:iam::000000000000:role/leadrelay-local",
      creationDate: 0,
    }),
  };

  return async function handle(req: IncomingMessage, res: ServerResponse) {
    const error = (status: number, type: string, message: string) =>
      sendJson(res, status, { __type: type, message }, { "x-amzn-errortype": type });
    if (faults.down)
      return error(503, "ServiceUnavailable", "The local Step Functions API is down (fault injection)");
    if (req.method !== "POST") return error(405, "UnknownOperationException", "POST only");
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = operations[target.replace(/^AWSStepFunctions\./, "")];
    if (!target.startsWith("AWSStepFunctions.") || !operation) {
      return error(400, "UnknownOperationException", `Unknown operation ${target}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(req, 1024 * 1024)).toString("utf8") || "{}");
    } catch {
      return error(400, "SerializationException", "Body is not JSON");
    }
    try {
      sendJson(res, 200, toWire(await operation(body)), { "content-type": "application/x-amz-json-1.0" });
    } catch (failure) {
      if (failure instanceof SfnApiError) return error(failure.status, failure.name, failure.message);
      return error(500, "InternalFailure", failure instanceof Error ? failure.message : String(failure));
    }
  };
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { type LocalStepFunctions, SfnApiError } from "./local-step-functions";
import { inProcessHandler, type LocalRequest, type LocalResponse, serveHttp } from "./local-transport";

/** Step Functions' own limit on a request (its input is at most 256 KiB). */
const MAX_REQUEST_BYTES = 1024 * 1024;

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

function describeStateMachine(engine: LocalStepFunctions) {
  return {
    stateMachineArn: engine.stateMachineArn,
    name: engine.stateMachineArn.split(":").at(-1),
    status: "ACTIVE",
    type: "STANDARD",
    definition: JSON.stringify(engine.definition),
    roleArn: "arn:aws:iam::000000000000:role/leadrelay-local",
    creationDate: 0,
  };
}

/**
 * Step Functions API (AWS JSON 1.0: `X-Amz-Target: AWSStepFunctions.<Operation>`) over the local
 * engines, one per flow, every call addressed by state machine or execution ARN, so the real
 * @aws-sdk/client-sfn — in the ingest handlers, the CLI and the console — talks to it, over the
 * loopback endpoint or, for the handlers, in process.
 */
export function createSfnFacade(
  engines: () => readonly LocalStepFunctions[],
  faults: { down: boolean } = { down: false },
) {
  const byStateMachine = (arn: unknown) => {
    const engine = engines().find((candidate) => candidate.stateMachineArn === arn);
    if (!engine)
      throw new SfnApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${String(arn)}'`);
    return engine;
  };
  const byExecution = (arn: unknown) => {
    const engine = engines().find((candidate) => typeof arn === "string" && candidate.ownsExecution(arn));
    if (!engine) throw new SfnApiError("ExecutionDoesNotExist", `Execution does not exist: '${String(arn)}'`);
    return engine;
  };
  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution: (body) => byStateMachine(body.stateMachineArn).startExecution(body as never),
    ListExecutions: (body) => byStateMachine(body.stateMachineArn).listExecutions(body as never),
    DescribeStateMachine: (body) => describeStateMachine(byStateMachine(body.stateMachineArn)),
    ListStateMachines: () => ({
      stateMachines: engines().map((engine) => ({
        stateMachineArn: engine.stateMachineArn,
        name: engine.stateMachineArn.split(":").at(-1),
        type: "STANDARD",
        creationDate: 0,
      })),
    }),
    DescribeExecution: (body) => byExecution(body.executionArn).describeExecution(body as never),
    GetExecutionHistory: (body) => byExecution(body.executionArn).getExecutionHistory(body as never),
    StopExecution: (body) => byExecution(body.executionArn).stopExecution(body as never),
    RedriveExecution: (body) => byExecution(body.executionArn).redriveExecution(body as never),
  };

  const json = (status: number, body: unknown, headers: Record<string, string> = {}): LocalResponse => ({
    status,
    headers: { "content-type": "application/x-amz-json-1.0", ...headers },
    body: JSON.stringify(body),
  });
  const error = (status: number, type: string, message: string) =>
    json(status, { __type: type, message }, { "x-amzn-errortype": type });

  /** Every request, from either transport: fault injection first, errors in the AWS JSON shape. */
  async function service(request: LocalRequest): Promise<LocalResponse> {
    if (faults.down)
      return error(503, "ServiceUnavailable", "The local Step Functions API is down (fault injection)");
    if (request.method !== "POST") return error(405, "UnknownOperationException", "POST only");
    const target = request.headers["x-amz-target"] ?? "";
    const operation = operations[target.replace(/^AWSStepFunctions\./, "")];
    if (!target.startsWith("AWSStepFunctions.") || !operation) {
      return error(400, "UnknownOperationException", `Unknown operation ${target}`);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body.toString("utf8") || "{}");
    } catch {
      return error(400, "SerializationException", "Body is not JSON");
    }
    try {
      return json(200, toWire(await operation(body)));
    } catch (failure) {
      if (failure instanceof SfnApiError) return error(failure.status, failure.name, failure.message);
      return error(500, "InternalFailure", failure instanceof Error ? failure.message : String(failure));
    }
  }

  const limits = {
    maxBodyBytes: MAX_REQUEST_BYTES,
    tooLarge: () => error(400, "SerializationException", "Body is not JSON"),
  };
  return {
    /** The loopback endpoint (`POST /_aws/sfn`). */
    handle: (req: IncomingMessage, res: ServerResponse) => serveHttp(service, limits, req, res),
    /** The same API for the handlers' SDK clients, in process. */
    requestHandler: inProcessHandler(service, limits),
  };
}

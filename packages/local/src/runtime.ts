import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import { isHexKey, type ObjectStore } from "@leadrelay/core";
import {
  createFetchOwner,
  createFetchRaw,
  createHttpOwnerDirectory,
  createIngest,
  createLogger,
  createMergeAndStore,
  createNotifySlack,
  createS3Client,
  createS3Store,
  createSfnClient,
  createSfnStarter,
  createSlackPoster,
  DEFAULT_WAIT_SECONDS,
  definitionWithWait,
  MAX_BODY_BYTES,
  type SubstitutionName,
  substituteArns,
  TASK_FUNCTIONS,
  type TaskFunction,
  taskStateFunctions,
  WAIT_STATE,
} from "@leadrelay/functions";
import { invokeThroughApiGateway } from "./api-gateway";
import { sendJson } from "./http-body";
import { LocalStepFunctions, type TaskHandler } from "./local-step-functions";
import { createOwnerServer } from "./owner-server";
import { createLocalS3, type LocalS3 } from "./s3-server";
import { createSfnFacade } from "./sfn-facade";
import { createSlackSink, type SinkMessage } from "./slack-sink";

export const LOCAL_BUCKET = "leadrelay-local";
export const LOCAL_REGION = "us-east-1";
/** s3rver's fixed credentials; the local SFN facade accepts any. Never real AWS keys. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const DEMO_OWNERS_DIR = new URL("../demo/owners", import.meta.url).pathname;

export interface RuntimeOptions {
  port: number;
  secretHex?: string;
  slackWebhookUrl?: string;
  ownerBaseUrl?: string;
  waitSeconds?: number;
  dataDir: string;
  ownersDir?: string;
  retryIntervalMs?: number;
  notifyUnassigned?: boolean;
  print?: (line: string) => void;
  /** Mounted at /console when given (the lead console). */
  console?: (deps: ConsoleDeps) => (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface ConsoleDeps {
  sfn: SFNClient;
  s3: S3Client;
  store: ObjectStore;
  stateMachineArn: string;
  bucket: string;
  slackMessages?: () => SinkMessage[];
  mode: "local";
}

/** Where a running local runtime can be reached; written to `<data dir>/runtime.json` for the CLI. */
export interface RuntimeInfo {
  pid: number;
  url: string;
  webhookUrl: string;
  consoleUrl: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  bucket: string;
  stateMachineArn: string;
  region: string;
}

export interface Runtime extends RuntimeInfo {
  secretHex: string;
  engine: LocalStepFunctions;
  s3: LocalS3;
  s3Client: S3Client;
  sfnClient: SFNClient;
  store: ObjectStore;
  slackMessages: SinkMessage[];
  faults: { s3: { down: boolean }; sfn: { down: boolean } };
  resumed: number;
  stop(): Promise<void>;
}

function loadOrCreateSecret(dataDir: string): string {
  const file = join(dataDir, "webhook-secret");
  try {
    const saved = readFileSync(file, "utf8").trim();
    if (isHexKey(saved)) return saved;
  } catch {
    // first start
  }
  const secret = randomBytes(32).toString("hex");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the local runtime is never reachable from the network.
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  mkdirSync(options.dataDir, { recursive: true });
  const secretHex = options.secretHex ?? loadOrCreateSecret(options.dataDir);
  const waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;

  let route: (req: IncomingMessage, res: ServerResponse) => Promise<void> = async (_req, res) =>
    sendJson(res, 503, { error: "starting" });
  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      print(`leadrelay: request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: "internal error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  const port = await listen(server, options.port);
  const url = `http://127.0.0.1:${port}`;
  const s3Endpoint = `${url}/_aws/s3`;
  const sfnEndpoint = `${url}/_aws/sfn`;

  const s3 = await createLocalS3({ directory: join(options.dataDir, "s3"), bucket: LOCAL_BUCKET });
  const s3Client = createS3Client({
    endpoint: s3Endpoint,
    forcePathStyle: true,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const sfnClient = createSfnClient({
    endpoint: sfnEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const store = createS3Store(s3Client, LOCAL_BUCKET);

  const sink = createSlackSink(join(options.dataDir, "slack-sink.jsonl"), print);
  const ownerServer = createOwnerServer(options.ownersDir ?? DEMO_OWNERS_DIR);
  const log = createLogger("local", { level: process.env.LOG_LEVEL ?? "warn" });

  const functions: Record<TaskFunction, TaskHandler> = {
    "fetch-raw": createFetchRaw({ store }),
    "fetch-owner": createFetchOwner({
      owners: createHttpOwnerDirectory(options.ownerBaseUrl ?? `${url}/_local/owners`),
    }),
    "merge-and-store": createMergeAndStore({ store }),
    "notify-slack": createNotifySlack({
      store,
      slack: createSlackPoster(options.slackWebhookUrl ?? `${url}/_local/slack`),
      notifyUnassigned: options.notifyUnassigned ?? true,
      log,
    }),
  };
  const lambdaArn = (fn: TaskFunction) =>
    `arn:aws:lambda:${LOCAL_REGION}:000000000000:function:leadrelay-local-${fn}`;
  const definition = definitionWithWait(waitSeconds);
  const stateFunctions = Object.entries(taskStateFunctions(definition));
  const arns = Object.fromEntries(
    Object.entries(TASK_FUNCTIONS).map(([placeholder, fn]) => [placeholder, lambdaArn(fn)]),
  ) as Record<SubstitutionName, string>;
  const engine = new LocalStepFunctions({
    definition: substituteArns(definition, arns),
    stateMachineName: "leadrelay-local",
    region: LOCAL_REGION,
    handlers: Object.fromEntries(stateFunctions.map(([state, fn]) => [state, functions[fn]])),
    resources: Object.fromEntries(stateFunctions.map(([state, fn]) => [state, lambdaArn(fn)])),
    waitState: WAIT_STATE,
    waitMs: waitSeconds * 1000,
    retryIntervalMs: options.retryIntervalMs,
    dataDir: options.dataDir,
  });
  const faults = { s3: s3.outage, sfn: { down: false } };
  const facade = createSfnFacade(engine, faults.sfn);
  const ingest = createIngest({
    store,
    executions: createSfnStarter(sfnClient, engine.stateMachineArn),
    secretHex,
    log,
  });
  engine.onEvent((record, event) => {
    if (
      event.type === "ExecutionSucceeded" ||
      event.type === "ExecutionFailed" ||
      event.type === "ExecutionAborted"
    ) {
      const ms = event.timestamp - record.startDate;
      const why = record.error ? ` ${record.error}` : "";
      print(
        `execution ${record.name} ${event.type.replace("Execution", "").toUpperCase()}${why} after ${(ms / 1000).toFixed(1)} s`,
      );
    }
  });
  const consoleHandler = options.console?.({
    sfn: sfnClient,
    s3: s3Client,
    store,
    stateMachineArn: engine.stateMachineArn,
    bucket: LOCAL_BUCKET,
    slackMessages: () => sink.messages,
    mode: "local",
  });

  route = async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path === "/webhook/close") {
      if (req.method !== "POST") return sendJson(res, 405, { error: "use POST" }, { allow: "POST" });
      const status = await invokeThroughApiGateway(req, res, ingest, MAX_BODY_BYTES);
      if (status >= 500) print(`ingest answered ${status}: Close will deliver again`);
      return;
    }
    if (path.startsWith("/_aws/s3/")) {
      req.url = (req.url ?? "").slice("/_aws/s3".length);
      return s3.handle(req, res);
    }
    if (path === "/_aws/sfn" || path === "/_aws/sfn/") return facade(req, res);
    if (path === "/_local/slack") return sink.handle(req, res);
    if (path.startsWith("/_local/owners/")) return ownerServer(req, res, path.slice("/_local/owners".length));
    if (path === "/healthz") return sendJson(res, 200, { ok: true, running: engine.runningCount() });
    if (path === "/") {
      res.writeHead(302, { location: "/console" }).end();
      return;
    }
    if (consoleHandler && (await consoleHandler(req, res))) return;
    sendJson(res, 404, {
      error: `no route for ${req.method} ${path.length > 80 ? `${path.slice(0, 80)}…` : path}`,
    });
  };

  const { resumed } = engine.resumeAll();
  const info: RuntimeInfo = {
    pid: process.pid,
    url,
    webhookUrl: `${url}/webhook/close`,
    consoleUrl: `${url}/console`,
    s3Endpoint,
    sfnEndpoint,
    bucket: LOCAL_BUCKET,
    stateMachineArn: engine.stateMachineArn,
    region: LOCAL_REGION,
  };
  writeFileSync(join(options.dataDir, "runtime.json"), `${JSON.stringify(info, null, 2)}\n`);

  return {
    ...info,
    secretHex,
    engine,
    s3,
    s3Client,
    sfnClient,
    store,
    slackMessages: sink.messages,
    faults,
    resumed,
    async stop() {
      // Engine first: RUNNING executions stay RUNNING on disk instead of failing on a closed socket.
      await engine.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await s3.close();
      s3Client.destroy();
      sfnClient.destroy();
    },
  };
}

import { mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ObjectStore } from "@leadrelay/core";
import {
  AWS_REQUEST_TIMEOUTS,
  type AwsClientConfig,
  type AwsRequestHandler,
  type AwsService,
  createLogger,
  createS3Client,
  createS3Store,
  createSfnClient,
  type FlowSpec,
  type IngestEvent,
  type SourceSpec,
  stateMachineArnVariable,
  type TaskKit,
} from "@leadrelay/functions";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { selectFlows, sourcesOf } from "../../flows/registry";
import { invokeThroughApiGateway } from "./api-gateway";
import { type FailureAlerts, watchFailures } from "./failure-alerts";
import { hostFlow, loadBuild } from "./flow-host";
import { sendJson } from "./http-body";
import { loadOrCreateSecret } from "./local-secrets";
import type { LocalStepFunctions } from "./local-step-functions";
import { createRuntimeMetrics, type RuntimeMetrics } from "./metrics";
import { runtimeSettingsView } from "./runtime-settings";
import { createLocalS3, type LocalS3 } from "./s3-server";
import { createSfnFacade } from "./sfn-facade";
import { VENDOR_STAND_INS } from "./stand-ins";
import { ownersStandIn } from "./stand-ins/owners";
import { parseStandInLimits } from "./stand-ins/rate-limit";
import { type SlackMessageEntry, slackMessagesOf, slackStandIn } from "./stand-ins/slack";
import { createStandIn, type StandIn } from "./stand-ins/stand-in";
import { TaskSlots } from "./task-slots";
import { startVendorGates } from "./vendor-gate";

export const LOCAL_BUCKET = "leadrelay-local";
export const LOCAL_REGION = "us-east-1";
/** Fixed local credentials (the local S3 and SFN accept any). Never real AWS keys. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
export const DEMO_OWNERS_DIR = new URL("../demo/owners", import.meta.url).pathname;
export const DEMO_STAND_IN_DIR = new URL("../demo/stand-ins", import.meta.url).pathname;

type Env = Record<string, string | undefined>;
type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface RuntimeOptions {
  port: number;
  dataDir: string;
  /** Every setting by its variable name (`pnpm start` passes process.env); the options below win. */
  env?: Env;
  /** LEADRELAY_FLOWS: a comma list of flow ids (all when unset). */
  flows?: string;
  secretHex?: string;
  slackWebhookUrl?: string;
  ownerBaseUrl?: string;
  waitSeconds?: number;
  ownersDir?: string;
  retryIntervalMs?: number;
  notifyUnassigned?: boolean;
  print?: (line: string) => void;
  /** Mounted at /console when given (the lead console). */
  console?: (deps: ConsoleDeps) => (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

export interface LocalFlowInfo {
  id: string;
  title: string;
  stateMachineArn: string;
  source: string;
}

export interface ConsoleDeps {
  sfn: SFNClient;
  s3: S3Client;
  store: ObjectStore;
  /** The announce state machine (the first flow). */
  stateMachineArn: string;
  flows: LocalFlowInfo[];
  bucket: string;
  slackMessages?: () => SlackMessageEntry[];
  standIns?: () => Array<{ slug: string; title: string; requests: readonly unknown[] }>;
  mode: "local";
}

/** Where a running local runtime can be reached; written to `<data dir>/runtime.json` for the CLI. */
export interface RuntimeInfo {
  pid: number;
  url: string;
  /** Close's webhook (the first source); every source's is in `webhooks`. */
  webhookUrl: string;
  webhooks: Record<string, string>;
  consoleUrl: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  bucket: string;
  /** The announce state machine (kept for the tools that predate flows); every flow's is in `flows`. */
  stateMachineArn: string;
  flows: LocalFlowInfo[];
  region: string;
}

/** How an SDK client reaches the embedded S3 and Step Functions. */
export type AwsTransport = "in-process" | "loopback";

export interface Runtime extends RuntimeInfo {
  secretHex: string;
  /** An SDK client configuration for the embedded services (what the handlers get is `in-process`). */
  aws(service: AwsService, transport: AwsTransport): AwsClientConfig;
  /** The first flow's engine (announce); `engines` has every flow's. */
  engine: LocalStepFunctions;
  engines: Record<string, LocalStepFunctions>;
  s3: LocalS3;
  s3Client: S3Client;
  sfnClient: SFNClient;
  store: ObjectStore;
  /** What the Slack stand-in accepted (when SLACK_WEBHOOK_URL is unset). */
  readonly slackMessages: SlackMessageEntry[];
  standIns: Record<string, StandIn>;
  /** The settings the flows run with (stand-in URLs and generated secrets filled in). */
  settings: Env;
  /** Secrets this runtime generated because they were not given (name → value). */
  generatedSecrets: Record<string, string>;
  faults: { s3: { down: boolean }; sfn: { down: boolean } };
  /** `GET /metrics` (Prometheus text format). */
  metrics: RuntimeMetrics;
  /** The failure alerts of every flow (the same handler as the EventBridge rule's on AWS). */
  alerts: FailureAlerts;
  resumed: number;
  stop(): Promise<void>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    // Loopback only: the local runtime is never reachable from the network.
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

/** The shorthand options as the variables they stand for; empty values count as unset. */
function settingsOf(options: RuntimeOptions): Env {
  const given: Env = {
    CLOSE_WEBHOOK_SECRET: options.secretHex,
    SLACK_WEBHOOK_URL: options.slackWebhookUrl,
    OWNER_BASE_URL: options.ownerBaseUrl,
    LEAD_WAIT_SECONDS: options.waitSeconds === undefined ? undefined : String(options.waitSeconds),
    NOTIFY_UNASSIGNED: options.notifyUnassigned === undefined ? undefined : String(options.notifyUnassigned),
    LEADRELAY_OWNERS_DIR: options.ownersDir,
    LEADRELAY_FLOWS: options.flows,
  };
  const settings: Env = {};
  for (const [name, value] of Object.entries({ ...options.env })) if (value) settings[name] = value;
  for (const [name, value] of Object.entries(given))
    if (value !== undefined && value !== "") settings[name] = value;
  return settings;
}

/** Executions written before there were flows lived in `executions/`: they are announce's. */
function migrateExecutions(dataDir: string) {
  const dir = join(dataDir, "executions");
  let files: string[];
  try {
    files = readdirSync(dir).filter((file) => file.endsWith(".json"));
  } catch {
    return;
  }
  if (files.length === 0) return;
  mkdirSync(join(dir, "announce"), { recursive: true });
  for (const file of files) renameSync(join(dir, file), join(dir, "announce", file));
}

/** Route keys like "POST /webhook/lgm/{token}" as a matcher of paths (the method is the handler's to check). */
function routeMatcher(routeKey: string): (path: string) => Record<string, string> | undefined {
  const pattern = routeKey.split(" ")[1] ?? "/";
  const names: string[] = [];
  const regex = new RegExp(
    `^${pattern.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_match, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return (path) => {
    const match = regex.exec(path);
    if (!match) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodedSegment(match[i + 1] ?? "")]));
  };
}

/**
 * A path parameter as API Gateway HTTP APIs hand it over: percent-decoded. A segment that does not
 * decode (`%ZZ`, a lone `%`, bytes that are not UTF-8) is passed as it came, so a source sees a value
 * that matches nothing (LGM's token: 404) instead of the runtime failing with a URIError (500).
 */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

interface SourceRoute {
  source: SourceSpec;
  match: (path: string) => Record<string, string> | undefined;
  ingest: (event: IngestEvent) => Promise<APIGatewayProxyStructuredResultV2>;
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  mkdirSync(options.dataDir, { recursive: true });
  migrateExecutions(options.dataDir);
  const settings = settingsOf(options);
  const flows: FlowSpec[] = selectFlows(settings.LEADRELAY_FLOWS, "all");

  let route: RequestHandler = async (_req, res) => sendJson(res, 503, { error: "starting" });
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

  // ── local AWS ──
  const s3 = await createLocalS3({
    directory: join(options.dataDir, "s3"),
    bucket: LOCAL_BUCKET,
    mount: "/_aws/s3",
  });
  const engines: Record<string, LocalStepFunctions> = {};
  const engineList = () => Object.values(engines);
  const faults = { s3: s3.outage, sfn: { down: false } };
  const facade = createSfnFacade(engineList, faults.sfn);
  const endpoints: Record<AwsService, string> = {
    s3: s3Endpoint,
    sfn: sfnEndpoint,
    events: `${url}/_local/events`,
    sesv2: `${url}/_local/ses`,
  };
  // The handlers' S3 and Step Functions calls stay in the process (same SDK, no socket); the
  // loopback endpoints serve the CLI, the console and anything outside.
  const inProcess: Partial<Record<AwsService, AwsRequestHandler>> =
    settings.LEADRELAY_AWS_TRANSPORT === "loopback"
      ? {}
      : { s3: s3.requestHandler as AwsRequestHandler, sfn: facade.requestHandler as AwsRequestHandler };

  const awsConfig = (service: AwsService, transport: AwsTransport): AwsClientConfig => ({
    requestHandler: (transport === "in-process" && inProcess[service]) || { ...AWS_REQUEST_TIMEOUTS },
    endpoint: endpoints[service],
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(service === "s3" ? { forcePathStyle: true } : {}),
  });
  const kit: TaskKit = {
    log: createLogger("local", { level: process.env.LOG_LEVEL ?? "warn" }),
    aws: (service) => awsConfig(service, "in-process"),
  };
  const s3Client = createS3Client(kit.aws("s3"));
  const sfnClient = createSfnClient(kit.aws("sfn"));
  const store = createS3Store(s3Client, LOCAL_BUCKET);

  // ── stand-ins: every vendor whose base URL is unset is served here ──
  const standInDir = settings.LEADRELAY_STANDIN_DIR ?? DEMO_STAND_IN_DIR;
  const specs = [
    slackStandIn(print),
    ownersStandIn(settings.LEADRELAY_OWNERS_DIR ?? DEMO_OWNERS_DIR),
    ...VENDOR_STAND_INS.map((make) => make(settings)),
  ];
  const standIns: Record<string, StandIn> = {};
  const filledByStandIns: Record<string, string> = {};
  const standInLimits = parseStandInLimits(settings.LEADRELAY_STANDIN_LIMITS);
  for (const slug of Object.keys(standInLimits)) {
    if (!specs.some((spec) => spec.slug === slug))
      throw new Error(`LEADRELAY_STANDIN_LIMITS names no stand-in "${slug}"`);
  }
  for (const spec of specs) {
    const limit = standInLimits[spec.slug];
    standIns[spec.slug] = createStandIn(spec, { dataDir: options.dataDir, standInDir, store, limit });
    const filled = spec.baseUrlVariable ? settings[spec.baseUrlVariable] : undefined;
    if (spec.fills && filled === undefined) {
      for (const [name, value] of Object.entries(spec.fills(`${url}/_local/${spec.slug}`))) {
        if (settings[name] === undefined) filledByStandIns[name] = value;
        settings[name] ??= value;
      }
    }
  }

  // ── secrets of the sources: given, or generated and kept ──
  const generatedSecrets: Record<string, string> = {};
  for (const source of new Set(flows.map((flow) => flow.source))) {
    for (const name of source.secrets) {
      if (settings[name]) continue;
      settings[name] = loadOrCreateSecret(options.dataDir, name);
      generatedSecrets[name] = settings[name];
    }
  }
  settings.BUCKET_NAME = LOCAL_BUCKET;

  // ── flows: one engine each ──
  // Every flow's Tasks share four slots: a burst at LEAD_WAIT_SECONDS=0 cannot crowd out the webhooks
  // however many flows a lead starts.
  const slots = new TaskSlots(4);
  // One budget per vendor for every flow; a Task waits for it before it takes a slot.
  const vendorGates = startVendorGates(settings, {
    print,
    alertWebhookUrl: settings.ALERT_SLACK_WEBHOOK_URL ?? `${url}/_local/slack`,
  });
  for (const flow of flows) {
    engines[flow.id] = await hostFlow(flow, {
      settings,
      kit,
      region: LOCAL_REGION,
      dataDir: options.dataDir,
      retryIntervalMs: options.retryIntervalMs ?? numberOr(settings.LEADRELAY_RETRY_INTERVAL_MS),
      slots,
      gates: vendorGates.gates,
    });
  }
  const metrics = createRuntimeMetrics(engines, flows);
  const alerts = watchFailures({
    engines,
    settings,
    slackWebhookUrl: settings.ALERT_SLACK_WEBHOOK_URL ?? `${url}/_local/slack`,
    kit,
    consoleUrl: url,
    region: LOCAL_REGION,
    print,
  });
  const flowInfo: LocalFlowInfo[] = flows.map((flow) => ({
    id: flow.id,
    title: flow.title,
    stateMachineArn: (engines[flow.id] as LocalStepFunctions).stateMachineArn,
    source: flow.source.id,
  }));
  for (const [id, engine] of Object.entries(engines)) {
    engine.onEvent((record, event) => {
      if (!/^Execution(Succeeded|Failed|Aborted)$/.test(event.type)) return;
      const seconds = ((event.timestamp - record.startDate) / 1000).toFixed(1);
      const why = record.error ? ` ${record.error}` : "";
      print(
        `${id} ${record.name} ${event.type.replace("Execution", "").toUpperCase()}${why} after ${seconds} s`,
      );
    });
  }

  // ── sources: the same ingest Lambdas as on AWS, behind an API Gateway v2 adapter ──
  const sourceRoutes: SourceRoute[] = [];
  const webhooks: Record<string, string> = {};
  for (const { source, flows: subscribed } of sourcesOf(flows)) {
    const env: Env = {
      BUCKET_NAME: LOCAL_BUCKET,
      SOURCE_FLOWS: subscribed.map((flow) => flow.id).join(","),
      ...Object.fromEntries(source.secrets.map((name) => [name, settings[name]])),
      ...Object.fromEntries(
        subscribed.map((flow) => [stateMachineArnVariable(flow.id), engines[flow.id]?.stateMachineArn]),
      ),
    };
    const ingest = (await loadBuild(source.handler))(env, kit) as SourceRoute["ingest"];
    for (const routeKey of source.routes)
      sourceRoutes.push({ source, match: routeMatcher(routeKey), ingest });
    webhooks[source.id] = `${url}${(source.routes[0] ?? "").split(" ")[1]}`;
  }

  const first = engines[flows[0]?.id ?? ""];
  if (!first) throw new Error("LEADRELAY_FLOWS chose no flow");
  const announceArn = (engines.announce ?? first).stateMachineArn;
  const slack = standIns.slack as StandIn;
  const consoleHandler = options.console?.({
    sfn: sfnClient,
    s3: s3Client,
    store,
    stateMachineArn: announceArn,
    flows: flowInfo,
    bucket: LOCAL_BUCKET,
    slackMessages: () => slackMessagesOf(slack.requests()),
    standIns: () =>
      Object.values(standIns).map((standIn) => ({
        slug: standIn.spec.slug,
        title: standIn.spec.title,
        requests: standIn.requests(),
      })),
    mode: "local",
  });

  route = async (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    for (const { source, match, ingest } of sourceRoutes) {
      const parameters = match(path);
      if (!parameters) continue;
      const { status, outcome } = await invokeThroughApiGateway(
        req,
        res,
        ingest,
        source.maxBodyBytes,
        parameters,
      );
      metrics.webhook(source.id, status, outcome);
      if (status >= 500) print(`ingest ${source.id} answered ${status}: the sender will deliver again`);
      return;
    }
    if (path.startsWith("/_aws/s3/")) {
      req.url = (req.url ?? "").slice("/_aws/s3".length);
      return s3.handle(req, res);
    }
    if (path === "/_aws/sfn" || path === "/_aws/sfn/") return facade.handle(req, res);
    const local = /^\/_local\/([a-z0-9-]+)(\/.*)?$/.exec(path);
    const standIn = local ? standIns[local[1] ?? ""] : undefined;
    if (standIn) {
      const query = (req.url ?? "").includes("?") ? `?${(req.url ?? "").split("?").slice(1).join("?")}` : "";
      return standIn.handle(req, res, `${local?.[2] ?? "/"}${query}`);
    }
    if (path === "/metrics") return metrics.handle(req, res);
    if (path === "/_leadrelay/settings")
      return sendJson(res, 200, runtimeSettingsView(settings, filledByStandIns, flows));
    if (path === "/healthz") {
      return sendJson(res, 200, {
        ok: true,
        running: engineList().reduce((sum, engine) => sum + engine.runningCount(), 0),
        heapMB: Math.round(process.memoryUsage().heapUsed / 1024 / 102.4) / 10,
      });
    }
    if (path === "/") {
      res.writeHead(302, { location: "/console" }).end();
      return;
    }
    if (consoleHandler && (await consoleHandler(req, res))) return;
    sendJson(res, 404, {
      // Only the first two segments: a webhook path can carry a secret (LGM's token), never echo it.
      error: `no route for ${req.method} ${path.split("/").slice(0, 3).join("/").slice(0, 80)}${path.split("/").length > 3 ? "/…" : ""}`,
    });
  };

  let resumed = 0;
  for (const engine of engineList()) resumed += engine.resumeAll().resumed;
  // Ends the previous run had no time to alert; its markers keep the others from a second alert.
  void alerts
    .sweep()
    .catch((error: unknown) => print(`leadrelay: failure alerts at start: ${String(error)}`));
  const info: RuntimeInfo = {
    pid: process.pid,
    url,
    webhookUrl: webhooks.close ?? Object.values(webhooks)[0] ?? `${url}/webhook/close`,
    webhooks,
    consoleUrl: `${url}/console`,
    s3Endpoint,
    sfnEndpoint,
    bucket: LOCAL_BUCKET,
    stateMachineArn: announceArn,
    flows: flowInfo,
    region: LOCAL_REGION,
  };
  writeFileSync(join(options.dataDir, "runtime.json"), `${JSON.stringify(info, null, 2)}\n`);

  return {
    ...info,
    secretHex: settings.CLOSE_WEBHOOK_SECRET ?? "",
    aws: awsConfig,
    engine: engines.announce ?? first,
    engines,
    s3,
    s3Client,
    sfnClient,
    store,
    get slackMessages() {
      return slackMessagesOf(slack.requests());
    },
    standIns,
    settings,
    generatedSecrets,
    faults,
    metrics,
    alerts,
    resumed,
    async stop() {
      // Engines first: RUNNING executions stay RUNNING on disk instead of failing on a closed socket.
      await Promise.all(engineList().map((engine) => engine.close()));
      vendorGates.stop();
      metrics.stop();
      await alerts.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all(Object.values(standIns).map((standIn) => standIn.close()));
      await s3.close();
      s3Client.destroy();
      sfnClient.destroy();
    },
  };
}

function numberOr(value: string | undefined): number | undefined {
  return value === undefined || value === "" ? undefined : Number(value);
}

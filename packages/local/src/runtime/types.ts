import type { IncomingMessage, ServerResponse } from "node:http";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ObjectStore } from "@leadrelay/core";
import type { AwsClientConfig, AwsService } from "@leadrelay/functions";
import type { FailureAlerts } from "../failure-alerts";
import type { LocalStepFunctions } from "../local-step-functions";
import type { RuntimeMetrics } from "../metrics";
import type { LocalS3 } from "../s3-server";
import type { SlackMessageEntry } from "../stand-ins/slack";
import type { StandIn } from "../stand-ins/stand-in";

/** Settings by variable name; an empty value counts as unset. */
export type Env = Record<string, string | undefined>;
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
export type Print = (line: string) => void;

export interface RuntimeOptions {
  port: number;
  dataDir: string;
  /** Every setting by its variable name (`pnpm start` passes process.env); the options below win. */
  env?: Env;
  /** LEADRELAY_FLOWS: a comma list of flow ids (all when unset). */
  flows?: string;
  /** Shorthands for the variables of the same meaning (CLOSE_WEBHOOK_SECRET, SLACK_WEBHOOK_URL, …). */
  secretHex?: string;
  slackWebhookUrl?: string;
  ownerBaseUrl?: string;
  waitSeconds?: number;
  ownersDir?: string;
  retryIntervalMs?: number;
  notifyUnassigned?: boolean;
  print?: Print;
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
  /** Every flow's state machine, in the registry's order. */
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
  /** Close's webhook when a flow listens to Close, else the first source's; every source's is in `webhooks`. */
  webhookUrl: string;
  webhooks: Record<string, string>;
  consoleUrl: string;
  s3Endpoint: string;
  sfnEndpoint: string;
  bucket: string;
  /** The first flow's state machine (kept for the tools that predate flows); every flow's is in `flows`. */
  stateMachineArn: string;
  flows: LocalFlowInfo[];
  region: string;
}

/** How an SDK client reaches the embedded S3 and Step Functions. */
export type AwsTransport = "in-process" | "loopback";

export interface Runtime extends RuntimeInfo {
  /** CLOSE_WEBHOOK_SECRET (given or generated) when a flow listens to Close; "" otherwise. */
  secretHex: string;
  /** An SDK client configuration for the embedded services (what the handlers get is `in-process`). */
  aws(service: AwsService, transport: AwsTransport): AwsClientConfig;
  /** The first flow's engine; `engines` has every flow's. */
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

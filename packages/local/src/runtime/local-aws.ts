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
  type TaskKit,
} from "@leadrelay/functions";
import type { LocalStepFunctions } from "../local-step-functions";
import type { ObjectStorage } from "../object-storage";
import { createLocalS3, type LocalS3 } from "../s3-server";
import { createSfnFacade } from "../sfn-facade";
import type { AwsTransport, RequestHandler } from "./types";

export const LOCAL_BUCKET = "leadrelay-local";
export const LOCAL_REGION = "us-east-1";
/** Fixed local credentials (the local S3 and SFN accept any). Never real AWS keys. */
export const LOCAL_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

const S3_MOUNT = "/_aws/s3";
const SFN_MOUNT = "/_aws/sfn";

/** What a runtime hands out of its local AWS (see `Runtime`). */
export interface LocalAwsHandles {
  /** An SDK client configuration for the embedded services. */
  aws(service: AwsService, transport: AwsTransport): AwsClientConfig;
  s3: LocalS3;
  s3Client: S3Client;
  sfnClient: SFNClient;
  store: ObjectStore;
  faults: { s3: { down: boolean }; sfn: { down: boolean } };
}

export interface LocalAws extends LocalAwsHandles {
  handles: LocalAwsHandles;
  s3Endpoint: string;
  sfnEndpoint: string;
  /** What every handler is built with: its logger and in-process clients. */
  kit: TaskKit;
  /** The loopback endpoint serving `path` (S3 under /_aws/s3/, Step Functions at /_aws/sfn), if any. */
  route(path: string): RequestHandler | undefined;
  close(): Promise<void>;
}

/**
 * The embedded S3 (one bucket, its objects in `objects`) and the Step Functions API over `engines`
 * (filled in by the flows, read at every call), reached by the real SDK clients: the handlers'
 * in process (same SDK, no socket) unless `transport` is "loopback", the CLI's and the console's
 * over the loopback endpoints under `url`.
 */
export async function startLocalAws(options: {
  /** Where the bucket's objects are kept (the data folder's journal). */
  objects: ObjectStorage;
  url: string;
  engines: Record<string, LocalStepFunctions>;
  transport?: string;
}): Promise<LocalAws> {
  const { url } = options;
  const s3 = await createLocalS3({
    storage: options.objects,
    bucket: LOCAL_BUCKET,
    mount: S3_MOUNT,
  });
  const faults = { s3: s3.outage, sfn: { down: false } };
  const facade = createSfnFacade(() => Object.values(options.engines), faults.sfn);
  const endpoints: Record<AwsService, string> = {
    s3: `${url}${S3_MOUNT}`,
    sfn: `${url}${SFN_MOUNT}`,
    events: `${url}/_local/events`,
    sesv2: `${url}/_local/ses`,
  };
  const inProcess: Partial<Record<AwsService, AwsRequestHandler>> =
    options.transport === "loopback"
      ? {}
      : { s3: s3.requestHandler as AwsRequestHandler, sfn: facade.requestHandler as AwsRequestHandler };
  const aws = (service: AwsService, transport: AwsTransport): AwsClientConfig => ({
    requestHandler: (transport === "in-process" && inProcess[service]) || { ...AWS_REQUEST_TIMEOUTS },
    endpoint: endpoints[service],
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(service === "s3" ? { forcePathStyle: true } : {}),
  });
  const kit: TaskKit = {
    log: createLogger("local", { level: process.env.LOG_LEVEL ?? "warn" }),
    aws: (service) => aws(service, "in-process"),
  };
  const s3Client = createS3Client(kit.aws("s3"));
  const sfnClient = createSfnClient(kit.aws("sfn"));
  const serveS3: RequestHandler = (req, res) => {
    req.url = (req.url ?? "").slice(S3_MOUNT.length);
    return s3.handle(req, res);
  };
  const handles = { aws, s3, s3Client, sfnClient, store: createS3Store(s3Client, LOCAL_BUCKET), faults };
  return {
    ...handles,
    handles,
    s3Endpoint: endpoints.s3,
    sfnEndpoint: endpoints.sfn,
    kit,
    route(path) {
      if (path.startsWith(`${S3_MOUNT}/`)) return serveS3;
      if (path === SFN_MOUNT || path === `${SFN_MOUNT}/`) return facade.handle;
      return undefined;
    },
    async close() {
      await s3.close();
      s3Client.destroy();
      sfnClient.destroy();
    },
  };
}

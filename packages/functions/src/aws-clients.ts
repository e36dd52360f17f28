/**
 * How a handler builds its AWS SDK clients. On Lambda: the SDK's defaults (region and credentials
 * from the environment) plus timeouts, so a hung connection fails the call well inside the Lambda
 * timeout instead of hanging it. Locally: the runtime's endpoints and fixed local credentials.
 * Each handler constructs only the client it uses, so a bundle carries only that client.
 */
export type AwsService = "s3" | "sfn" | "events" | "sesv2";

export interface RequestTimeouts {
  connectionTimeout?: number;
  requestTimeout?: number;
  throwOnRequestTimeout?: boolean;
}

/** A request handler object (smithy `HttpHandler`): the local runtime's in-process transport. */
export interface AwsRequestHandler {
  handle(request: never, options?: never): Promise<{ response: unknown }>;
}

export interface AwsClientConfig {
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle?: boolean;
  /** Timeouts for the SDK's own HTTP handler, or a handler object that replaces it. */
  requestHandler?: RequestTimeouts | AwsRequestHandler;
  maxAttempts?: number;
}

/** The timeouts a client's own HTTP handler gets; a handler object given by the kit is used as is. */
export function withTimeouts(
  requestHandler: AwsClientConfig["requestHandler"],
  timeouts: RequestTimeouts,
): RequestTimeouts | AwsRequestHandler {
  if (requestHandler && "handle" in requestHandler) return requestHandler;
  return { ...AWS_REQUEST_TIMEOUTS, ...requestHandler, ...timeouts };
}

/**
 * Connect within 3 s and answer within 10 s: well inside every Task's Lambda timeout. Without
 * `throwOnRequestTimeout` the SDK's handler only logs a warning when `requestTimeout` passes and
 * keeps waiting (checked on @smithy/node-http-handler 4.14).
 */
export const AWS_REQUEST_TIMEOUTS = {
  connectionTimeout: 3_000,
  requestTimeout: 10_000,
  throwOnRequestTimeout: true,
} as const;

export const lambdaAwsConfig = (_service: AwsService): AwsClientConfig => ({
  requestHandler: { ...AWS_REQUEST_TIMEOUTS },
});

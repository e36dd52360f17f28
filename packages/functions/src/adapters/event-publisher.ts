import {
  EventBridgeClient,
  type EventBridgeClientConfig,
  PutEventsCommand,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import {
  type EventPublisher,
  type OutboundFailure,
  ServiceRateLimited,
  ServiceRejected,
  ServiceUnavailable,
} from "@leadrelay/core";
import { type AwsClientConfig, withTimeouts } from "../aws-clients";

const SERVICE = "events";

const THROTTLED = new Set(["ThrottlingException", "LimitExceededException", "TooManyRequestsException"]);
/** Entry-level codes worth another try; every other entry error (MalformedDetail, access…) is for good. */
const ENTRY_TRANSIENT = new Set(["InternalFailure", "InternalException", "ServiceUnavailable"]);
/** Network errors that mean the request never reached EventBridge. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH"]);

/**
 * One SDK attempt per call: retries live in the ASL, where the history shows them. The request
 * timeout must throw: by default the SDK's HTTP handler only logs a warning and waits on.
 */
export function createEventBridgeClient(config: AwsClientConfig = {}): EventBridgeClient {
  return new EventBridgeClient({
    maxAttempts: 1,
    ...(config as EventBridgeClientConfig),
    requestHandler: withTimeouts(config.requestHandler, {
      throwOnRequestTimeout: true,
    }) as EventBridgeClientConfig["requestHandler"],
  });
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The SDK's errors as the outbound errors every ASL knows. No answer at all is `unanswered`
 * unless the connection was never made: EventBridge has no idempotency key, so an event that may
 * have been put is not put again (the Publish marker stays "sending").
 */
export function classifyEventBridgeError(error: unknown): Error {
  const sdk = (typeof error === "object" && error !== null ? error : {}) as SdkError;
  const name = sdk.name ?? "Error";
  const status = sdk.$metadata?.httpStatusCode;
  const code = sdk.code ?? (sdk as { cause?: { code?: string } }).cause?.code;
  const failure: OutboundFailure = {
    service: SERVICE,
    ...(status === undefined ? {} : { status }),
    code: name,
    detail: `PutEvents: ${(sdk.message ?? String(error)).replace(/\s+/g, " ").slice(0, 300)}`,
  };
  const options = { cause: error };
  if (THROTTLED.has(name) || status === 429) return new ServiceRateLimited(failure, undefined, options);
  if (status === undefined) {
    const neverSent = code !== undefined && NOT_SENT.has(code);
    const connectTimeout = /without establishing a connection/i.test(sdk.message ?? "");
    return new ServiceUnavailable({ ...failure, unanswered: !(neverSent || connectTimeout) }, options);
  }
  if (status >= 500 || status === 408 || sdk.$fault === "server")
    return new ServiceUnavailable(failure, options);
  return new ServiceRejected(failure, options);
}

function entryFailure(entry: PutEventsResultEntry | undefined): Error {
  const code = entry?.ErrorCode ?? "UnknownEntryError";
  const failure: OutboundFailure = {
    service: SERVICE,
    status: 200,
    code,
    detail: `PutEvents: the entry failed: ${(entry?.ErrorMessage ?? code).replace(/\s+/g, " ").slice(0, 300)}`,
  };
  if (THROTTLED.has(code)) return new ServiceRateLimited(failure);
  if (ENTRY_TRANSIENT.has(code)) return new ServiceUnavailable(failure);
  return new ServiceRejected(failure);
}

/**
 * EventBridge `PutEvents` of one entry on the stage's bus. A 200 can still carry a failed entry
 * (`FailedEntryCount` > 0): it is classified by the entry's `ErrorCode`.
 */
export function createEventPublisher(
  busName: string,
  aws: AwsClientConfig = {},
  options: { client?: EventBridgeClient } = {},
): EventPublisher {
  const client = options.client ?? createEventBridgeClient(aws);
  return {
    async publish(event) {
      let output: { FailedEntryCount?: number; Entries?: PutEventsResultEntry[] };
      try {
        output = await client.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: busName,
                Source: event.source,
                DetailType: event.detailType,
                Detail: JSON.stringify(event.detail),
              },
            ],
          }),
        );
      } catch (error) {
        throw classifyEventBridgeError(error);
      }
      const entry = output.Entries?.[0];
      if ((output.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode || !entry?.EventId)
        throw entryFailure(entry);
      return { eventId: entry.EventId };
    },
  };
}

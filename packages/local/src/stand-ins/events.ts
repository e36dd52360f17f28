import { randomUUID } from "node:crypto";
import type { StandInContext, StandInReply, StandInRequest, StandInSpec } from "./stand-in";

/**
 * Amazon EventBridge `PutEvents` as the AWS SDK sends it (AWS JSON 1.1, `X-Amz-Target:
 * AWSEvents.PutEvents`, `POST /`) at the endpoint the runtime gives `kit.aws("events")`. Each entry
 * is kept (bus, source, detail-type, detail) and listed by `GET /_local/events/`. A 200 can carry
 * failed entries, as EventBridge's does (`MalformedDetail` for a detail that is not a JSON object).
 */

type Json = Record<string, unknown>;

export const LOCAL_EVENT_BUS = "leadrelay-local";
const MAX_ENTRIES = 10;
/** EventBridge's limit for the entries of one request. */
const MAX_REQUEST_BYTES = 256 * 1024;
const JSON_11 = "application/x-amz-json-1.1";

export interface PublishedEvent {
  eventId: string;
  at: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: unknown;
}

function awsError(status: number, type: string, message: string): StandInReply {
  return { status, headers: { "content-type": JSON_11 }, text: JSON.stringify({ __type: type, message }) };
}

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function parsedDetail(detail: unknown): Json | undefined {
  if (typeof detail !== "string") return undefined;
  try {
    const parsed = JSON.parse(detail) as unknown;
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function publishedEvents(context: Pick<StandInContext, "state">): PublishedEvent[] {
  const state = context.state as { events?: PublishedEvent[] };
  state.events ??= [];
  return state.events;
}

function putEvents(request: StandInRequest, context: StandInContext): StandInReply {
  const body = request.json;
  if (!isObject(body) || !Array.isArray(body.Entries)) {
    return awsError(400, "ValidationException", "1 validation error detected: Entries must not be null");
  }
  if (body.Entries.length < 1 || body.Entries.length > MAX_ENTRIES) {
    return awsError(400, "ValidationException", `Entries must have between 1 and ${MAX_ENTRIES} items`);
  }
  if (request.body.length > MAX_REQUEST_BYTES) {
    return awsError(
      400,
      "ValidationException",
      "Total size of the entries in the request is over the limit.",
    );
  }
  const events = publishedEvents(context);
  const results: Json[] = [];
  for (const entry of body.Entries as unknown[]) {
    const item = isObject(entry) ? entry : {};
    const detail = parsedDetail(item.Detail);
    if (typeof item.Source !== "string" || item.Source === "" || typeof item.DetailType !== "string") {
      results.push({
        ErrorCode: "InvalidArgument",
        ErrorMessage: "Parameter Source and DetailType are required.",
      });
      continue;
    }
    if (!detail) {
      results.push({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
      continue;
    }
    const eventId = randomUUID();
    events.push({
      eventId,
      at: new Date(context.now()).toISOString(),
      eventBusName:
        typeof item.EventBusName === "string" && item.EventBusName !== "" ? item.EventBusName : "default",
      source: item.Source,
      detailType: item.DetailType,
      detail,
    });
    results.push({ EventId: eventId });
  }
  context.save();
  const failed = results.filter((result) => "ErrorCode" in result).length;
  return {
    status: 200,
    headers: { "content-type": JSON_11 },
    text: JSON.stringify({ FailedEntryCount: failed, Entries: results }),
  };
}

export function eventsStandIn(): StandInSpec {
  return {
    slug: "events",
    title: "Amazon EventBridge (the stage's event bus)",
    fills: () => ({ EVENT_BUS_NAME: LOCAL_EVENT_BUS }),
    respond(request, context) {
      if (request.path !== "/")
        return awsError(404, "UnknownOperationException", `No operation at ${request.path}`);
      if (request.method === "GET") return { status: 200, json: { events: publishedEvents(context) } };
      if (request.method !== "POST")
        return awsError(405, "UnknownOperationException", "POST an AWS JSON 1.1 request");
      const target = request.headers["x-amz-target"];
      if (target === "AWSEvents.DescribeEventBus") {
        const name = (request.json as { Name?: unknown } | undefined)?.Name ?? "default";
        if (name !== LOCAL_EVENT_BUS && name !== "default")
          return awsError(
            400,
            "ResourceNotFoundException",
            `Event bus ${String(name).slice(0, 60)} does not exist.`,
          );
        return {
          status: 200,
          headers: { "content-type": JSON_11 },
          text: JSON.stringify({
            Name: name,
            Arn: `arn:aws:events:us-east-1:000000000000:event-bus/${name}`,
          }),
        };
      }
      if (target !== "AWSEvents.PutEvents") {
        return awsError(
          400,
          "UnknownOperationException",
          `Only AWSEvents.PutEvents is served here, not ${String(target).slice(0, 60)}`,
        );
      }
      return putEvents(request, context);
    },
  };
}

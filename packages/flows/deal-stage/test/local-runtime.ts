import { deterministicUuid } from "@leadrelay/core";
import { executionHistory } from "../../../console/src/lead-operations";
import type { Runtime } from "../../../local/src/runtime";
import type { RecordedRequest } from "../../../local/src/stand-ins/stand-in";
import { post } from "../../../local/test/harness";
import { dealBusinessKey } from "../src/domain/keys";

/** Test helpers for the deal-stage flow on the real local runtime (its ingest, engine and stand-ins). */

export const FLOW = "deal-stage";

export function engineOf(runtime: Runtime) {
  const engine = runtime.engines[FLOW];
  if (!engine) throw new Error("deal-stage is not running");
  return engine;
}

export const target = (runtime: Runtime) => ({
  sfn: runtime.sfnClient,
  stateMachineArn: engineOf(runtime).stateMachineArn,
});

/** POST /webhook/crm as the CRM sends it. */
export async function postDeal(
  runtime: Runtime,
  body: string,
  headers: Record<string, string | undefined> = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const all: Record<string, string | undefined> = {
    "content-type": "application/json",
    "x-api-key": runtime.settings.CRM_WEBHOOK_API_KEY,
    "x-event": "deal_updated",
    ...headers,
  };
  const sent = Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  return post(runtime.webhooks.crm ?? "", body, sent);
}

export async function historyOf(runtime: Runtime, name: string) {
  return executionHistory(target(runtime), engineOf(runtime).arnOf(name));
}

type Event = Awaited<ReturnType<typeof historyOf>>[number];

/** The names of the states entered, in order (nested ones included). */
export const statesEntered = (events: readonly Event[]) =>
  events.flatMap((event) =>
    event.type?.endsWith("StateEntered") ? [event.stateEnteredEventDetails?.name ?? ""] : [],
  );

/** The error names of the failed Lambda invocations, in order. */
export const lambdaFailures = (events: readonly Event[]) =>
  events.flatMap((event) =>
    event.type === "LambdaFunctionFailed" ? [event.lambdaFunctionFailedEventDetails?.error ?? ""] : [],
  );

/** What a state returned, its last time in the history. */
export function outputOf(events: readonly Event[], state: string): Record<string, unknown> | undefined {
  const exited = events.findLast(
    (event) => event.type?.endsWith("StateExited") && event.stateExitedEventDetails?.name === state,
  );
  return exited
    ? (JSON.parse(exited.stateExitedEventDetails?.output ?? "null") as Record<string, unknown>)
    : undefined;
}

/** The events the Conversions API stand-in accepted for a deal (scripted failures excluded). */
export function capiEventsFor(runtime: Runtime, dealId: string) {
  return (runtime.standIns.meta?.requests() ?? [])
    .filter((request) => request.path.endsWith("/events") && request.status === 200)
    .flatMap((request) => (request.body as { data?: Array<Record<string, unknown>> }).data ?? [])
    .filter((event) => String(event.event_id).startsWith(`deal:${dealId}:`));
}

/** Every request that reached Meta for this deal, whatever it was answered. */
export function capiAttemptsFor(runtime: Runtime, dealId: string): RecordedRequest[] {
  return (runtime.standIns.meta?.requests() ?? []).filter((request) =>
    JSON.stringify(request.body ?? "").includes(`"deal:${dealId}:`),
  );
}

/** The emails the Brevo stand-in accepted for a deal's stage (by the idempotency key the flow derives). */
export function emailsFor(runtime: Runtime, dealId: string, status = "committed") {
  const key = deterministicUuid("deal-stage", dealBusinessKey(dealId, status), "property-email");
  return (runtime.standIns.brevo?.requests() ?? []).filter(
    (request) =>
      request.status === 201 &&
      (request.body as { headers?: { idempotencyKey?: string } }).headers?.idempotencyKey === key,
  );
}

/** Scripts a stand-in's next answers (`POST /_local/<slug>/_fail`). */
export async function failNext(
  runtime: Runtime,
  slug: string,
  script: { status: number; body?: unknown; headers?: Record<string, string>; times?: number; path?: string },
) {
  const response = await fetch(`${runtime.url}/_local/${slug}/_fail`, {
    method: "POST",
    body: JSON.stringify(script),
  });
  if (response.status !== 201) throw new Error(`scripting ${slug} failed: ${response.status}`);
}

export async function clearScripts(runtime: Runtime, ...slugs: string[]) {
  for (const slug of slugs) await fetch(`${runtime.url}/_local/${slug}/_fail`, { method: "DELETE" });
}

/** A Step Functions API call over AWS JSON 1.0, as the SDK sends it (the test package has no SDK of its own). */
export async function sfnApi(runtime: Runtime, operation: string, body: Record<string, unknown>) {
  const response = await fetch(runtime.sfnEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `AWSStepFunctions.${operation}`,
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${operation} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

export const graphError = (code: number, message = `(#${code}) scripted`) => ({
  error: { message, type: "OAuthException", code, fbtrace_id: "AScripted" },
});

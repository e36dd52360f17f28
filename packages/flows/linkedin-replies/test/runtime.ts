import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { executionHistory } from "../../../console/src/lead-operations";

import type { Runtime, RuntimeOptions } from "../../../local/src/runtime";
import { post, startTestRuntime, tempDir } from "../../../local/test/harness";
import { CUSTOM_PROPERTIES } from "../src/domain/hubspot-properties";
import { runHubSpotSetup } from "../src/hubspot-setup";
import type { CrmState } from "./support";

type HistoryEvent = Awaited<ReturnType<typeof executionHistory>>[number];

export const FLOW = "linkedin-replies";

/**
 * The local runtime with only this flow, its stand-ins for HubSpot and LGM (unless `env` points
 * elsewhere), short retry intervals, and the HubSpot properties set up (archived with `setUp: false`).
 */
export async function startFlowRuntime(
  options: {
    env?: Record<string, string>;
    setUp?: boolean;
    searchLagMs?: number;
  } & Partial<RuntimeOptions> = {},
) {
  const standInDir = tempDir("lgm-stand-in-");
  const runtime = await startTestRuntime({
    flows: FLOW,
    retryIntervalMs: 20,
    ...options,
    env: { LEADRELAY_STANDIN_DIR: standInDir, ...options.env },
  });
  if (!options.env?.HUBSPOT_BASE_URL) {
    await fetch(`${runtime.url}/_local/hubspot/_settings`, {
      method: "PUT",
      body: JSON.stringify({ searchLagMs: options.searchLagMs ?? 2_000 }),
    });
    if (options.setUp !== false) await runHubSpotSetup({}, runtime.url);
    else {
      // The stand-in starts with the flow's properties (as after `hubspot setup`): archive them, as
      // someone could in a real portal, to be where a portal is before setup.
      for (const { type, definition } of CUSTOM_PROPERTIES) {
        const archived = await fetch(
          `${runtime.url}/_local/hubspot/crm/v3/properties/${type}/${definition.name}`,
          { method: "DELETE", headers: { authorization: "Bearer local-hubspot-token" } },
        );
        if (archived.status !== 204)
          throw new Error(`could not archive ${definition.name}: ${archived.status}`);
      }
    }
  }
  return Object.assign(runtime, { standInDir });
}
export type FlowRuntime = Awaited<ReturnType<typeof startFlowRuntime>>;

/** The webhook URL with the token: only tests ever build it. */
export const webhookOf = (runtime: Runtime, token = runtime.settings.LGM_WEBHOOK_TOKEN ?? "") =>
  (runtime.webhooks.lgm ?? "").replace("{token}", encodeURIComponent(token));

export function deliver(runtime: Runtime, body: unknown, token?: string) {
  return post(webhookOf(runtime, token), typeof body === "string" ? body : JSON.stringify(body), {
    "content-type": "application/json",
  });
}

export const engineOf = (runtime: Runtime) => {
  const engine = runtime.engines[FLOW];
  if (!engine) throw new Error("the flow is not running");
  return engine;
};

export function historyOf(runtime: Runtime, name: string): Promise<HistoryEvent[]> {
  const engine = engineOf(runtime);
  return executionHistory(
    { sfn: runtime.sfnClient, stateMachineArn: engine.stateMachineArn },
    engine.arnOf(name),
  );
}

/** Delivers a reply, waits for its execution to end, returns the record and its history. */
export async function deliverAndSettle(runtime: Runtime, body: unknown) {
  const answer = await deliver(runtime, body);
  if (answer.status !== 202) throw new Error(`delivery answered ${answer.status}: ${answer.text}`);
  const name = String(answer.json.reply);
  return { name, ...(await settle(runtime, name)) };
}

export async function settle(runtime: Runtime, name: string) {
  const record = await engineOf(runtime).settled(name);
  return { record, events: await historyOf(runtime, name) };
}

/** The states entered, in order. */
export const pathOf = (events: HistoryEvent[]) =>
  events.filter((e) => e.type?.endsWith("StateEntered")).map((e) => e.stateEnteredEventDetails?.name ?? "");

/** How many times a Task's Lambda was scheduled (1 + its retries). */
export function attemptsOf(events: HistoryEvent[], state: string): number {
  let current = "";
  let count = 0;
  for (const event of events) {
    if (event.type === "TaskStateEntered") current = event.stateEnteredEventDetails?.name ?? "";
    if (event.type === "LambdaFunctionScheduled" && current === state) count++;
  }
  return count;
}

/** The failures of a Task's attempts: error names and causes. */
export function failuresOf(events: HistoryEvent[], state: string): Array<{ error: string; cause: string }> {
  let current = "";
  const failures: Array<{ error: string; cause: string }> = [];
  for (const event of events) {
    if (event.type === "TaskStateEntered") current = event.stateEnteredEventDetails?.name ?? "";
    if (event.type === "LambdaFunctionFailed" && current === state) {
      failures.push({
        error: event.lambdaFunctionFailedEventDetails?.error ?? "",
        cause: event.lambdaFunctionFailedEventDetails?.cause ?? "",
      });
    }
  }
  return failures;
}

/** A Task's result (the last time it exited). */
export function outputOf<T = Record<string, unknown>>(
  events: HistoryEvent[],
  state: string,
  path: string,
): T {
  const exited = events
    .filter((e) => e.type?.endsWith("StateExited") && e.stateExitedEventDetails?.name === state)
    .at(-1);
  const output = JSON.parse(exited?.stateExitedEventDetails?.output ?? "{}") as Record<string, unknown>;
  return output[path] as T;
}

export async function crmState(runtime: Runtime): Promise<CrmState> {
  return (await (await fetch(`${runtime.url}/_local/hubspot/_state`)).json()) as CrmState;
}

/** One contact's slice of the CRM: the contact with this email (or id), its deals and its notes. */
export async function crmOf(runtime: Runtime, match: { email?: string; id?: string }) {
  const state = await crmState(runtime);
  const contact = state.contacts.find((c) =>
    match.id !== undefined ? c.id === match.id : c.properties.email === match.email,
  );
  const linked = (fromType: string, toType: string, toId: string | undefined) =>
    state.associations
      .filter((a) => a.fromType === fromType && a.toType === toType && a.toId === toId)
      .map((a) => a.fromId);
  const dealIds = linked("deals", "contacts", contact?.id);
  const noteIds = linked("notes", "contacts", contact?.id);
  return {
    contact,
    deals: state.deals.filter((d) => dealIds.includes(d.id)),
    notes: state.notes.filter((n) => noteIds.includes(n.id)),
    /** Notes associated to a deal: id → deal ids. */
    noteDeals: Object.fromEntries(
      noteIds.map((id) => [
        id,
        state.associations
          .filter((a) => a.fromType === "notes" && a.fromId === id && a.toType === "deals")
          .map((a) => a.toId),
      ]),
    ),
  };
}

export async function scriptFailure(
  runtime: Runtime,
  slug: "hubspot" | "lgm",
  script: Record<string, unknown>,
) {
  const response = await fetch(`${runtime.url}/_local/${slug}/_fail`, {
    method: "POST",
    body: JSON.stringify(script),
  });
  if (response.status !== 201) throw new Error(`could not script ${slug}: ${response.status}`);
}

export async function clearFailures(runtime: Runtime) {
  for (const slug of ["hubspot", "lgm"])
    await fetch(`${runtime.url}/_local/${slug}/_fail`, { method: "DELETE" });
}

/** A lead LGM's API knows (the LGM stand-in serves `<dir>/lgm/leads/*.json`). */
export function lgmKnowsLead(runtime: FlowRuntime, lead: Record<string, unknown>) {
  const dir = join(runtime.standInDir, "lgm", "leads");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${String(lead.id)}.json`), JSON.stringify(lead));
}

let serial = 0;
/** A reply from a lead, in the flat shape; `overrides` change or add fields. */
export function replyBody(overrides: Record<string, unknown> = {}) {
  serial++;
  return {
    conversationId: `conv${process.pid}x${serial}`,
    messageId: `msg${serial}`,
    leadId: `lead${serial}`,
    lastMessageStatus: "RECEIVED",
    lastMessageType: "LINKEDIN",
    text: `Reply number ${serial}: yes, let's talk <soon> & "quickly"`,
    createdAt: "2026-11-20T14:00:00.000Z",
    firstname: "Ada",
    lastname: "Lovelace",
    proEmail: `ada${serial}@example.com`,
    linkedinUrl: `https://www.linkedin.com/in/ada-${serial}`,
    campaignName: "Q4 Founders",
    ...overrides,
  };
}

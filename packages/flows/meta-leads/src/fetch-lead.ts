import { type LeadAdsReader, type ObjectStore, RawEventMissing } from "@leadrelay/core";
import { createLeadAdsReader } from "@leadrelay/functions/adapters/meta-lead-ads";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import { missingVariables, readConfig } from "@leadrelay/functions/config";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { leadRecordKey } from "./domain/keys";
import type { WebhookIds } from "./domain/lead-event";
import { changeAt, readLeadgenChange } from "./domain/leadgen-webhook";
import { type MetaLead, normaliseLead } from "./domain/meta-lead";
import { MetaChangeInvalid } from "./errors";
import { ExecutionInput } from "./task-input";

export type FetchLeadResult =
  | { status: "fetched"; lead: MetaLead; webhook: WebhookIds; changeKey: string; leadKey: string }
  /** No Page token: nothing can be fetched, the history says which variable is missing. */
  | { status: "skipped"; reason: string; webhook: WebhookIds; changeKey: string };

export interface FetchLeadDeps {
  store: ObjectStore;
  /** Absent when the Page token is not configured. */
  graph?: LeadAdsReader;
  missing?: readonly string[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Reads this lead's change from the stored delivery (the execution carries only its key and
 * position), keeps the change, fetches the lead from Graph, keeps what Graph returned and hands on
 * the normalised record.
 */
export function createFetchLead(deps: FetchLeadDeps) {
  return async (event: unknown): Promise<FetchLeadResult> => {
    const input = ExecutionInput.parse(event);
    const body = await deps.store.get(input.rawKey);
    if (body === undefined) throw new RawEventMissing(input.rawKey);
    const change = changeAt(body, input.entry, input.change);
    const where = `entry ${input.entry} change ${input.change}`;
    if (!isObject(change) || change.field !== "leadgen") {
      throw new MetaChangeInvalid(input.rawKey, `${where} is not a leadgen change`);
    }
    const read = readLeadgenChange(change.value, input.entry, input.change);
    if ("reason" in read) throw new MetaChangeInvalid(input.rawKey, `${where}: ${read.reason}`);
    if (read.leadgenId !== input.leadgenId) {
      throw new MetaChangeInvalid(input.rawKey, `${where} is lead ${read.leadgenId}, not ${input.leadgenId}`);
    }
    const changeKey = leadRecordKey(input.leadgenId, "change");
    // Large ids are kept as their digits (strings) in this copy; the delivery itself stays byte for byte.
    await deps.store.putIfAbsent(changeKey, JSON.stringify(change));
    const webhook: WebhookIds = {
      pageId: read.pageId ?? null,
      formId: read.formId ?? null,
      adId: read.adId ?? null,
      adgroupId: read.adgroupId ?? null,
    };
    if (!deps.graph) {
      const reason = `${(deps.missing ?? ["META_PAGE_ACCESS_TOKEN"]).join(", ")} is not set`;
      return { status: "skipped", reason, webhook, changeKey };
    }
    const lead = await deps.graph.fetchLead(input.leadgenId);
    const leadKey = leadRecordKey(input.leadgenId, "lead");
    await deps.store.put(leadKey, JSON.stringify(lead));
    return { status: "fetched", lead: normaliseLead(lead), webhook, changeKey, leadKey };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const config = readConfig(
    ["META_GRAPH_BASE_URL", "META_API_VERSION", "META_PAGE_ACCESS_TOKEN", "HTTP_TIMEOUT_MS"],
    env,
  );
  const missing = missingVariables(env, ["META_PAGE_ACCESS_TOKEN"]);
  return createFetchLead({
    store: storeFromEnv(env, kit),
    missing,
    graph: config.META_PAGE_ACCESS_TOKEN
      ? createLeadAdsReader(
          {
            baseUrl: config.META_GRAPH_BASE_URL,
            version: config.META_API_VERSION,
            pageAccessToken: config.META_PAGE_ACCESS_TOKEN,
          },
          { timeoutMs: config.HTTP_TIMEOUT_MS },
        )
      : undefined,
  });
};
export const handler = taskHandler("fetch-lead", build);

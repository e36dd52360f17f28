import { KnownErrorNames } from "@leadrelay/core";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import asl from "../meta-leads.asl.json";
import { META_LEADS_ACTIONS } from "./actions";
import { FLOW_ID, leadRecords, RAW_PAYLOADS } from "./domain/keys";
import { FailureNames, TaskErrorNames } from "./errors";
import { metaSource } from "./source";
import { metaLeadsView } from "./view";

const handler = (file: string) => `packages/flows/${FLOW_ID}/src/${file}.handler`;

/**
 * meta-leads: every lead submitted on a Meta lead ad (one leadgen change of Meta's webhook) is
 * fetched from the Graph API, sorted into pending / terminated / already subscribed against the
 * membership directory, and published on the stage's event bus as `meta-lead.<category>`.
 */
export const metaLeadsFlow: FlowSpec = {
  id: FLOW_ID,
  title: "Meta lead ads: fetch, categorize by membership, publish",
  source: metaSource,
  asl,
  tasks: {
    FetchLeadFunctionArn: {
      id: "FetchLead",
      handler: handler("fetch-lead"),
      env: ["META_GRAPH_BASE_URL", "META_API_VERSION"],
      secrets: ["META_PAGE_ACCESS_TOKEN"],
      storage: [
        { actions: ["s3:GetObject"], keys: RAW_PAYLOADS },
        { actions: ["s3:PutObject"], keys: leadRecords("change") },
        { actions: ["s3:PutObject"], keys: leadRecords("lead") },
      ],
      existenceChecks: true,
      calls: { meta: 1 },
    },
    CategorizeFunctionArn: {
      id: "Categorize",
      handler: handler("categorize"),
      env: ["MEMBERS_BASE_URL"],
      storage: [{ actions: ["s3:PutObject"], keys: leadRecords("category") }],
    },
    PublishFunctionArn: {
      id: "Publish",
      handler: handler("publish"),
      storage: [
        { actions: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], keys: leadRecords("published") },
      ],
      existenceChecks: true,
      publishesEvents: true,
    },
  },
  actions: META_LEADS_ACTIONS,
  view: metaLeadsView,
  errorNames: [...KnownErrorNames, ...TaskErrorNames, ...Object.values(FailureNames)],
};

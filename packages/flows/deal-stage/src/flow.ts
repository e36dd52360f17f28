import { KnownErrorNames } from "@leadrelay/core";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import type { AslDefinition } from "@leadrelay/functions/state-machine";
import asl from "../deal-stage.asl.json";
import { DEAL_STAGE_ACTIONS } from "./actions";
import { DEAL_STAGE_ERROR_NAMES, DealStageFailures } from "./domain/errors";
import { CONVERSION_MARKER_PREFIX, DEAL_PREFIX, EMAIL_MARKER_PREFIX, FLOW_ID } from "./domain/keys";
import { SEND_CONVERSION_ENV, SEND_CONVERSION_SECRETS } from "./send-conversion";
import { SEND_PROPERTY_EMAIL_ENV, SEND_PROPERTY_EMAIL_SECRETS } from "./send-property-email";
import { crmSource } from "./source";
import { dealStageView } from "./view";

const handler = (file: string) => `packages/flows/${FLOW_ID}/src/${file}.handler`;
const READ_DEAL = { actions: ["s3:GetObject"], keys: `${DEAL_PREFIX}*` } as const;
const MARKERS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] as const;

/**
 * deal-stage: a CRM deal reaching Qualified reports a Conversions API `Lead`; reaching Committed
 * reports a `Purchase` and emails the buyer the property details, in parallel, each branch with
 * its own retries; any other stage is recorded as "no action".
 */
export const dealStageFlow: FlowSpec = {
  id: FLOW_ID,
  title: "Report deal stages to Meta and email committed buyers",
  source: crmSource,
  // JSON imports widen literal types; the file is checked by the engine and the ASL tests.
  asl: asl as unknown as AslDefinition,
  tasks: {
    SendConversionFunctionArn: {
      id: "SendConversion",
      handler: handler("send-conversion"),
      env: SEND_CONVERSION_ENV,
      optionalSecrets: SEND_CONVERSION_SECRETS,
      storage: [READ_DEAL, { actions: MARKERS, keys: `${CONVERSION_MARKER_PREFIX}*` }],
      existenceChecks: true,
      calls: { meta: 1 },
    },
    SendPropertyEmailFunctionArn: {
      id: "SendPropertyEmail",
      handler: handler("send-property-email"),
      env: SEND_PROPERTY_EMAIL_ENV,
      optionalSecrets: SEND_PROPERTY_EMAIL_SECRETS,
      storage: [READ_DEAL, { actions: MARKERS, keys: `${EMAIL_MARKER_PREFIX}*` }],
      existenceChecks: true,
      sendsEmail: true,
      calls: { brevo: 1 },
    },
  },
  actions: DEAL_STAGE_ACTIONS,
  view: dealStageView,
  errorNames: [...KnownErrorNames, ...DEAL_STAGE_ERROR_NAMES, ...Object.values(DealStageFailures)],
  /**
   * A Parallel branch's Catch ends its branch in a result (`{ ok: false, error }`) instead of a Fail,
   * which would stop the sibling branch mid-retry; CheckCommittedActions then fails the execution.
   */
  degradedStates: ["PurchaseNotSent", "PropertyEmailNotSent"],
};

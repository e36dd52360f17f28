import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { actionDeps } from "./action-settings";
import { triageCrmsFromEnv } from "./lead-crm";
import { createRecordOutcome } from "./record-outcome";

/** RecordInHubSpot: the label property and one note on the HubSpot contact (HUBSPOT_TOKEN). */
export const build: HandlerBuild = (env, kit) =>
  createRecordOutcome({
    ...actionDeps(env, kit),
    crms: triageCrmsFromEnv(env, "hubspot"),
    serves: "hubspot",
  });
export const handler = taskHandler("triage-record-in-hubspot", build);

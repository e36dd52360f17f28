import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { createFetchLead } from "./fetch-lead";
import { triageCrmsFromEnv } from "./lead-crm";

/** FetchHubSpotContact: the HubSpot contact of a `hubspot-{portal}-{contact}` lead (HUBSPOT_TOKEN). */
export const build: HandlerBuild = (env) =>
  createFetchLead({ crms: triageCrmsFromEnv(env, "hubspot"), serves: "hubspot" });
export const handler = taskHandler("triage-fetch-hubspot-contact", build);

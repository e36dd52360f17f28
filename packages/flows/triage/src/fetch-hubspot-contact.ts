import { type HandlerBuild, lambdaHandler } from "@leadrelay/functions/lambda";
import { createFetchLead } from "./fetch-lead";
import { triageCrmsFromEnv } from "./lead-crm";

/** FetchHubSpotContact: the HubSpot contact of a `hubspot-{portal}-{contact}` lead (HUBSPOT_TOKEN). */
export const build: HandlerBuild = (env) =>
  createFetchLead({ crms: triageCrmsFromEnv(env, "hubspot"), serves: "hubspot" });
export const handler = lambdaHandler("triage-fetch-hubspot-contact", build);

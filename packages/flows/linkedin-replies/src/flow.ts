import { KnownErrorNames } from "@leadrelay/core";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import asl from "../linkedin-replies.asl.json";
import { LINKEDIN_REPLIES_ACTIONS } from "./actions";
import { LinkedInRepliesErrorNames } from "./domain/errors";
import { CUSTOM_PROPERTIES } from "./domain/hubspot-properties";
import { KEY_PATTERNS } from "./domain/keys";
import { lgmSource } from "./source";
import { linkedinRepliesView } from "./view";

const handler = (file: string) => `packages/flows/linkedin-replies/src/${file}.handler`;
const HUBSPOT = ["HUBSPOT_BASE_URL"] as const;
const MARKER_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] as const;

/**
 * linkedin-replies: a lead's reply in La Growth Machine (LinkedIn or email) becomes an up-to-date
 * HubSpot contact, the contact's deal for the campaign and a note with the reply.
 */
export const linkedinRepliesFlow: FlowSpec = {
  id: "linkedin-replies",
  title: "LinkedIn replies into HubSpot",
  source: lgmSource,
  asl,
  hubspotProperties: () => CUSTOM_PROPERTIES,
  // A profile's contact and a campaign's deal are looked up by every later reply, however late.
  retainedKeys: [KEY_PATTERNS.contacts, KEY_PATTERNS.deals],
  tasks: {
    FetchConversationFunctionArn: {
      id: "FetchConversation",
      handler: handler("fetch-conversation"),
      env: ["LGM_BASE_URL"],
      // Without it the delivery is used as is (the history says so): it never stops a deploy.
      optionalSecrets: ["LGM_API_KEY"],
      storage: [
        { actions: ["s3:GetObject"], keys: KEY_PATTERNS.raw },
        { actions: ["s3:PutObject"], keys: KEY_PATTERNS.replies },
      ],
      existenceChecks: true,
    },
    UpsertContactFunctionArn: {
      id: "UpsertContact",
      handler: handler("upsert-contact"),
      env: [...HUBSPOT],
      secrets: ["HUBSPOT_TOKEN"],
      storage: [{ actions: MARKER_ACTIONS, keys: KEY_PATTERNS.contacts }],
      existenceChecks: true,
      // An update, a search by LinkedIn URL, then a create or an update.
      calls: { hubspot: 3, "hubspot-search": 1 },
    },
    EnsureDealFunctionArn: {
      id: "EnsureDeal",
      handler: handler("ensure-deal"),
      env: [...HUBSPOT, "HUBSPOT_PIPELINE", "HUBSPOT_DEAL_STAGE"],
      secrets: ["HUBSPOT_TOKEN"],
      storage: [{ actions: MARKER_ACTIONS, keys: KEY_PATTERNS.deals }],
      existenceChecks: true,
      // The contact's deals, reading them, then creating one.
      calls: { hubspot: 3 },
    },
    AddNoteFunctionArn: {
      id: "AddNote",
      handler: handler("add-note"),
      env: [...HUBSPOT],
      secrets: ["HUBSPOT_TOKEN"],
      storage: [
        { actions: ["s3:GetObject"], keys: KEY_PATTERNS.replies },
        { actions: MARKER_ACTIONS, keys: KEY_PATTERNS.notes },
      ],
      existenceChecks: true,
      // The note; after an unanswered attempt, first the deal's notes and reading them.
      calls: { hubspot: 3 },
    },
  },
  actions: LINKEDIN_REPLIES_ACTIONS,
  view: linkedinRepliesView,
  errorNames: [...KnownErrorNames, ...LinkedInRepliesErrorNames],
  // LGM unavailable through FetchConversation's retries: the delivery is used as it came.
  degradedStates: ["UseDeliveredReply"],
};

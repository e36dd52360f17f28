import type { FlowAction } from "@leadrelay/functions/flow-spec";

/**
 * What linkedin-replies does: the conversation from LGM (without LGM_API_KEY the delivery is used as
 * it came, so nothing requires it), then the HubSpot contact, deal and note.
 */
export const LINKEDIN_REPLIES_ACTIONS: readonly FlowAction[] = [
  {
    id: "conversation",
    title: "Read the conversation from La Growth Machine",
    vendor: "lgm",
    requires: [],
    states: ["FetchConversation", "UseDeliveredReply"],
    result: "$.reply",
  },
  {
    id: "contact",
    title: "Create or update the HubSpot contact",
    vendor: "hubspot",
    requires: ["HUBSPOT_TOKEN"],
    states: ["UpsertContact"],
    result: "$.contact",
  },
  {
    id: "deal",
    title: "Ensure the campaign's HubSpot deal",
    vendor: "hubspot",
    requires: ["HUBSPOT_TOKEN"],
    states: ["EnsureDeal"],
    result: "$.deal",
  },
  {
    id: "note",
    title: "Add the reply as a HubSpot note",
    vendor: "hubspot",
    requires: ["HUBSPOT_TOKEN"],
    states: ["AddNote"],
    result: "$.note",
  },
];

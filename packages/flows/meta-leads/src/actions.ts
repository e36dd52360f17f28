import type { FlowAction } from "@leadrelay/functions/flow-spec";

/** What meta-leads does: the lead from the Graph API, its membership, an event on the bus. */
export const META_LEADS_ACTIONS: readonly FlowAction[] = [
  {
    id: "fetch-lead",
    title: "Fetch the lead from Meta",
    vendor: "meta",
    requires: ["META_PAGE_ACCESS_TOKEN"],
    states: ["FetchLead"],
    result: "$.fetched",
  },
  {
    id: "membership",
    title: "Check the membership directory",
    vendor: "members",
    requires: ["MEMBERS_BASE_URL"],
    states: ["Categorize"],
    result: "$.categorized",
  },
  {
    id: "publish",
    title: "Publish the lead's event",
    vendor: "events",
    requires: ["EVENT_BUS_NAME"],
    states: ["Publish"],
    result: "$.published",
  },
];

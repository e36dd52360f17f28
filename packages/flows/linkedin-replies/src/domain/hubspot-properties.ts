import type { HubSpotObjectType, HubSpotPropertyDefinition } from "@leadrelay/core";

/**
 * The custom properties this flow writes. HubSpot rejects a write naming a property that does not
 * exist (400 PROPERTY_DOESNT_EXIST), so `pnpm leadrelay hubspot setup` creates them once per portal.
 * Names are a contract with the portal's reports and workflows: never rename one.
 */
export const LINKEDIN_URL_PROPERTY = "leadrelay_linkedin_url";
export const LAST_REPLY_PROPERTY = "leadrelay_last_linkedin_reply";
export const CAMPAIGN_PROPERTY = "leadrelay_lgm_campaign";

export const CUSTOM_PROPERTIES: ReadonlyArray<{
  type: HubSpotObjectType;
  definition: HubSpotPropertyDefinition;
}> = [
  {
    type: "contacts",
    definition: {
      name: LINKEDIN_URL_PROPERTY,
      label: "LinkedIn URL",
      type: "string",
      fieldType: "text",
      groupName: "contactinformation",
      description:
        "The LinkedIn profile, as https://www.linkedin.com/in/<slug> (set by leadrelay; replies without an email are matched on it).",
    },
  },
  {
    type: "contacts",
    definition: {
      name: LAST_REPLY_PROPERTY,
      label: "Last LinkedIn reply",
      type: "datetime",
      fieldType: "date",
      groupName: "contactinformation",
      description: "When the contact last replied to a La Growth Machine sequence (set by leadrelay).",
    },
  },
  {
    type: "deals",
    definition: {
      name: CAMPAIGN_PROPERTY,
      label: "LGM campaign",
      type: "string",
      fieldType: "text",
      groupName: "dealinformation",
      description:
        "The La Growth Machine campaign the deal came from (set by leadrelay; one open deal per contact and campaign).",
    },
  },
];

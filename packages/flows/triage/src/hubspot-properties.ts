import type { HubSpotObjectType, HubSpotPropertyDefinition } from "@leadrelay/core";
import { TRIAGE_LABELS } from "./domain/labels";

/** The property triage writes its label into by default (`HUBSPOT_TRIAGE_PROPERTY` names another). */
export const TRIAGE_LABEL_PROPERTY = "leadrelay_triage_label";

const TITLES: Record<(typeof TRIAGE_LABELS)[number], string> = {
  URGENT_BUYER: "Urgent buyer",
  TIRE_KICKER: "Tire kicker",
  SUPPORT_REQUEST: "Support request",
  SPAM: "Spam",
};

/**
 * The HubSpot properties triage writes (HubSpot rejects a write to an unknown property), created by
 * `pnpm leadrelay hubspot setup` for a team whose TRIAGE_SOURCES includes hubspot. Names and option
 * values are a contract with the portal's reports and workflows: never rename one.
 */
export function triageHubSpotProperties(
  labelProperty = TRIAGE_LABEL_PROPERTY,
): ReadonlyArray<{ type: HubSpotObjectType; definition: HubSpotPropertyDefinition }> {
  return [
    {
      type: "contacts",
      definition: {
        name: labelProperty,
        label: "Triage label",
        type: "enumeration",
        fieldType: "select",
        groupName: "contactinformation",
        description: "What leadrelay's triage made of the contact's first message (set by leadrelay).",
        options: TRIAGE_LABELS.map((value, displayOrder) => ({ label: TITLES[value], value, displayOrder })),
      },
    },
  ];
}

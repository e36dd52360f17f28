import { describe, expect, it } from "vitest";
import { FLOWS, hubspotPropertiesOf } from "../../registry";
import { triageFlow } from "../src/flow";

const names = (settings: Record<string, string | undefined>, flows = [triageFlow]) =>
  hubspotPropertiesOf(flows, settings).map(({ type, definition }) => `${type}/${definition.name}`);

describe("triage's HubSpot property, applied by `hubspot setup` for the chosen flows", () => {
  it("is declared only when TRIAGE_SOURCES includes hubspot", () => {
    expect(names({})).toEqual([]);
    expect(names({ TRIAGE_SOURCES: "close" })).toEqual([]);
    expect(names({ TRIAGE_SOURCES: "close,hubspot" })).toEqual(["contacts/leadrelay_triage_label"]);
    expect(names({ TRIAGE_SOURCES: "hubspot", HUBSPOT_TRIAGE_PROPERTY: "lead_intent" })).toEqual([
      "contacts/lead_intent",
    ]);
  });

  it("is an enumeration of the four labels", () => {
    const [property] = hubspotPropertiesOf([triageFlow], { TRIAGE_SOURCES: "hubspot" });
    expect(property?.definition).toMatchObject({ type: "enumeration", fieldType: "select" });
    expect(property?.definition.options?.map((option) => option.value)).toEqual([
      "URGENT_BUYER",
      "TIRE_KICKER",
      "SUPPORT_REQUEST",
      "SPAM",
    ]);
  });

  it("adds to linkedin-replies' properties when both flows are chosen, each property once", () => {
    const all = names({ TRIAGE_SOURCES: "hubspot" }, [...FLOWS, ...FLOWS]);
    expect(all).toContain("contacts/leadrelay_triage_label");
    expect(all).toContain("contacts/leadrelay_linkedin_url");
    expect(new Set(all).size).toBe(all.length);
  });
});

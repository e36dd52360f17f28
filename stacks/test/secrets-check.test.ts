import { describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { checkSecrets, secretNeeds, secretParameters } from "../secrets-check";

const flow = (id: string) => {
  const found = FLOWS.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no flow ${id}`);
  return found;
};
const context = { app: "leadrelay", stage: "prod" };
/** A fake SSM that has exactly these secrets (for the stage, or as SST's fallback). */
const ssm =
  (set: string[], fallback: string[] = []) =>
  async (names: string[]) =>
    new Set(
      names.filter(
        (name) =>
          set.some((secret) => name === secretParameters("leadrelay", "prod", secret)[0]) ||
          fallback.some((secret) => name === secretParameters("leadrelay", "prod", secret)[1]),
      ),
    );

describe("a deploy's secrets", () => {
  it("announce needs the Close webhook key and the Slack webhook; its email announcement's key is optional", () => {
    const needs = secretNeeds([flow("announce")]);
    expect([...needs.required].sort()).toEqual(["CLOSE_WEBHOOK_SECRET", "SLACK_WEBHOOK_URL"]);
    expect(needs.optional.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(needs.optional.has("SLACK_WEBHOOK_URL")).toBe(false);
  });

  it("triage needs a Close API key; its vendors' credentials are optional (the action is skipped)", () => {
    const needs = secretNeeds([flow("triage")]);
    expect(needs.required.has("CLOSE_API_KEY")).toBe(true);
    expect(needs.optional.has("TWILIO_AUTH_TOKEN")).toBe(true);
    expect(needs.optional.has("LLM_API_KEY")).toBe(true);
  });

  it("TRIAGE_SOURCES: a Close-only team needs nothing new; with hubspot the HubSpot client secret is required", () => {
    expect(secretNeeds([flow("triage")]).required.has("HUBSPOT_CLIENT_SECRET")).toBe(false);
    expect(secretNeeds([flow("triage")], { TRIAGE_SOURCES: "close" }).required).toEqual(
      secretNeeds([flow("triage")]).required,
    );
    const both = secretNeeds([flow("triage")], { TRIAGE_SOURCES: "close,hubspot" });
    expect(both.required.has("HUBSPOT_CLIENT_SECRET")).toBe(true);
    expect(both.required.has("CLOSE_WEBHOOK_SECRET")).toBe(true);
    // Reading and recording a HubSpot contact needs the private app's token; Close's key only with close.
    expect(secretNeeds([flow("triage")]).required.has("HUBSPOT_TOKEN")).toBe(false);
    expect(secretNeeds([flow("triage")]).optional.has("HUBSPOT_TOKEN")).toBe(false);
    expect(both.required.has("HUBSPOT_TOKEN")).toBe(true);
    expect(both.required.has("CLOSE_API_KEY")).toBe(true);
    const hubspotOnly = secretNeeds([flow("triage")], { TRIAGE_SOURCES: "hubspot" });
    expect(hubspotOnly.required.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(hubspotOnly.required.has("CLOSE_API_KEY")).toBe(false);
    expect(hubspotOnly.optional.has("CLOSE_API_KEY")).toBe(false);
    expect(hubspotOnly.required.has("HUBSPOT_TOKEN")).toBe(true);
    expect(() => secretNeeds([flow("triage")], { TRIAGE_SOURCES: "salesforce" })).toThrow(/TRIAGE_SOURCES/);
  });

  it("stops the deploy naming every missing required secret and how to set it", async () => {
    const needs = secretNeeds([flow("announce"), flow("triage")]);
    await expect(checkSecrets(context, needs, ssm(["SLACK_WEBHOOK_URL"]))).rejects.toThrow(
      /need these secrets, which are not set: CLOSE_API_KEY, CLOSE_WEBHOOK_SECRET\. Set each with: pnpm exec sst secrets set <NAME> <value> --stage prod/,
    );
  });

  it("counts SST fallback values, and reports which optional secrets are set (only those get bound)", async () => {
    const needs = secretNeeds([flow("announce"), flow("triage")]);
    const set = await checkSecrets(
      context,
      needs,
      ssm(["CLOSE_WEBHOOK_SECRET", "CLOSE_API_KEY", "TWILIO_AUTH_TOKEN"], ["SLACK_WEBHOOK_URL"]),
    );
    expect(set.has("SLACK_WEBHOOK_URL")).toBe(true);
    expect(set.has("TWILIO_AUTH_TOKEN")).toBe(true);
    expect(set.has("ZENDESK_API_TOKEN")).toBe(false);
  });
});

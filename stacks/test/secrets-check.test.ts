import { describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { afterDeployNotes, checkSecrets, secretNeeds, secretParameters } from "../secrets-check";

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
  it("announce needs the Slack webhook; the Close webhook key comes after the deploy (connect close); its email's key is optional", () => {
    const needs = secretNeeds([flow("announce")]);
    expect([...needs.required].sort()).toEqual(["SLACK_WEBHOOK_URL"]);
    expect([...needs.afterDeploy]).toEqual([["CLOSE_WEBHOOK_SECRET", "pnpm leadrelay connect close"]]);
    expect(needs.optional.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(needs.optional.has("SLACK_WEBHOOK_URL")).toBe(false);
  });

  it("a first deploy without the Close webhook key goes on, saying which command sets it after the deploy", async () => {
    const needs = secretNeeds([flow("announce")]);
    const set = await checkSecrets(context, needs, ssm(["SLACK_WEBHOOK_URL"]));
    expect(set.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(afterDeployNotes("prod", needs, set)).toEqual([
      `NOTE: CLOSE_WEBHOOK_SECRET is not set for stage "prod" yet: after this deploy run 'pnpm leadrelay connect close --stage prod' (it registers the webhook and sets it). Until then that webhook answers 503 and the sender retries.`,
    ]);
    const later = await checkSecrets(context, needs, ssm(["SLACK_WEBHOOK_URL", "CLOSE_WEBHOOK_SECRET"]));
    expect(afterDeployNotes("prod", needs, later)).toEqual([]);
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
    expect(both.afterDeploy.has("CLOSE_WEBHOOK_SECRET")).toBe(true);
    // Reading and recording a HubSpot contact needs the private app's token; Close's key only with close.
    expect(secretNeeds([flow("triage")]).required.has("HUBSPOT_TOKEN")).toBe(false);
    expect(secretNeeds([flow("triage")]).optional.has("HUBSPOT_TOKEN")).toBe(false);
    expect(both.required.has("HUBSPOT_TOKEN")).toBe(true);
    expect(both.required.has("CLOSE_API_KEY")).toBe(true);
    const hubspotOnly = secretNeeds([flow("triage")], { TRIAGE_SOURCES: "hubspot" });
    expect(hubspotOnly.afterDeploy.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(hubspotOnly.required.has("CLOSE_WEBHOOK_SECRET")).toBe(false);
    expect(hubspotOnly.required.has("CLOSE_API_KEY")).toBe(false);
    expect(hubspotOnly.optional.has("CLOSE_API_KEY")).toBe(false);
    expect(hubspotOnly.required.has("HUBSPOT_TOKEN")).toBe(true);
    expect(() => secretNeeds([flow("triage")], { TRIAGE_SOURCES: "salesforce" })).toThrow(/TRIAGE_SOURCES/);
  });

  it("stops the deploy naming every missing required secret and how to set it", async () => {
    const needs = secretNeeds([flow("announce"), flow("triage")]);
    await expect(checkSecrets(context, needs, ssm(["SLACK_WEBHOOK_URL"]))).rejects.toThrow(
      /need these secrets, which are not set: CLOSE_API_KEY\. Set each with: pnpm exec sst secrets set <NAME> <value> --stage prod/,
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

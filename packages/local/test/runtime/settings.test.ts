import { describe, expect, it } from "vitest";
import { numberSetting, runtimeSettings } from "../../src/runtime/settings";

describe("the settings a runtime starts from", () => {
  it("takes the environment without its empty values", () => {
    const settings = runtimeSettings({
      port: 0,
      dataDir: "/nowhere",
      env: { TRIAGE_ACTIONS: "slack", SLACK_WEBHOOK_URL: "", LEAD_WAIT_SECONDS: "30" },
    });
    expect(settings).toEqual({ TRIAGE_ACTIONS: "slack", LEAD_WAIT_SECONDS: "30" });
  });

  it("lets a shorthand option win over its variable, and counts an empty one as unset", () => {
    const settings = runtimeSettings({
      port: 0,
      dataDir: "/nowhere",
      env: { LEAD_WAIT_SECONDS: "600", OWNER_BASE_URL: "https://owners.example", LEADRELAY_FLOWS: "triage" },
      waitSeconds: 0,
      notifyUnassigned: false,
      ownerBaseUrl: "",
      flows: "announce,triage",
      secretHex: "abcd",
    });
    expect(settings).toMatchObject({
      LEAD_WAIT_SECONDS: "0",
      NOTIFY_UNASSIGNED: "false",
      OWNER_BASE_URL: "https://owners.example",
      LEADRELAY_FLOWS: "announce,triage",
      CLOSE_WEBHOOK_SECRET: "abcd",
    });
  });

  it("reads a number setting, unset when empty", () => {
    expect(numberSetting("250")).toBe(250);
    expect(numberSetting("")).toBeUndefined();
    expect(numberSetting(undefined)).toBeUndefined();
  });
});

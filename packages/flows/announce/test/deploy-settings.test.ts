import { describe, expect, it } from "vitest";
import { DeploySettingsError, PLACEHOLDER_OWNER_BASE_URL, readDeploySettings } from "../src/deploy-settings";

describe("deploy-time settings", () => {
  it("reads the owner URL and the hold time from the deploying shell", () => {
    expect(
      readDeploySettings("prod", "deploy", {
        OWNER_BASE_URL: "https://owners.example.com/leads/",
        LEAD_WAIT_SECONDS: "900",
      }),
    ).toEqual({ ownerBaseUrl: "https://owners.example.com/leads", waitSeconds: 900, notifyUnassigned: true });
  });

  it("holds leads 600 s unless told otherwise", () => {
    expect(
      readDeploySettings("prod", "deploy", { OWNER_BASE_URL: "https://owners.example.com" }).waitSeconds,
    ).toBe(600);
    expect(
      readDeploySettings("prod", "deploy", {
        OWNER_BASE_URL: "https://owners.example.com",
        LEAD_WAIT_SECONDS: "",
      }).waitSeconds,
    ).toBe(600);
  });

  it("stops a real deploy without OWNER_BASE_URL, naming the variable and the stage", () => {
    expect(() => readDeploySettings("prod", "deploy", {})).toThrow(DeploySettingsError);
    expect(() => readDeploySettings("prod", "deploy", {})).toThrow(
      /OWNER_BASE_URL must be set when deploying stage "prod"/,
    );
    expect(() => readDeploySettings("dev", "dev", { OWNER_BASE_URL: " " })).toThrow(
      /OWNER_BASE_URL must be set/,
    );
  });

  it("lets the offline test stage synthesize, and any stage be removed, without one", () => {
    expect(readDeploySettings("test", "deploy", {}).ownerBaseUrl).toBe(PLACEHOLDER_OWNER_BASE_URL);
    expect(readDeploySettings("prod", "remove", {}).ownerBaseUrl).toBe(PLACEHOLDER_OWNER_BASE_URL);
  });

  it.each([
    ["not a URL", { OWNER_BASE_URL: "owners" }, /OWNER_BASE_URL is not a URL/],
    ["plain http", { OWNER_BASE_URL: "http://owners.example.com" }, /OWNER_BASE_URL must use https/],
    ["a fraction of a second", { LEAD_WAIT_SECONDS: "1.5" }, /LEAD_WAIT_SECONDS must be a whole number/],
    ["a negative hold", { LEAD_WAIT_SECONDS: "-1" }, /LEAD_WAIT_SECONDS/],
    ["more than a year", { LEAD_WAIT_SECONDS: "31536001" }, /LEAD_WAIT_SECONDS/],
    ["words", { LEAD_WAIT_SECONDS: "ten minutes" }, /LEAD_WAIT_SECONDS/],
  ])("rejects %s", (_, env, message) => {
    expect(() =>
      readDeploySettings("prod", "deploy", { OWNER_BASE_URL: "https://owners.example.com", ...env }),
    ).toThrow(message);
  });

  it("reads NOTIFY_UNASSIGNED as true/false and refuses anything else", () => {
    const deploy = (value: string) =>
      readDeploySettings("prod", "deploy", {
        OWNER_BASE_URL: "https://owners.example.com",
        NOTIFY_UNASSIGNED: value,
      });
    expect(deploy("false").notifyUnassigned).toBe(false);
    expect(deploy("0").notifyUnassigned).toBe(false);
    expect(deploy("TRUE").notifyUnassigned).toBe(true);
    expect(deploy("").notifyUnassigned).toBe(true);
    expect(() => deploy("sometimes")).toThrow(/NOTIFY_UNASSIGNED must be true or false/);
  });
});

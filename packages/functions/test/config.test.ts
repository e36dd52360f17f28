import { describe, expect, it } from "vitest";
import { ConfigError, type EnvName, readConfig } from "../src/config";

const ALL: EnvName[] = [
  "BUCKET_NAME",
  "STATE_MACHINE_ARN",
  "CLOSE_WEBHOOK_SECRET",
  "SLACK_WEBHOOK_URL",
  "OWNER_BASE_URL",
  "LEAD_WAIT_SECONDS",
  "NOTIFY_UNASSIGNED",
  "HTTP_TIMEOUT_MS",
];

const GOOD = {
  BUCKET_NAME: "leadrelay-test-bucket",
  STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:lead-pipeline",
  CLOSE_WEBHOOK_SECRET: "5f0c1d2e3a4b5c6d7e8f9011",
  SLACK_WEBHOOK_URL: "https://hooks.slack.com/services/T000/B000/XXXX",
  OWNER_BASE_URL: "https://owners.example/files/",
};

function errorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("readConfig did not throw");
}

describe("readConfig", () => {
  it("parses good values and applies the defaults", () => {
    expect(readConfig(ALL, GOOD)).toEqual({
      ...GOOD,
      OWNER_BASE_URL: "https://owners.example/files",
      LEAD_WAIT_SECONDS: 600,
      NOTIFY_UNASSIGNED: true,
      HTTP_TIMEOUT_MS: 8_000,
    });
  });

  it("coerces numbers and booleans from strings", () => {
    const config = readConfig(["LEAD_WAIT_SECONDS", "NOTIFY_UNASSIGNED", "HTTP_TIMEOUT_MS"], {
      LEAD_WAIT_SECONDS: "0",
      NOTIFY_UNASSIGNED: "0",
      HTTP_TIMEOUT_MS: "1500",
    });
    expect(config).toEqual({ LEAD_WAIT_SECONDS: 0, NOTIFY_UNASSIGNED: false, HTTP_TIMEOUT_MS: 1500 });
    expect(readConfig(["NOTIFY_UNASSIGNED"], { NOTIFY_UNASSIGNED: "false" }).NOTIFY_UNASSIGNED).toBe(false);
    expect(readConfig(["NOTIFY_UNASSIGNED"], { NOTIFY_UNASSIGNED: "1" }).NOTIFY_UNASSIGNED).toBe(true);
  });

  it("reads only the variables asked for", () => {
    expect(readConfig(["BUCKET_NAME"], { BUCKET_NAME: "b", SLACK_WEBHOOK_URL: "not a url" })).toEqual({
      BUCKET_NAME: "b",
    });
  });

  it("throws one ConfigError naming every bad variable, and none of the good ones", () => {
    const error = errorOf(() =>
      readConfig(ALL, {
        BUCKET_NAME: "leadrelay-test-bucket",
        STATE_MACHINE_ARN: "lead-pipeline",
        CLOSE_WEBHOOK_SECRET: "not-hex",
        SLACK_WEBHOOK_URL: "hooks.slack.com/services",
        OWNER_BASE_URL: "https://owners.example",
        LEAD_WAIT_SECONDS: "ten minutes",
        NOTIFY_UNASSIGNED: "yes",
        HTTP_TIMEOUT_MS: "5",
      }),
    );
    expect(error.name).toBe("ConfigError");
    for (const name of [
      "STATE_MACHINE_ARN",
      "CLOSE_WEBHOOK_SECRET",
      "SLACK_WEBHOOK_URL",
      "LEAD_WAIT_SECONDS",
      "NOTIFY_UNASSIGNED",
      "HTTP_TIMEOUT_MS",
    ]) {
      expect(error.message).toContain(name);
    }
    expect(error.message).not.toContain("BUCKET_NAME");
    expect(error.message).not.toContain("OWNER_BASE_URL");
    expect(error.message).toContain("must be true or false");
    expect(error.message).toContain("must be the hex signature key from Close");
  });

  it("treats missing and empty required variables alike", () => {
    const error = errorOf(() =>
      readConfig(["BUCKET_NAME", "CLOSE_WEBHOOK_SECRET", "SLACK_WEBHOOK_URL"], { BUCKET_NAME: "" }),
    );
    expect(error.message).toMatch(/BUCKET_NAME/);
    expect(error.message).toMatch(/CLOSE_WEBHOOK_SECRET/);
    expect(error.message).toMatch(/SLACK_WEBHOOK_URL/);
  });

  it("uses the default for an empty optional variable", () => {
    expect(readConfig(["LEAD_WAIT_SECONDS"], { LEAD_WAIT_SECONDS: "" })).toEqual({ LEAD_WAIT_SECONDS: 600 });
  });

  it("does not echo secret values in its message", () => {
    const error = errorOf(() =>
      readConfig(["CLOSE_WEBHOOK_SECRET"], { CLOSE_WEBHOOK_SECRET: "hunter2-not-hex" }),
    );
    expect(error.message).not.toContain("hunter2");
  });
});

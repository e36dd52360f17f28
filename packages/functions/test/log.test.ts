import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, redact } from "../src/log";

const SECRET = "5f0c1d2e3a4b5c6d7e8f90112233445566778899aabbccddeeff001122334455";
const SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXSECRET";

function capture(level = "debug") {
  const lines: string[] = [];
  const log = createLogger("test", { level, write: (line) => lines.push(line) });
  return { log, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}

describe("logger redaction", () => {
  it("redacts secrets by key, at any depth and in arrays", () => {
    const { log, lines, parsed } = capture();
    log.info("config", {
      CLOSE_WEBHOOK_SECRET: SECRET,
      SLACK_WEBHOOK_URL: SLACK_URL,
      headers: {
        "close-sig-hash": "abcdef0123",
        authorization: "Bearer t0k3n",
        "content-type": "application/json",
      },
      nested: {
        deeper: [{ slackWebhookUrl: SLACK_URL, password: "p4ss", apiToken: "tok", leadId: "lead_a" }],
      },
      signature: "abcdef0123",
      awsCredentials: { accessKeyId: "AKIA" },
    });

    const line = lines.join("\n");
    for (const secret of [SECRET, SLACK_URL, "abcdef0123", "t0k3n", "p4ss", "AKIA"])
      expect(line).not.toContain(secret);
    const [entry] = parsed();
    expect(entry).toMatchObject({
      level: "info",
      service: "test",
      message: "config",
      CLOSE_WEBHOOK_SECRET: "[redacted]",
      SLACK_WEBHOOK_URL: "[redacted]",
      headers: {
        "close-sig-hash": "[redacted]",
        authorization: "[redacted]",
        "content-type": "application/json",
      },
      nested: { deeper: [{ slackWebhookUrl: "[redacted]", password: "[redacted]", leadId: "lead_a" }] },
    });
    expect(typeof entry?.time).toBe("string");
  });

  it("writes errors as name and message only", () => {
    const error = Object.assign(new Error("boom"), { secretStuff: SECRET });
    expect(redact({ error })).toEqual({ error: { name: "Error", message: "boom" } });
  });

  it("keeps plain values and stops at a depth limit instead of recursing forever", () => {
    expect(redact("text")).toBe("text");
    expect(redact(null)).toBeNull();
    const cyclic: Record<string, unknown> = { leadId: "lead_a" };
    cyclic.self = cyclic;
    expect(() => redact(cyclic)).not.toThrow();
  });
});

describe("logger levels", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("drops lines below the level", () => {
    const { log, parsed } = capture("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(parsed().map((entry) => entry.level)).toEqual(["warn", "error"]);
  });

  it("LOG_LEVEL=silent turns logs off", () => {
    vi.stubEnv("LOG_LEVEL", "silent");
    const lines: string[] = [];
    const log = createLogger("test", { write: (line) => lines.push(line) });
    log.error("e");
    expect(lines).toEqual([]);
  });

  it("an unknown level falls back to info", () => {
    const { log, parsed } = capture("verbose");
    log.debug("d");
    log.info("i");
    expect(parsed().map((entry) => entry.message)).toEqual(["i"]);
  });
});

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startVendorServer, type VendorServer } from "../../functions/test/adapters/vendor-server";
import type { Runtime } from "../src/runtime";
import { runSmoke, type SmokeTarget } from "../src/smoke";
import { runCli, startTestRuntime, tempDir } from "./harness";

/** `pnpm leadrelay smoke …` against the runtime of this test; its verify token read from the data dir. */
const smoke = (dataDir: string, ...args: string[]) =>
  runCli(["smoke", ...args], { LEADRELAY_DATA_DIR: dataDir, META_VERIFY_TOKEN: "" });

describe("leadrelay smoke against the local runtime", () => {
  let runtime: Runtime;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = tempDir();
    runtime = await startTestRuntime({ dataDir });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
  });

  async function executions(): Promise<number> {
    let count = 0;
    for (const engine of Object.values(runtime.engines)) {
      count += engine.listExecutions({ stateMachineArn: engine.stateMachineArn }).executions.length;
    }
    return count;
  }

  it("checks every source, sends one alert marked TEST, and creates nothing", async () => {
    const folder = dataDir;
    const before = runtime.slackMessages.length;
    const { code, stdout } = await smoke(folder, "--alert-test");
    expect(stdout).toMatch(/ok\s+close: wrong signature\s+401/);
    expect(stdout).toMatch(/ok\s+crm: wrong API key\s+401/);
    // The verify token the runtime generated, read from its data folder.
    expect(stdout).toMatch(/ok\s+meta: subscription handshake\s+200, the challenge echoed/);
    expect(stdout).toMatch(/ok\s+meta: wrong signature\s+401/);
    expect(stdout).toMatch(/ok\s+lgm: path without the token\s+404/);
    // Doctor ran first, against the runtime's stand-ins: nothing broken.
    expect(stdout).toMatch(/ok\s+doctor\s+\d+ ok, \d+ skipped, 0 broken/);
    expect(stdout.indexOf("doctor")).toBeLessThan(stdout.indexOf("close: wrong signature"));
    expect(stdout).toMatch(/ok\s+alert: test alert\s+TEST-smoke-\S+: Slack sent/);
    expect(stdout).toContain("smoke: passed");
    expect(code).toBe(0);

    const alerts = runtime.slackMessages.slice(before);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.message.text).toMatch(/TEST-smoke-.*\(TEST\)/);
    // No lead, no execution started, failed or otherwise; nothing accepted (202) by any source: only the handshake has a 200.
    expect(await executions()).toBe(0);
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/leadrelay_webhooks_total\{[^}]*status="401"[^}]*\} [1-9]/);
    expect(metrics).not.toMatch(/leadrelay_webhooks_total\{[^}]*status="20[12]"[^}]*\} [1-9]/);
    // The vendors heard only doctor's reads (HubSpot's token info is a POST that changes nothing).
    for (const slug of ["twilio", "brevo", "zendesk", "hubspot", "close", "meta", "lgm", "llm"]) {
      const writes = (runtime.standIns[slug]?.requests() ?? []).filter(
        (request) => request.method !== "GET" && !request.path.endsWith("/access-token-info"),
      );
      expect(writes.map((request) => `${slug} ${request.method} ${request.path}`)).toEqual([]);
    }
  }, 120_000);

  it("without --alert-test sends no alert; a bad option is a usage error (exit 2)", async () => {
    const folder = dataDir;
    const before = runtime.slackMessages.length;
    const { code, stdout } = await smoke(folder);
    expect(code).toBe(0);
    expect(stdout).not.toContain("alert: test alert");
    expect(runtime.slackMessages.length).toBe(before);
    const usage = await smoke(folder, "--stgae", "prod");
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("leadrelay smoke [--stage X] [--alert-test]");
  }, 120_000);
});

describe("smoke against a runtime whose Twilio credentials are refused", () => {
  let runtime: Runtime;
  let dataDir: string;
  let twilio: VendorServer;

  beforeAll(async () => {
    twilio = await startVendorServer(() => ({
      status: 401,
      json: { code: 20003, message: "Authenticate", status: 401 },
    }));
    dataDir = tempDir();
    runtime = await startTestRuntime({
      dataDir,
      flows: "announce,triage",
      env: {
        TWILIO_BASE_URL: twilio.url,
        TWILIO_ACCOUNT_SID: `AC${"7".repeat(32)}`,
        TWILIO_AUTH_TOKEN: "refused-token",
        TWILIO_FROM: "+15550100000",
      },
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await twilio?.close();
  });

  it("stops with doctor's finding and sends nothing to the stage, not even with --alert-test", async () => {
    const before = runtime.slackMessages.length;
    const { code, stdout } = await runCli(["smoke", "--alert-test"], {
      LEADRELAY_DATA_DIR: dataDir,
      TWILIO_AUTH_TOKEN: "refused-token",
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/failed\s+doctor\s+\d+ ok, \d+ skipped, 1 broken/);
    expect(stdout).toMatch(
      /failed\s+doctor: triage sms\s+twilio: Twilio refused the credentials.*\(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN/,
    );
    expect(stdout).toContain("smoke: FAILED at doctor — nothing was sent to the stage");
    expect(stdout).not.toContain("wrong signature");
    expect(stdout).not.toContain("refused-token");
    // No webhook request reached the runtime, no alert was sent.
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).not.toMatch(/leadrelay_webhooks_total\{[^}]*\} [1-9]/);
    expect(runtime.slackMessages.length).toBe(before);
  }, 120_000);
});

describe("smoke's verdicts", () => {
  it("fails a source that accepts a delivery with a wrong signature, and one that does not answer", async () => {
    // A server that accepts anything: the state a source with no signature check would be in.
    const server = createServer((_req, res) => {
      res.writeHead(202, { "content-type": "application/json" }).end('{"status":"accepted"}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const target: SmokeTarget = {
        where: "a test server",
        webhooks: { close: `${url}/webhook/close`, crm: "http://127.0.0.1:9/webhook/crm" },
        secret: async () => undefined,
        flows: [{ id: "announce", stateMachineArn: "arn:aws:states:us-east-1:000000000000:stateMachine:x" }],
        region: "us-east-1",
        invokeAlert: async () => ({ status: "ignored", reason: "test" }),
      };
      const checks = await runSmoke(target, { alertTest: true });
      expect(checks.find((check) => check.check === "close: wrong signature")).toMatchObject({
        status: "failed",
        detail: "expected 401 for a delivery signed with another key, got 202",
      });
      expect(checks.find((check) => check.check === "crm: wrong API key")?.status).toBe("failed");
      expect(checks.find((check) => check.check === "alert: test alert")).toMatchObject({
        status: "failed",
        detail: "ignored: test",
      });
    } finally {
      server.close();
    }
  });
});

import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLOWS, hubspotPropertiesOf } from "../../flows/registry";
import { startVendorServer, type VendorServer } from "../../functions/test/adapters/vendor-server";
import { runConnect } from "../src/cli-connect";
import { formatReport, runDoctor } from "../src/cli-doctor";
import type { DoctorReport } from "../src/doctor";
import type { Runtime } from "../src/runtime";
import { type SendsCommands, stageSecrets } from "../src/stage-secrets";
import { runCli, startTestRuntime, tempDir } from "./harness";

/**
 * `leadrelay doctor` against a running local runtime (its settings endpoint, its stand-ins) and
 * against a stage (outputs file, SST secrets over a fake SSM), with a loopback vendor for the failures.
 */

const TWILIO_TOKEN = "twilio-real-token-never-printed";
const SID = `AC${"7".repeat(32)}`;

async function withDataDir<T>(dataDir: string, run: () => Promise<T>): Promise<T> {
  const previous = process.env.LEADRELAY_DATA_DIR;
  process.env.LEADRELAY_DATA_DIR = dataDir;
  try {
    return await run();
  } finally {
    process.env.LEADRELAY_DATA_DIR = previous;
  }
}

async function doctor(dataDir: string, args: string[], env: Record<string, string> = {}) {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await withDataDir(dataDir, () =>
    runDoctor(args, {
      env: { LEADRELAY_DATA_DIR: dataDir, ...env },
      out: (line) => lines.push(line),
      err: (line) => errors.push(line),
      timeoutMs: 2_000,
    }),
  );
  return { code, out: lines.join("\n"), err: errors.join("\n") };
}

const actionsOf = (report: DoctorReport, flow: string) =>
  Object.fromEntries(
    (report.flows.find((entry) => entry.flow === flow)?.actions ?? []).map((a) => [a.action, a]),
  );

describe("doctor against the local runtime and its stand-ins", () => {
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-doctor-");
    runtime = await startTestRuntime({
      dataDir,
      // A key given to the runtime only (this test's doctor shell lacks it): reported as not verified.
      // Triage from both CRMs: every action of every flow is part of this runtime.
      env: {
        TRIAGE_ACTIONS: "sms,slack,email,ticket,crm",
        CLOSE_API_KEY: "runtime-only-close-key",
        TRIAGE_SOURCES: "close,hubspot",
      },
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 0 and lists every action of every flow, each stand-in answering its check", async () => {
    const result = await doctor(dataDir, ["--json"]);
    expect(result.err).toBe("");
    const report = JSON.parse(result.out) as DoctorReport;
    expect(result.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.flows.map((flow) => flow.flow)).toEqual(FLOWS.map((flow) => flow.id));
    for (const flow of FLOWS) {
      expect(report.flows.find((entry) => entry.flow === flow.id)?.actions.map((a) => a.action)).toEqual(
        flow.actions.map((action) => action.id),
      );
    }
    const statuses = report.flows.flatMap((flow) =>
      flow.actions.map((a) => `${flow.flow}/${a.action}=${a.status}`),
    );
    // Only announce's email is off (ANNOUNCE_EMAIL_TO unset); everything else answered its read.
    expect(statuses.filter((entry) => !entry.endsWith("=ok"))).toEqual(["announce/email=skipped"]);
    expect(actionsOf(report, "triage").sms?.reason).toContain("twilio (stand-in)");
    expect(actionsOf(report, "meta-leads")["fetch-lead"]?.reason).toContain("lead access granted");
    expect(actionsOf(report, "meta-leads").publish?.reason).toContain("bus leadrelay-local");
    expect(actionsOf(report, "triage")["read-lead"]).toMatchObject({
      status: "ok",
      variables: ["CLOSE_API_KEY"],
    });
    expect(actionsOf(report, "triage")["read-lead"]?.reason).toContain("not verified");
    expect(result.out).not.toContain("runtime-only-close-key");
    // A fresh HubSpot stand-in holds what linkedin-replies writes, as a portal after `connect hubspot`.
    const declared = hubspotPropertiesOf(FLOWS, runtime.settings).length;
    expect(declared).toBeGreaterThanOrEqual(3);
    expect(actionsOf(report, "linkedin-replies").contact?.reason).toMatch(
      new RegExp(`hubspot \\(stand-in\\): portal \\d+ \\(DEVELOPER_TEST\\), ${declared} properties present`),
    );
  });

  it("runs as `pnpm leadrelay doctor` on a fresh runtime with stand-ins only and exits 0", async () => {
    const { code, stdout, stderr } = await runCli(["doctor"], { LEADRELAY_DATA_DIR: dataDir });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    for (const flow of FLOWS)
      for (const action of flow.actions)
        expect(stdout).toMatch(new RegExp(`^${flow.id}\\s+${action.id}\\s+(ok|skipped)\\s`, "m"));
    expect(stdout).toMatch(/^\d+ ok, 1 skipped, 0 broken$/m);
  }, 60_000);

  it("an archived HubSpot property is broken, named with the command that creates it; connect hubspot mends it", async () => {
    const archive = await fetch(
      `${runtime.url}/_local/hubspot/crm/v3/properties/deals/leadrelay_lgm_campaign`,
      { method: "DELETE", headers: { authorization: "Bearer local-hubspot-token" } },
    );
    expect(archive.status).toBe(204);
    const broken = await doctor(dataDir, ["--json"]);
    expect(broken.code).toBe(1);
    const contact = actionsOf(JSON.parse(broken.out) as DoctorReport, "linkedin-replies").contact;
    expect(contact?.status).toBe("broken");
    expect(contact?.reason).toContain("missing properties deals.leadrelay_lgm_campaign");
    expect(contact?.reason).toContain("connect hubspot");

    const lines: string[] = [];
    const setup = await withDataDir(dataDir, () =>
      runConnect(["hubspot"], {
        env: { LEADRELAY_DATA_DIR: dataDir },
        out: (line) => lines.push(line),
        err: () => {},
      }),
    );
    expect(setup).toBe(0);
    expect(lines.join("\n")).toMatch(/deals\s+leadrelay_lgm_campaign\s+created/);
    expect(lines.join("\n")).toMatch(/contacts\s+leadrelay_linkedin_url\s+exists/);
    expect((await doctor(dataDir, [])).code).toBe(0);
  });

  it("prints a table (no colour unless asked) whose rows name flow, action, status and reason", async () => {
    const result = await doctor(dataDir, []);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^FLOW\s+ACTION\s+STATUS\s+REASON$/m);
    expect(result.out).toMatch(/^triage\s+sms\s+ok\s+twilio \(stand-in\)/m);
    expect(result.out).not.toContain("\u001b[");
    const report: DoctorReport = {
      ok: false,
      flows: [
        { flow: "triage", actions: [{ action: "sms", status: "broken", reason: "x", variables: ["A"] }] },
      ],
    };
    expect(formatReport(report, true).join("\n")).toContain("\u001b[31mbroken");
    expect(formatReport(report, false).join("\n")).not.toContain("\u001b[");
  });

  it("the runtime's settings endpoint names its secrets without their values", async () => {
    const view = (await (await fetch(`${runtime.url}/_leadrelay/settings`)).json()) as Record<
      string,
      unknown
    >;
    const text = JSON.stringify(view);
    expect(view.secretsSet).toContain("CLOSE_WEBHOOK_SECRET");
    expect(text).not.toContain(runtime.secretHex);
    expect(text).not.toContain("PATH");
    expect((view.settings as Record<string, string>).TRIAGE_ACTIONS).toBe("sms,slack,email,ticket,crm");
  });

  it("usage errors exit 2", async () => {
    expect((await doctor(dataDir, ["--nope"])).code).toBe(2);
    expect((await doctor(dataDir, ["extra"])).code).toBe(2);
  });
});

describe("doctor with a real-looking Twilio that refuses the credentials", () => {
  let dataDir: string;
  let runtime: Runtime;
  let twilio: VendorServer;

  beforeAll(async () => {
    twilio = await startVendorServer(() => ({
      status: 401,
      json: {
        code: 20003,
        message: "Authenticate",
        more_info: "https://www.twilio.com/docs/errors/20003",
        status: 401,
      },
    }));
    dataDir = tempDir("leadrelay-doctor-twilio-");
    runtime = await startTestRuntime({
      dataDir,
      flows: "triage",
      env: {
        TWILIO_BASE_URL: twilio.url,
        TWILIO_ACCOUNT_SID: SID,
        TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
        TWILIO_FROM: "+15550100000",
        TRIAGE_ACTIONS: "sms,slack,crm",
        ZENDESK_BASE_URL: "https://acme.zendesk.test",
      },
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await twilio?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("exits 1 naming TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN on the sms action; --json has it broken", async () => {
    const env = { TWILIO_AUTH_TOKEN: TWILIO_TOKEN };
    const table = await doctor(dataDir, [], env);
    expect(table.code).toBe(1);
    expect(table.out).toMatch(
      /^triage\s+sms\s+broken\s+twilio: Twilio refused the credentials .*code 20003/m,
    );
    expect(table.out).toContain("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN");

    const json = await doctor(dataDir, ["--json"], env);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.out) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(actionsOf(report, "triage").sms).toMatchObject({ action: "sms", status: "broken" });
    expect(actionsOf(report, "triage").sms?.variables.slice(0, 2)).toEqual([
      "TWILIO_ACCOUNT_SID",
      "TWILIO_AUTH_TOKEN",
    ]);
    // Not in TRIAGE_ACTIONS: skipped naming the setting; nothing else broken.
    expect(actionsOf(report, "triage").email).toMatchObject({
      status: "skipped",
      variables: ["TRIAGE_ACTIONS"],
    });
    expect(actionsOf(report, "triage").slack?.status).toBe("ok");
    expect(json.out).not.toContain(TWILIO_TOKEN);
    expect(table.out).not.toContain(TWILIO_TOKEN);
    expect(twilio.requests.map((request) => `${request.method} ${request.url}`)).toContain(
      `GET /2010-04-01/Accounts/${SID}.json`,
    );
  });

  it("without ON_CALL_PHONE the sms action would be skipped, but its configured credentials are still checked", async () => {
    const result = await doctor(dataDir, ["--json"], { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
    const sms = actionsOf(JSON.parse(result.out) as DoctorReport, "triage").sms;
    expect(sms?.variables).toContain("ON_CALL_PHONE");
    expect(sms?.reason).toContain("also ON_CALL_PHONE is not set");
  });

  it("runs as `pnpm leadrelay doctor` and exits 1, naming the variables and the action (the CLI's dispatch)", async () => {
    const env = { LEADRELAY_DATA_DIR: dataDir, TWILIO_AUTH_TOKEN: TWILIO_TOKEN };
    const table = await runCli(["doctor"], env);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/^triage\s+sms\s+broken\s+twilio: Twilio refused the credentials/m);
    expect(table.stdout).toMatch(
      /1 broken — fix the variables named above \(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN/,
    );
    expect(table.stdout).not.toContain(TWILIO_TOKEN);
    const json = await runCli(["doctor", "--json"], env);
    expect(json.code).toBe(1);
    const sms = actionsOf(JSON.parse(json.stdout) as DoctorReport, "triage").sms;
    expect(sms).toMatchObject({ status: "broken" });
    expect(sms?.variables).toEqual(expect.arrayContaining(["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]));
  }, 90_000);
});

describe("doctor --stage (outputs file, SST secrets over a fake SSM)", () => {
  let dataDir: string;
  let vendor: VendorServer;
  const parameters = new Map<string, string>();
  const ssm: SendsCommands = {
    async send(command) {
      const { Names } = (command as { input: { Names: string[] } }).input;
      return {
        Parameters: Names.filter((name) => parameters.has(name)).map((Name) => ({
          Name,
          Value: parameters.get(Name),
        })),
      };
    },
  };

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-doctor-stage-");
    vendor = await startVendorServer((request) =>
      request.url.startsWith("/api/v1/me/")
        ? { status: 401, json: { error: "The API key is invalid." } }
        : { status: 200, json: {} },
    );
    writeFileSync(
      join(dataDir, "outputs.json"),
      JSON.stringify({
        "prod-leadrelay-Flows": {
          StateMachineArnAnnounce:
            "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-leadrelay-announce",
          StateMachineArnTriage: "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-leadrelay-triage",
        },
      }),
    );
    parameters.set(
      "/sst/leadrelay/.fallback/Secret/SLACK_WEBHOOK_URL/value",
      "https://hooks.slack.test/services/T/B/x",
    );
    parameters.set("/sst/leadrelay/prod/Secret/CLOSE_API_KEY/value", "stage-close-key");
  });
  afterAll(async () => {
    await vendor?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("checks the deployed flows with the stage's secrets (its own, else .fallback) and names what is missing", async () => {
    const result = await withDataDir(dataDir, () => {
      const lines: string[] = [];
      return runDoctor(["--stage", "prod", "--json", "--outputs", join(dataDir, "outputs.json")], {
        env: {
          CLOSE_API_BASE_URL: `${vendor.url}/api/v1`,
          OWNER_BASE_URL: vendor.url,
          // A shell value of a secret is not what the stage runs with: SSM's is.
          CLOSE_API_KEY: "shell-key",
        },
        out: (line) => lines.push(line),
        err: (line) => lines.push(line),
        stageSecrets: (app, stage) => stageSecrets({ app, stage, ssm }),
        timeoutMs: 2_000,
      }).then((code) => ({ code, out: lines.join("\n") }));
    });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as DoctorReport;
    expect(report.flows.map((flow) => flow.flow)).toEqual(["announce", "triage"]);
    expect(actionsOf(report, "announce").slack).toMatchObject({ status: "ok" });
    expect(actionsOf(report, "announce").owner).toMatchObject({ status: "ok" });
    expect(actionsOf(report, "triage")["read-lead"]).toMatchObject({
      status: "broken",
      variables: ["CLOSE_API_KEY"],
    });
    // A Close-only stage (no TRIAGE_SOURCES): triage's HubSpot actions are not part of it.
    expect(actionsOf(report, "triage")["read-contact"]).toBeUndefined();
    expect(actionsOf(report, "triage")["crm-hubspot"]).toBeUndefined();
    expect(actionsOf(report, "triage").sms).toMatchObject({
      status: "skipped",
      variables: ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "ON_CALL_PHONE"],
    });
    // No Brevo key: email goes through SES, which needs EMAIL_FROM.
    expect(actionsOf(report, "triage").email).toMatchObject({ status: "skipped", variables: ["EMAIL_FROM"] });
    const me = vendor.requests.find((request) => request.url.startsWith("/api/v1/me/"));
    expect(me?.headers.authorization).toBe(`Basic ${Buffer.from("stage-close-key:").toString("base64")}`);
    // Deployed without Close's webhook key: its webhook answers 503 until connect close sets it.
    for (const flow of ["announce", "triage"]) {
      expect(actionsOf(report, flow)["close webhook"]).toEqual({
        action: "close webhook",
        status: "broken",
        reason:
          "CLOSE_WEBHOOK_SECRET is not set: every delivery is answered 503 (the sender retries) — fix: run 'pnpm leadrelay connect close --stage prod'",
        variables: ["CLOSE_WEBHOOK_SECRET"],
      });
    }
  });

  it("before the first deploy the missing Close webhook key is expected: skipped, naming the command for after it", async () => {
    const result = await withDataDir(dataDir, () => {
      const lines: string[] = [];
      return runDoctor(["--stage", "prod", "--json", "--outputs", join(dataDir, "no-outputs.json")], {
        env: { OWNER_BASE_URL: vendor.url, LEADRELAY_FLOWS: "announce" },
        out: (line) => lines.push(line),
        err: (line) => lines.push(line),
        stageSecrets: (app, stage) => stageSecrets({ app, stage, ssm }),
        timeoutMs: 2_000,
      }).then((code) => ({ code, out: lines.join("\n") }));
    });
    const report = JSON.parse(result.out) as DoctorReport;
    expect(actionsOf(report, "announce")["close webhook"]).toMatchObject({
      status: "skipped",
      variables: ["CLOSE_WEBHOOK_SECRET"],
    });
    expect(actionsOf(report, "announce")["close webhook"]?.reason).toContain(
      "after the first deploy run 'pnpm leadrelay connect close --stage prod'",
    );
    expect(result.code).toBe(0);

    parameters.set("/sst/leadrelay/prod/Secret/CLOSE_WEBHOOK_SECRET/value", "ab".repeat(32));
    try {
      const set = await withDataDir(dataDir, () => {
        const lines: string[] = [];
        return runDoctor(["--stage", "prod", "--json", "--outputs", join(dataDir, "outputs.json")], {
          env: { OWNER_BASE_URL: vendor.url },
          out: (line) => lines.push(line),
          err: () => {},
          stageSecrets: (app, stage) => stageSecrets({ app, stage, ssm }),
          timeoutMs: 2_000,
        }).then(() => JSON.parse(lines.join("\n")) as DoctorReport);
      });
      expect(actionsOf(set, "announce")["close webhook"]).toBeUndefined();
    } finally {
      parameters.delete("/sst/leadrelay/prod/Secret/CLOSE_WEBHOOK_SECRET/value");
    }
  });
});

import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FLOWS } from "../../flows/registry";
import { VENDOR_STAND_INS } from "../src/stand-ins";
import { formatVendorGap, vendorGaps } from "../src/startup-report";
import { spawnRuntime, tempDir } from "./harness";

/** `pnpm start` on a folder until `ready`; stopped by the caller. */
async function started(env: Record<string, string>, cwd?: string) {
  const run = spawnRuntime({ PORT: "0", ...env }, [], cwd);
  const webhookUrl = await run.ready();
  return { ...run, port: Number(new URL(webhookUrl).port) };
}

const lines = (output: string) =>
  output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

describe("pnpm start tells the truth at start-up", () => {
  it("refuses a second start on the same data folder with one line: the pid and port of the running one", async () => {
    const dataDir = tempDir();
    const first = await started({ LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce" });
    try {
      const second = spawnRuntime({ PORT: "0", LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce" });
      expect(await second.exited).toBe(1);
      expect(lines(second.output())).toEqual([
        `leadrelay: already running on ${dataDir} (pid ${first.child.pid}, port ${first.port}); stop it first, or start another with its own LEADRELAY_DATA_DIR and PORT`,
      ]);
      // The first one is untouched.
      expect((await fetch(`http://127.0.0.1:${first.port}/healthz`)).status).toBe(200);
    } finally {
      first.child.kill("SIGKILL");
    }
  }, 90_000);

  it("two starts at the same moment on one folder: exactly one runs, the other names the folder and its pid", async () => {
    const dataDir = tempDir();
    const env = { PORT: "0", LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce" };
    const runs = [spawnRuntime(env), spawnRuntime(env)];
    try {
      const loser = await Promise.race(runs.map((run) => run.exited.then(() => run)));
      const winner = runs.find((run) => run !== loser);
      expect(await loser.exited).toBe(1);
      const webhookUrl = await winner?.ready();
      expect(lines(loser.output())).toHaveLength(1);
      expect(lines(loser.output())[0]).toMatch(
        new RegExp(
          `^leadrelay: already running on ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(pid ${winner?.child.pid}, (port \\d+|still starting)\\); stop it first`,
        ),
      );
      expect((await fetch(new URL("/healthz", webhookUrl))).status).toBe(200);
    } finally {
      for (const run of runs) run.child.kill("SIGKILL");
    }
  }, 90_000);

  it("takes over the record a kill -9 left, and reports the kept secrets as reused, not generated", async () => {
    const dataDir = tempDir();
    const env = { LEADRELAY_DATA_DIR: dataDir, LEADRELAY_FLOWS: "announce", CLOSE_WEBHOOK_SECRET: "" };
    const first = await started(env);
    expect(first.output()).toContain("Generated CLOSE_WEBHOOK_SECRET");
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await started(env);
    try {
      expect(second.output()).toContain(
        `took over ${dataDir} from pid ${first.child.pid}, which is no longer running`,
      );
      expect(second.output()).toContain("Reused CLOSE_WEBHOOK_SECRET (generated at an earlier start");
      expect(second.output()).not.toContain("Generated");
      // A clean stop clears the record: the next start takes over nothing.
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
      const third = await started(env);
      third.child.kill("SIGTERM");
      await third.exited;
      expect(third.output()).not.toContain("took over");
      expect(third.output()).toContain("Reused CLOSE_WEBHOOK_SECRET");
    } finally {
      second.child.kill("SIGKILL");
    }
  }, 120_000);

  it("says in one line that the port is in use, without a stack trace", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const run = spawnRuntime({
        PORT: String(port),
        LEADRELAY_DATA_DIR: tempDir(),
        LEADRELAY_FLOWS: "announce",
      });
      expect(await run.exited).toBe(1);
      expect(lines(run.output())).toEqual([
        `leadrelay: port ${port} on 127.0.0.1 is already in use by another program; stop it or choose another port (PORT=3001 pnpm start, PORT=0 for any free port)`,
      ]);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("names a vendor whose base URL is set without its credentials, with the actions that will be skipped", async () => {
    const run = await started({
      LEADRELAY_DATA_DIR: tempDir(),
      LEADRELAY_FLOWS: "triage",
      TWILIO_BASE_URL: "http://127.0.0.1:9",
      TWILIO_ACCOUNT_SID: "AC0000",
      ZENDESK_BASE_URL: "http://127.0.0.1:9",
      ZENDESK_EMAIL: "agent@example.test",
      ZENDESK_API_TOKEN: "token",
    });
    run.child.kill("SIGTERM");
    await run.exited;
    const missing = lines(run.output()).filter((line) => line.startsWith("missing"));
    expect(missing).toEqual([
      'missing   TWILIO_BASE_URL is set (the real Twilio SMS) but ON_CALL_PHONE, TWILIO_AUTH_TOKEN, TWILIO_FROM are not; skipped: triage "Text the on-call rep" (sms)',
    ]);
  }, 60_000);

  it("reads leadrelay.local.env from the project folder; the shell wins over it", async () => {
    const project = tempDir();
    const dataDir = tempDir();
    writeFileSync(
      join(project, "leadrelay.local.env"),
      [
        "# local settings, never read by SST",
        "LEADRELAY_FLOWS=announce",
        "LEAD_WAIT_SECONDS=7",
        `LEADRELAY_DATA_DIR=${dataDir}`,
        "",
      ].join("\n"),
    );
    const run = await started({ LEAD_WAIT_SECONDS: "5" }, project);
    run.child.kill("SIGTERM");
    await run.exited;
    const output = run.output();
    expect(output).toContain(`data in ${dataDir}`);
    expect(output).toContain(
      `settings  2 from ${join(project, "leadrelay.local.env")}; the shell's LEAD_WAIT_SECONDS win`,
    );
    expect(output).toContain("hold      5 s");
    expect(lines(output).filter((line) => line.startsWith("flow "))).toHaveLength(1);
  }, 60_000);
});

describe("which actions a vendor's base URL without its credentials skips (from the flows' declared actions)", () => {
  const specs = VENDOR_STAND_INS.map((make) => make({}));
  const gaps = (env: Record<string, string>) =>
    vendorGaps(env, env, FLOWS, specs).map((gap) => formatVendorGap(gap));

  it("names every action of the vendor, in every chosen flow, with the variables missing", () => {
    const brevo = { BREVO_BASE_URL: "https://api.brevo.com", EMAIL_FROM: "leads@example.com" };
    expect(gaps(brevo)).toEqual([
      'BREVO_BASE_URL is set (the real Brevo email) but BREVO_API_KEY is not; skipped: triage "Email the lead" (email), deal-stage "Email the buyer the property" (property-email)',
    ]);
    // announce's email is on only with ANNOUNCE_EMAIL_TO: then it is skipped too.
    expect(gaps({ ...brevo, ANNOUNCE_EMAIL_TO: "sales@example.com" })[0]).toContain(
      'skipped: announce "Email the announcement" (email), triage',
    );
  });

  it("leaves out an action its setting turned off, and one that goes through the other vendor", () => {
    const twilio = { TWILIO_BASE_URL: "https://api.twilio.com" };
    expect(gaps({ ...twilio, TRIAGE_ACTIONS: "slack,email" })).toEqual([]);
    expect(gaps({ ...twilio, TRIAGE_ACTIONS: "sms" })).toHaveLength(1);
    // EMAIL_PROVIDER=ses: triage's email needs no Brevo key, whatever BREVO_BASE_URL says.
    const brevo = { BREVO_BASE_URL: "https://api.brevo.com", EMAIL_FROM: "leads@example.com" };
    expect(gaps({ ...brevo, EMAIL_PROVIDER: "ses" }).join("\n")).not.toContain("triage");
    // Everything given: nothing to say.
    expect(
      gaps({
        ...twilio,
        TWILIO_ACCOUNT_SID: "AC1",
        TWILIO_AUTH_TOKEN: "t",
        TWILIO_FROM: "+1",
        ON_CALL_PHONE: "+2",
      }),
    ).toEqual([]);
  });
});

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { FLOWS } from "../../packages/flows/registry";
import { flowSettingNames } from "../flow-settings";
import {
  checkStageSettings,
  isLeadrelaySetting,
  leadrelaySettingNames,
  likelyMeant,
  shellOnlySettings,
  stageOf,
  stageRegion,
} from "../stage-settings";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A project directory with these files (name → lines). */
function project(files: Record<string, string[]>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "leadrelay-stage-"));
  for (const [name, lines] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), `${lines.join("\n")}\n`);
  }
  return dir;
}

/** A deploy's check the way sst.config.ts runs it: the environment is the shell plus the files SST loaded. */
function check(dir: string, stage: string, env: Record<string, string | undefined>) {
  return () => checkStageSettings({ dir, stage, env, mode: "deploy" });
}

const PROD_OK = { OWNER_BASE_URL: "https://owners.example.com/leads" };

describe("the stage a deploy targets, known inside config()", () => {
  it("is --stage, else SST_STAGE, else the personal stage in .sst/stage", () => {
    const dir = project({ ".sst/stage": ["alice"] });
    expect(stageOf({ stage: "prod" }, dir, { SST_STAGE: "ci" })).toBe("prod");
    expect(stageOf({}, dir, { SST_STAGE: "ci" })).toBe("ci");
    expect(stageOf({}, dir, {})).toBe("alice");
    expect(stageOf({}, project({}), {})).toBeUndefined();
  });
});

describe("LEADRELAY_REGION", () => {
  it("comes from .env.<stage> (SST has not loaded it yet when config() runs), .env.<stage>.local winning", () => {
    const dir = project({
      ".env.eu": ["LEADRELAY_REGION=eu-west-1"],
      ".env.ap": ["LEADRELAY_REGION=eu-west-1"],
      ".env.ap.local": ["LEADRELAY_REGION=ap-southeast-2"],
    });
    expect(stageRegion({ stage: "eu" }, dir, {})).toBe("eu-west-1");
    expect(stageRegion({}, dir, { SST_STAGE: "eu" })).toBe("eu-west-1");
    expect(stageRegion({ stage: "ap" }, dir, {})).toBe("ap-southeast-2");
    // Another stage's file is not read; the shell is the fallback, us-east-1 the default.
    expect(stageRegion({ stage: "prod" }, dir, {})).toBe("us-east-1");
    expect(stageRegion({ stage: "prod" }, dir, { LEADRELAY_REGION: "eu-central-1" })).toBe("eu-central-1");
  });

  it("stops on a value that is no region, naming the file", () => {
    const dir = project({ ".env.eu": ["LEADRELAY_REGION=Ireland"] });
    expect(() => stageRegion({ stage: "eu" }, dir, {})).toThrow(
      /LEADRELAY_REGION \(from \.env\.eu\).*Ireland/,
    );
  });

  it("is what sst.config.ts's config() returns, and the synthesized stacks target it", async () => {
    const dir = project({ ".env.eu": ["LEADRELAY_REGION=eu-west-1"] });
    // SST's loader writes the bundled config into the working directory, whose packages it imports.
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    // The real sst.config.ts, loaded by SST's own loader in a process whose working directory is the project.
    const script = `
      const { load } = await import(${JSON.stringify(pathToFileURL(path.join(ROOT, "node_modules/sst/stacks/build.js")).href)});
      const [, config] = await load(${JSON.stringify(path.join(ROOT, "sst.config.ts"))}, false);
      process.stdout.write(JSON.stringify(config.config({ stage: "eu" })));
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href,
        "--input-type=module",
        "-e",
        script,
      ],
      { cwd: dir, env: { ...process.env, SST_STAGE: "", LEADRELAY_REGION: "", NODE_PATH: "" } },
    );
    const config = JSON.parse(stdout) as { name: string; region: string };
    expect(config).toEqual({ name: "leadrelay", region: "eu-west-1" });

    const [{ App, Stack }, { initProject }, { Storage }] = await Promise.all([
      import("sst/constructs"),
      import("sst/project.js"),
      import("../Storage"),
    ]);
    await initProject({ stage: "eu" });
    const app = new App(
      { mode: "remove", stage: "eu", name: config.name, region: config.region },
      { outdir: mkdtempSync(path.join(tmpdir(), "leadrelay-region-")) },
    );
    app.stack(Storage);
    const stacks = app.node.children.filter(
      (child): child is InstanceType<typeof Stack> => child instanceof Stack,
    );
    expect(stacks.length).toBeGreaterThan(0);
    for (const stack of stacks) expect(stack.region).toBe("eu-west-1");
  }, 150_000);
});

describe("what a leadrelay setting is", () => {
  it("is every name a flow declares, the shared schema's, the stacks' own and LEADRELAY_*", () => {
    const names = leadrelaySettingNames();
    for (const flow of FLOWS) for (const name of flowSettingNames(flow)) expect(names.has(name)).toBe(true);
    for (const name of ["TRIAGE_ACTIONS", "LEADRELAY_FLOWS", "LEADRELAY_REGION", "LOG_RETENTION_DAYS"])
      expect(isLeadrelaySetting(name)).toBe(true);
    expect(isLeadrelaySetting("LEADRELAY_SOMETHING_NEW")).toBe(true);
    for (const name of ["AWS_PROFILE", "PATH", "NODE_OPTIONS"]) expect(isLeadrelaySetting(name)).toBe(false);
  });

  it("suggests the setting a misspelled name meant, and leaves unrelated names alone", () => {
    expect(likelyMeant("TRIAGE_ACTOINS")).toBe("TRIAGE_ACTIONS");
    expect(likelyMeant("TWILIO_FRM")).toBe("TWILIO_FROM");
    expect(likelyMeant("AWS_PROFILE")).toBeUndefined();
    expect(likelyMeant("TRIAGE_ACTIONS")).toBeUndefined();
  });
});

describe("a deploy's settings check (before anything is built)", () => {
  it("passes a stage whose settings are in .env.<stage>, with unrelated variables in .env", () => {
    const dir = project({ ".env": ["AWS_PROFILE=work"], ".env.prod": ["LEADRELAY_FLOWS=announce,triage"] });
    expect(
      check(dir, "prod", { ...PROD_OK, LEADRELAY_FLOWS: "announce,triage", TRIAGE_ACTIONS: "sms,slack" }),
    ).not.toThrow();
  });

  it("stops when .env or .env.local sets a leadrelay setting, naming each one and its file", () => {
    const dir = project({
      ".env": ["AWS_PROFILE=work", "LEADRELAY_FLOWS=announce"],
      ".env.local": ["TRIAGE_ACTIONS=sms", "CLOSE_API_BASE_URL=http://127.0.0.1:3000/_local/close/api/v1"],
    });
    const run = check(dir, "prod", PROD_OK);
    for (const named of [
      "LEADRELAY_FLOWS (.env)",
      "TRIAGE_ACTIONS (.env.local)",
      "CLOSE_API_BASE_URL (.env.local)",
    ])
      expect(run).toThrow(named);
    expect(run).toThrow(/Move it to \.env\.prod/);
    expect(run).not.toThrow(/AWS_PROFILE/);
  });

  it("stops on a value the flow's own schema refuses, naming the variable and the allowed values", () => {
    const dir = project({ ".env.prod": ["LEADRELAY_FLOWS=announce,triage", "TRIAGE_ACTIONS=sms,slak"] });
    const run = check(dir, "prod", {
      ...PROD_OK,
      LEADRELAY_FLOWS: "announce,triage",
      TRIAGE_ACTIONS: "sms,slak",
    });
    expect(run).toThrow(
      /flow triage \(stage "prod"\): TRIAGE_ACTIONS names unknown action\(s\) slak; the actions are sms, slack, email, ticket/,
    );
  });

  it("checks shared settings with the shared schema (a flow without its own names)", () => {
    const run = check(project({}), "prod", {
      ...PROD_OK,
      LEADRELAY_FLOWS: "linkedin-replies",
      HUBSPOT_BASE_URL: "not a url",
    });
    expect(run).toThrow(/flow linkedin-replies.*HUBSPOT_BASE_URL must be an http\(s\) URL/);
  });

  it("stops on a misspelled name in .env.<stage>, and on a secret put in a settings file", () => {
    const dir = project({
      ".env.prod": ["TRIAGE_ACTOINS=sms", "AWS_PROFILE=work"],
      ".env.prod.local": ["CLOSE_API_KEY=api_live_123"],
    });
    const run = check(dir, "prod", PROD_OK);
    expect(run).toThrow(
      /TRIAGE_ACTOINS \(\.env\.prod\) is not a leadrelay setting: did you mean TRIAGE_ACTIONS\?/,
    );
    expect(run).toThrow(
      /CLOSE_API_KEY \(\.env\.prod\.local\) is a secret.*pnpm exec sst secrets set CLOSE_API_KEY <value> --stage prod/,
    );
    expect(run).not.toThrow(/AWS_PROFILE/);
  });

  it("names every problem at once: unknown flows, bad alerting and log settings too", () => {
    const run = check(project({ ".env.local": ["LOG_LEVEL=debug"] }), "prod", {
      LEADRELAY_FLOWS: "announce,triaje",
      ALERT_EMAIL_TO: "ops at example.com",
      LOG_RETENTION_DAYS: "10",
    });
    expect(run).toThrow(/LOG_LEVEL \(\.env\.local\)/);
    expect(run).toThrow(/unknown flow\(s\) triaje/);
    expect(run).toThrow(/ALERT_EMAIL_TO must be one email address/);
    expect(run).toThrow(/LOG_RETENTION_DAYS must be one of/);
  });
});

describe("settings a deploy takes from the shell", () => {
  it("are named when no file SST reads has them (a later deploy would lose them); secrets and other names are not", () => {
    const dir = project({ ".env.prod": ["LEADRELAY_FLOWS=announce,triage"] });
    const env = {
      LEADRELAY_FLOWS: "announce,triage",
      TRIAGE_ACTIONS: "sms",
      OWNER_BASE_URL: "https://owners.example.com/leads",
      CLOSE_API_KEY: "api_live",
      AWS_PROFILE: "work",
      HTTP_TIMEOUT_MS: "",
    };
    expect(shellOnlySettings({ dir, stage: "prod", env })).toEqual(["OWNER_BASE_URL", "TRIAGE_ACTIONS"]);
  });
});

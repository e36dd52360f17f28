import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runConnect } from "../src/cli-connect";
import type { Runtime } from "../src/runtime";
import { closeHeaders } from "../src/sample-request";
import { type SendsCommands, stageSecrets } from "../src/stage-secrets";
import { leadBody, REPO_ROOT, startTestRuntime, tempDir } from "./harness";

/**
 * `leadrelay connect close` against the Close stand-in of a running runtime (it keeps webhook
 * subscriptions as Close does): idempotent across runs, the key stored and used after a restart.
 */

const closeAuth = { authorization: `Basic ${Buffer.from("any-key:").toString("base64")}` };
const LEAD = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";

async function subscriptions(runtime: Runtime): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${runtime.url}/_local/close/api/v1/webhook/`, { headers: closeAuth });
  return ((await response.json()) as { data: Array<Record<string, unknown>> }).data;
}

function connect(dataDir: string, args: string[], env: Record<string, string | undefined> = {}) {
  const lines: string[] = [];
  const errors: string[] = [];
  const previous = process.env.LEADRELAY_DATA_DIR;
  process.env.LEADRELAY_DATA_DIR = dataDir;
  return runConnect(args, {
    env: { LEADRELAY_DATA_DIR: dataDir, ...env },
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
  })
    .then((code) => ({ code, out: lines.join("\n"), err: errors.join("\n") }))
    .finally(() => {
      process.env.LEADRELAY_DATA_DIR = previous;
    });
}

describe("connect close against the Close stand-in", () => {
  let dataDir: string;
  let runtime: Runtime;

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-connect-");
    runtime = await startTestRuntime({ dataDir, secretHex: undefined });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("two runs leave one subscription, the key is stored, and after a restart it verifies deliveries", async () => {
    const url = "https://hooks.example.test/webhook/close";
    const first = await connect(dataDir, ["close", "--webhook-url", url]);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /created subscription whsub_\w+: lead\.created → https:\/\/hooks\.example\.test/,
    );
    const second = await connect(dataDir, ["close", "--webhook-url", url]);
    expect(second.code).toBe(0);
    expect(second.out).toContain("nothing to change");
    expect(second.out).toContain("already this subscription's");

    const all = await subscriptions(runtime);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      url,
      status: "active",
      events: [{ object_type: "lead", action: "created" }],
    });
    const key = readFileSync(join(dataDir, "webhook-secret"), "utf8").trim();
    expect(key).toBe(all[0]?.signature_key);
    expect(key).not.toBe(runtime.secretHex);

    // The runtime read its key at start: restarted on the same folder, it verifies with Close's key.
    await runtime.stop();
    runtime = await startTestRuntime({ dataDir, secretHex: undefined });
    const body = leadBody(LEAD);
    const signed = await fetch(runtime.webhookUrl, {
      method: "POST",
      headers: closeHeaders(key, body),
      body,
    });
    expect(signed.status).toBe(202);
    const other = "ab".repeat(32);
    const forged = await fetch(runtime.webhookUrl, {
      method: "POST",
      headers: closeHeaders(other, body),
      body,
    });
    expect(forged.status).toBe(401);
  }, 60_000);

  it("a changed URL updates the same subscription; a paused one is re-activated and the output says so", async () => {
    const before = await subscriptions(runtime);
    const moved = "https://new-host.example.test/webhook/close";
    const result = await connect(dataDir, ["close", "--webhook-url", moved]);
    expect(result.code).toBe(0);
    expect(result.out).toContain("its URL had changed");
    const after = await subscriptions(runtime);
    expect(after).toHaveLength(before.length);
    expect(after[0]?.url).toBe(moved);

    await fetch(`${runtime.url}/_local/close/api/v1/webhook/${after[0]?.id}/`, {
      method: "PUT",
      headers: { ...closeAuth, "content-type": "application/json" },
      body: JSON.stringify({ status: "paused" }),
    });
    const resumed = await connect(dataDir, ["close", "--webhook-url", moved]);
    expect(resumed.out).toMatch(/was PAUSED by Close.*re-activated/);
    expect((await subscriptions(runtime))[0]?.status).toBe("active");
    expect(await subscriptions(runtime)).toHaveLength(1);
  });

  it("exits 1 and explains when CLOSE_WEBHOOK_SECRET is set in the environment; touches nothing", async () => {
    const before = await subscriptions(runtime);
    const result = await connect(
      dataDir,
      ["close", "--webhook-url", "https://x.example.test/webhook/close"],
      {
        CLOSE_WEBHOOK_SECRET: "cd".repeat(32),
      },
    );
    expect(result.code).toBe(1);
    expect(result.err).toContain("CLOSE_WEBHOOK_SECRET is set in this environment");
    expect(await subscriptions(runtime)).toEqual(before);
  });

  it("connect meta: the app subscription and the page install once each; a second run changes nothing", async () => {
    const first = await connect(dataDir, ["meta"]);
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toContain("app subscription (page/leadgen) created");
    expect(first.out).toContain("installed the app on page");
    const second = await connect(dataDir, ["meta"]);
    expect(second.out).toContain("already points here: nothing to change");
    expect(second.out).toContain("already installed on page");
    const posts = runtime.standIns.meta?.requests().filter((request) => request.method === "POST") ?? [];
    expect(posts.map((request) => request.path)).toEqual([
      "/v21.0/100000000000001/subscriptions",
      "/v21.0/100000000000002/subscribed_apps",
    ]);
    expect(posts[0]?.body).toMatchObject({
      object: "page",
      fields: "leadgen",
      callback_url: `${runtime.url}/webhook/meta`,
    });
  });

  it("connect meta names each missing permission and subscribes nothing", async () => {
    // The stand-in's page token loses leads_retrieval (what Leads Access or App Review would withhold).
    const permissions = `${runtime.url}/_local/meta/_permissions`;
    const put = (revoked: string[]) =>
      fetch(permissions, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ revoked }),
      });
    expect((await put(["leads_retrieval"])).status).toBe(200);
    const posts = () =>
      runtime.standIns.meta?.requests().filter((request) => request.method === "POST").length;
    const before = posts();
    const result = await connect(dataDir, ["meta"]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("leads_retrieval (read a lead's answers)");
    expect(posts()).toBe(before);
    await put([]);
  });

  it("connect lgm registers one inbox webhook with the token in its URL; connect crm prints URL and header", async () => {
    const first = await connect(dataDir, ["lgm"]);
    expect(first.err).toBe("");
    expect(first.out).toMatch(/inbox webhook \w+ created/);
    const second = await connect(dataDir, ["lgm"]);
    expect(second.out).toContain("already registered: nothing to change");
    const posts = runtime.standIns.lgm?.requests().filter((request) => request.method === "POST") ?? [];
    expect(posts).toHaveLength(1);
    const url = (posts[0]?.body as { url?: string } | undefined)?.url;
    const token = readFileSync(join(dataDir, "secrets", "LGM_WEBHOOK_TOKEN"), "utf8").trim();
    expect(url).toBe(`${runtime.url}/webhook/lgm/${encodeURIComponent(token)}`);

    const crm = await connect(dataDir, ["crm"]);
    const key = readFileSync(join(dataDir, "secrets", "CRM_WEBHOOK_API_KEY"), "utf8").trim();
    expect(crm.out).toContain(`POST ${runtime.url}/webhook/crm`);
    expect(crm.out).toContain(`x-api-key: ${key}`);
  });

  it("usage errors exit 2", async () => {
    expect((await connect(dataDir, ["nowhere"])).code).toBe(2);
    expect((await connect(dataDir, [])).code).toBe(2);
    expect((await connect(dataDir, ["close", "--webhook-url", "not a url"])).code).toBe(2);
  });

  it("runs as `pnpm leadrelay connect close` (the CLI's dispatch)", async () => {
    const result = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          "packages/local/src/cli.ts",
          "connect",
          "close",
          "--webhook-url",
          "https://new-host.example.test/webhook/close",
        ],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            LEADRELAY_DATA_DIR: dataDir,
            CLOSE_WEBHOOK_SECRET: "",
            CLOSE_API_BASE_URL: "",
          },
          timeout: 60_000,
        },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
      );
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("nothing to change");
  }, 60_000);
});

/** A fake SSM and Lambda: parameters by name, functions with their environment. */
function fakeAws(functions: Record<string, Record<string, string>>) {
  const parameters = new Map<string, string>();
  const calls: string[] = [];
  const ssm: SendsCommands = {
    async send(command) {
      const { input } = command as { input: Record<string, unknown> };
      const name = (command as object).constructor.name;
      calls.push(name);
      if (name === "PutParameterCommand") {
        expect(input).toMatchObject({ Type: "SecureString", Overwrite: true });
        parameters.set(String(input.Name), String(input.Value));
        return {};
      }
      if (name === "GetParametersCommand") {
        const names = input.Names as string[];
        return {
          Parameters: names
            .filter((n) => parameters.has(n))
            .map((n) => ({ Name: n, Value: parameters.get(n) })),
        };
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  const lambda: SendsCommands = {
    async send(command) {
      const { input } = command as { input: Record<string, unknown> };
      const name = (command as object).constructor.name;
      calls.push(name);
      if (name === "ListFunctionsCommand")
        return {
          Functions: Object.entries(functions).map(([FunctionName, Variables]) => ({
            FunctionName,
            Environment: { Variables },
          })),
        };
      if (name === "GetFunctionConfigurationCommand")
        return { Environment: { Variables: functions[String(input.FunctionName)] } };
      if (name === "UpdateFunctionConfigurationCommand") {
        functions[String(input.FunctionName)] = (
          input.Environment as { Variables: Record<string, string> }
        ).Variables;
        return {};
      }
      throw new Error(`unexpected ${name}`);
    },
  };
  return { parameters, calls, ssm, lambda, functions };
}

describe("connect close --stage (SST v2 secrets over a fake SSM)", () => {
  let dataDir: string;
  let runtime: Runtime;
  const outputs = () => join(dataDir, "outputs.json");

  beforeAll(async () => {
    dataDir = tempDir("leadrelay-connect-stage-");
    runtime = await startTestRuntime({ dataDir });
    const { writeFileSync } = await import("node:fs");
    writeFileSync(
      outputs(),
      JSON.stringify({
        "prod-leadrelay-Api": {
          WebhookUrlClose: "https://abc.execute-api.eu-west-1.amazonaws.com/webhook/close",
        },
        "prod-leadrelay-Flows": {
          StateMachineArnAnnounce:
            "arn:aws:states:eu-west-1:123456789012:stateMachine:prod-leadrelay-announce",
        },
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(() => undefined);

  it("writes the key where sst secrets set does, restarts only the stage's bound functions, and is idempotent", async () => {
    const aws = fakeAws({
      "prod-leadrelay-IngestClose": {
        SST_APP: "leadrelay",
        SST_STAGE: "prod",
        SST_Secret_value_CLOSE_WEBHOOK_SECRET: "__FETCH_FROM_SSM__",
      },
      "prod-leadrelay-FetchRaw": { SST_APP: "leadrelay", SST_STAGE: "prod" },
      "dev-leadrelay-IngestClose": {
        SST_APP: "leadrelay",
        SST_STAGE: "dev",
        SST_Secret_value_CLOSE_WEBHOOK_SECRET: "__FETCH_FROM_SSM__",
      },
    });
    const deps = (env: Record<string, string>) => ({
      env: {
        LEADRELAY_DATA_DIR: dataDir,
        CLOSE_API_BASE_URL: `${runtime.url}/_local/close/api/v1`,
        CLOSE_API_KEY: "admin-key",
        ...env,
      },
      out: (line: string) => lines.push(line),
      err: (line: string) => lines.push(line),
      stageSecrets: () => stageSecrets({ app: "leadrelay", stage: "prod", ssm: aws.ssm, lambda: aws.lambda }),
    });
    const lines: string[] = [];
    // A CLOSE_WEBHOOK_SECRET in the shell does not matter for a stage: its value is in SSM.
    const code = await runConnect(
      ["close", "--stage", "prod", "--outputs", outputs()],
      deps({ CLOSE_WEBHOOK_SECRET: "ee".repeat(32) }),
    );
    expect(lines.join("\n")).not.toContain("leadrelay connect:");
    expect(code).toBe(0);
    const all = await subscriptions(runtime);
    const ours = all.filter((s) => s.url === "https://abc.execute-api.eu-west-1.amazonaws.com/webhook/close");
    expect(ours).toHaveLength(1);
    expect(aws.parameters.get("/sst/leadrelay/prod/Secret/CLOSE_WEBHOOK_SECRET/value")).toBe(
      ours[0]?.signature_key,
    );
    expect(aws.functions["prod-leadrelay-IngestClose"]?.SST_ADMIN_SECRET_UPDATED_AT).toMatch(/^\d+$/);
    expect(aws.functions["prod-leadrelay-IngestClose"]?.SST_Secret_value_CLOSE_WEBHOOK_SECRET).toBe(
      "__FETCH_FROM_SSM__",
    );
    expect(aws.functions["prod-leadrelay-FetchRaw"]?.SST_ADMIN_SECRET_UPDATED_AT).toBeUndefined();
    expect(aws.functions["dev-leadrelay-IngestClose"]?.SST_ADMIN_SECRET_UPDATED_AT).toBeUndefined();
    expect(lines.join("\n")).toContain("restarted 1 function(s)");

    lines.length = 0;
    const puts = aws.calls.filter((call) => call === "PutParameterCommand").length;
    expect(await runConnect(["close", "--stage", "prod", "--outputs", outputs()], deps({}))).toBe(0);
    expect(aws.calls.filter((call) => call === "PutParameterCommand").length).toBe(puts);
    expect(lines.join("\n")).toContain("already holds this subscription's key");
    expect((await subscriptions(runtime)).filter((s) => s.url === ours[0]?.url)).toHaveLength(1);
  });

  it("reads a stage's value before SST's .fallback", async () => {
    const aws = fakeAws({});
    aws.parameters.set(
      "/sst/leadrelay/.fallback/Secret/SLACK_WEBHOOK_URL/value",
      "https://hooks.slack.test/fallback",
    );
    aws.parameters.set("/sst/leadrelay/.fallback/Secret/CLOSE_API_KEY/value", "fallback-key");
    aws.parameters.set("/sst/leadrelay/prod/Secret/CLOSE_API_KEY/value", "stage-key");
    const read = await stageSecrets({ app: "leadrelay", stage: "prod", ssm: aws.ssm }).read([
      "SLACK_WEBHOOK_URL",
      "CLOSE_API_KEY",
      "TWILIO_AUTH_TOKEN",
    ]);
    expect(read).toEqual({
      SLACK_WEBHOOK_URL: { value: "https://hooks.slack.test/fallback", from: "fallback" },
      CLOSE_API_KEY: { value: "stage-key", from: "stage" },
    });
  });
});

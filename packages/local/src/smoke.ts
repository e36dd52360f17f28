import { createHmac, randomBytes } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { AlertResult } from "@leadrelay/functions/alerts/notify-failure";
import {
  STATUS_CHANGE_DETAIL_TYPE,
  STATUS_CHANGE_SOURCE,
} from "@leadrelay/functions/alerts/status-change-event";
import { doctorReport } from "./cli-doctor";
import { dataDir, localInfo } from "./cli-target";
import type { DoctorReport } from "./doctor";
import { savedSecret } from "./local-secrets";
import { closeHeaders, sampleBody } from "./sample-request";

/**
 * `leadrelay smoke [--stage X] [--alert-test]`: after a deploy (or against `pnpm start`), first
 * `doctor` (a broken credential stops smoke there, before any request reaches the stage), then every
 * source's URL answers as it must to a request that can start nothing — a wrong signature 401, a
 * wrong LGM path token 404, Meta's handshake echoing the challenge — then (with --alert-test) one
 * failure alert from a synthetic event marked TEST. No lead is created, no execution starts or
 * fails, no vendor action is taken: every request is one a source refuses before storing anything,
 * or the read-only handshake, and doctor's checks are reads.
 */

export type CheckStatus = "ok" | "failed" | "skipped";
export interface SmokeCheck {
  check: string;
  status: CheckStatus;
  detail: string;
}

/** What smoke needs from a stage or the local runtime. */
export interface SmokeTarget {
  where: string;
  /** Source id → its webhook URL (LGM's with `{token}` unfilled). */
  webhooks: Record<string, string>;
  /** A source secret smoke needs to prove a good request works (META_VERIFY_TOKEN), when readable. */
  secret(name: string): Promise<string | undefined>;
  /** Every flow's state machine (the alert names the flow). */
  flows: Array<{ id: string; stateMachineArn: string }>;
  region: string;
  /** The stage's failure-alert function, invoked with `event`. */
  invokeAlert(event: Record<string, unknown>): Promise<AlertResult>;
  /** `doctor` for the same target; undefined when it cannot run here. */
  doctor?: () => Promise<DoctorReport>;
}

const random = (bytes = 16) => randomBytes(bytes).toString("hex");

async function answer(
  url: string,
  init: RequestInit,
): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000), redirect: "manual" });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { error: cause ?? (error as Error).message };
  }
}

function expectStatus(
  check: string,
  got: Awaited<ReturnType<typeof answer>>,
  wanted: number,
  why: string,
): SmokeCheck {
  if ("error" in got) return { check, status: "failed", detail: `no answer (${got.error})` };
  if (got.status === wanted) return { check, status: "ok", detail: `${got.status} ${why}` };
  const hint =
    got.status === 503
      ? " (503: the source's secret is not set for the stage, or storage/Step Functions are down)"
      : "";
  return { check, status: "failed", detail: `expected ${wanted} ${why}, got ${got.status}${hint}` };
}

/**
 * One probe per source, each a request the source refuses before it stores or starts anything.
 * A source smoke does not know is still checked to answer (anything below 500).
 */
async function probeSource(source: string, url: string, target: SmokeTarget): Promise<SmokeCheck[]> {
  const body = sampleBody();
  switch (source) {
    case "close":
      // Signed with a key that is not the stage's: the signature check must refuse it.
      return [
        expectStatus(
          "close: wrong signature",
          await answer(url, { method: "POST", headers: closeHeaders(random(32), body), body }),
          401,
          "for a delivery signed with another key",
        ),
      ];
    case "crm":
      return [
        expectStatus(
          "crm: wrong API key",
          await answer(url, {
            method: "POST",
            headers: { "content-type": "application/json", "x-api-key": `smoke-${random()}` },
            body: "{}",
          }),
          401,
          "for a wrong x-api-key",
        ),
      ];
    case "meta": {
      const checks: SmokeCheck[] = [];
      const token = await target.secret("META_VERIFY_TOKEN");
      if (token === undefined) {
        checks.push({
          check: "meta: subscription handshake",
          status: "skipped",
          detail: "META_VERIFY_TOKEN could not be read here",
        });
      } else {
        const challenge = `smoke${random(8)}`;
        const query = new URLSearchParams({
          "hub.mode": "subscribe",
          "hub.verify_token": token,
          "hub.challenge": challenge,
        });
        const got = await answer(`${url}?${query}`, { method: "GET" });
        const echoed = !("error" in got) && got.status === 200 && got.text === challenge;
        checks.push(
          echoed
            ? { check: "meta: subscription handshake", status: "ok", detail: "200, the challenge echoed" }
            : {
                check: "meta: subscription handshake",
                status: "failed",
                detail:
                  "error" in got
                    ? `no answer (${got.error})`
                    : `expected 200 with the challenge, got ${got.status} (is META_VERIFY_TOKEN the stage's?)`,
              },
        );
      }
      const payload = '{"object":"page","entry":[]}';
      checks.push(
        expectStatus(
          "meta: wrong signature",
          await answer(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-hub-signature-256": `sha256=${createHmac("sha256", random()).update(payload).digest("hex")}`,
            },
            body: payload,
          }),
          401,
          "for a delivery signed with another app secret",
        ),
      );
      return checks;
    }
    case "lgm":
      return [
        expectStatus(
          "lgm: path without the token",
          await answer(url.replace("{token}", `smoke-${random()}`), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: "{}",
          }),
          404,
          "for a path whose token is not the stage's",
        ),
      ];
    default: {
      const got = await answer(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      const ok = !("error" in got) && got.status < 500;
      return [
        {
          check: `${source}: answers`,
          status: ok ? "ok" : "failed",
          detail: "error" in got ? `no answer (${got.error})` : `${got.status}`,
        },
      ];
    }
  }
}

/** A Step Functions status change that never happened, marked TEST wherever the alert shows it. */
export function testAlertEvent(target: Pick<SmokeTarget, "flows" | "region">, now = new Date()) {
  const flow = target.flows[0];
  if (!flow) throw new Error("the target has no flow to name in a test alert");
  const name = `TEST-smoke-${now
    .toISOString()
    .replace(/[^0-9]/g, "")
    .slice(0, 14)}-${random(3)}`;
  const executionArn = `${flow.stateMachineArn.replace(":stateMachine:", ":execution:")}:${name}`;
  return {
    version: "0",
    "detail-type": STATUS_CHANGE_DETAIL_TYPE,
    source: STATUS_CHANGE_SOURCE,
    time: now.toISOString(),
    region: target.region,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: flow.stateMachineArn,
      name,
      status: "FAILED",
      error: "TEST",
      cause: "TEST alert sent by `leadrelay smoke --alert-test`: no execution failed, nothing to do.",
      redriveCount: 0,
    },
  };
}

/** Doctor's verdict as smoke checks: one line, and one per broken action with its variables and fix. */
async function doctorChecks(target: SmokeTarget): Promise<SmokeCheck[]> {
  if (!target.doctor) return [{ check: "doctor", status: "skipped", detail: "no doctor for this target" }];
  let report: DoctorReport;
  try {
    report = await target.doctor();
  } catch (error) {
    return [{ check: "doctor", status: "failed", detail: `could not run: ${(error as Error).message}` }];
  }
  const rows = report.flows.flatMap(({ flow, actions }) => actions.map((action) => ({ flow, ...action })));
  const broken = rows.filter((row) => row.status === "broken");
  const skipped = rows.filter((row) => row.status === "skipped").length;
  return [
    {
      check: "doctor",
      status: broken.length > 0 ? "failed" : "ok",
      detail: `${rows.length - broken.length - skipped} ok, ${skipped} skipped, ${broken.length} broken`,
    },
    ...broken.map((row) => ({
      check: `doctor: ${row.flow} ${row.action}`,
      status: "failed" as const,
      detail: `${row.reason} (${row.variables.join(", ")})`,
    })),
  ];
}

export async function runSmoke(target: SmokeTarget, options: { alertTest: boolean }): Promise<SmokeCheck[]> {
  // Doctor first: with a broken credential the stage cannot pass, and nothing is sent to it.
  const checks = await doctorChecks(target);
  if (checks.some((check) => check.status === "failed")) return checks;
  for (const [source, url] of Object.entries(target.webhooks))
    checks.push(...(await probeSource(source, url, target)));
  if (options.alertTest) {
    const event = testAlertEvent(target);
    try {
      const result = await target.invokeAlert(event);
      const slack = result.status === "alerted" ? result.slack : undefined;
      const email = result.status === "alerted" ? result.email : undefined;
      const sent = slack?.status === "sent" || email?.status === "sent";
      checks.push({
        check: "alert: test alert",
        status: sent ? "ok" : "failed",
        detail:
          result.status === "alerted"
            ? `${event.detail.name}: Slack ${describe(slack)}, email ${describe(email)}`
            : `ignored: ${result.reason}`,
      });
    } catch (error) {
      checks.push({ check: "alert: test alert", status: "failed", detail: (error as Error).message });
    }
  }
  return checks;
}

function describe(outcome: { status: string; reason?: string; error?: string } | undefined): string {
  if (!outcome) return "-";
  return outcome.reason || outcome.error
    ? `${outcome.status} (${outcome.reason ?? outcome.error})`
    : outcome.status;
}

export function formatChecks(where: string, checks: readonly SmokeCheck[]): string[] {
  const width = Math.max(...checks.map((check) => check.check.length));
  const stoppedAtDoctor = checks.every((check) => check.check.startsWith("doctor"));
  const failed = checks.some((check) => check.status === "failed");
  return [
    `smoke: ${where}`,
    ...checks.map((check) => `  ${check.status.padEnd(7)} ${check.check.padEnd(width)}  ${check.detail}`),
    failed && stoppedAtDoctor
      ? "smoke: FAILED at doctor — nothing was sent to the stage; fix the variables named above and run smoke again"
      : failed
        ? "smoke: FAILED"
        : "smoke: passed (nothing was created, no vendor action was taken)",
  ];
}

// ── targets ──────────────────────────────────────────────────────────────────

/** The running `pnpm start` of this data folder; the alert handler runs here, posting to its Slack stand-in. */
export async function localSmokeTarget(env: Record<string, string | undefined>): Promise<SmokeTarget> {
  const info = localInfo();
  const folder = dataDir();
  const flows = (info.flows ?? []).map(({ id, stateMachineArn }) => ({ id, stateMachineArn }));
  return {
    where: `local runtime ${info.url} (data in ${folder})`,
    webhooks: info.webhooks,
    region: info.region,
    flows,
    secret: async (name) => env[name] || savedSecret(folder, name),
    doctor: async () => (await doctorReport({}, { env })).report,
    async invokeAlert(event) {
      const [{ build }, { createLogger }] = await Promise.all([
        import("@leadrelay/functions/alerts/notify-failure"),
        import("@leadrelay/functions/log"),
      ]);
      // The runtime's own alert path: its bucket for the marker, its Slack stand-in (or ALERT_SLACK_WEBHOOK_URL).
      // Never email from here: a local trial must not reach a real mail vendor.
      const alert = build(
        {
          BUCKET_NAME: info.bucket,
          SLACK_WEBHOOK_URL: env.ALERT_SLACK_WEBHOOK_URL || `${info.url}/_local/slack`,
          ALERT_FLOWS: flows.map((flow) => `${flow.id}=${flow.stateMachineArn}`).join(","),
          ALERT_CONSOLE_URL: info.url,
        },
        {
          log: createLogger("smoke", { level: "silent" }),
          aws: () => ({
            endpoint: info.s3Endpoint,
            region: info.region,
            credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
            forcePathStyle: true,
          }),
        },
      ) as (event: unknown) => Promise<AlertResult>;
      return alert(event);
    },
  };
}

/** A deployed stage: its outputs (.sst/outputs.json), its secrets (SSM, SST v2 paths), its alert Lambda. */
export async function stageSmokeTarget(
  stage: string,
  options: {
    app: string;
    outputsFile: string;
    region?: string;
    alertFunction?: string;
    env?: Record<string, string | undefined>;
  },
): Promise<SmokeTarget> {
  const { resolveStageTarget, stageOutputs } = await import("@leadrelay/console/stage-target");
  const { readFileSync } = await import("node:fs");
  const resolved = resolveStageTarget({
    stage,
    region: options.region,
    outputsFile: options.outputsFile,
    app: options.app,
    needsBucket: false,
  });
  const outputs = stageOutputs(
    JSON.parse(readFileSync(options.outputsFile, "utf8")) as Record<string, Record<string, unknown>>,
    stage,
    options.app,
  );
  const webhooks: Record<string, string> = {};
  for (const [key, value] of Object.entries(outputs)) {
    const source = /^WebhookUrl([A-Z][A-Za-z]*)$/.exec(key)?.[1];
    if (source) webhooks[source.toLowerCase()] = value;
  }
  const region = resolved.region;
  return {
    where: `AWS stage ${stage} (${region})`,
    webhooks,
    region,
    flows: resolved.flows,
    doctor: async () =>
      (
        await doctorReport(
          { stage, app: options.app, region, outputs: options.outputsFile },
          { env: options.env ?? process.env },
        )
      ).report,
    async secret(name) {
      const { GetParameterCommand, SSMClient } = await import("@aws-sdk/client-ssm");
      const ssm = new SSMClient({ region });
      for (const path of [
        `/sst/${options.app}/${stage}/Secret/${name}/value`,
        `/sst/${options.app}/.fallback/Secret/${name}/value`,
      ]) {
        try {
          const out = await ssm.send(new GetParameterCommand({ Name: path, WithDecryption: true }));
          if (out.Parameter?.Value) return out.Parameter.Value;
        } catch {
          // not set at this path
        }
      }
      return undefined;
    },
    async invokeAlert(event) {
      const { InvokeCommand, LambdaClient, paginateListFunctions } = await import("@aws-sdk/client-lambda");
      const lambda = new LambdaClient({ region });
      let name = options.alertFunction;
      if (!name) {
        // CloudFormation names it <stage>-<app>-Operations-NotifyFailure…
        const prefix = `${stage}-${options.app}-Operations-NotifyFailure`;
        for await (const page of paginateListFunctions({ client: lambda }, {})) {
          name = page.Functions?.find((fn) => fn.FunctionName?.startsWith(prefix))?.FunctionName;
          if (name) break;
        }
      }
      if (!name)
        throw new Error(
          `no failure-alert function ${stage}-${options.app}-Operations-NotifyFailure… (use --alert-function NAME)`,
        );
      // Synchronous: no retry, no dead letter, and the answer says what was sent.
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: name, Payload: new TextEncoder().encode(JSON.stringify(event)) }),
      );
      const text = new TextDecoder().decode(out.Payload ?? new Uint8Array());
      if (out.FunctionError) throw new Error(`${name} failed: ${text}`);
      return JSON.parse(text) as AlertResult;
    },
  };
}

// ── the command ──────────────────────────────────────────────────────────────

export const SMOKE_USAGE = `  leadrelay smoke [--stage X] [--alert-test]
                                        doctor first (a broken credential stops it before any request),
                                        then every source's URL answers as it must (no lead, no vendor
                                        action), and with --alert-test one failure alert marked TEST`;

const parseSmokeArgs = (args: readonly string[]) =>
  parseArgs({
    args: [...args],
    options: {
      stage: { type: "string" },
      "alert-test": { type: "boolean" },
      "alert-function": { type: "string" },
      region: { type: "string" },
      outputs: { type: "string" },
      app: { type: "string" },
      profile: { type: "string" },
    },
    allowPositionals: false,
    strict: true,
  });

/** `leadrelay smoke …`: 0 when every check passed (skipped is not failed), 1 when one failed, 2 on a usage error. */
export async function smokeCommand(args: readonly string[]): Promise<number> {
  let values: ReturnType<typeof parseSmokeArgs>["values"];
  try {
    values = parseSmokeArgs(args).values;
  } catch (error) {
    process.stderr.write(`leadrelay: ${(error as Error).message}\n\n${SMOKE_USAGE}\n`);
    return 2;
  }
  if (values.profile) process.env.AWS_PROFILE = values.profile;
  const target = values.stage
    ? await stageSmokeTarget(values.stage, {
        app: values.app ?? "leadrelay",
        outputsFile: values.outputs ?? join(process.cwd(), ".sst", "outputs.json"),
        region: values.region,
        alertFunction: values["alert-function"],
      })
    : await localSmokeTarget(process.env);
  const checks = await runSmoke(target, { alertTest: values["alert-test"] ?? false });
  for (const line of formatChecks(target.where, checks)) process.stdout.write(`${line}\n`);
  return checks.some((check) => check.status === "failed") ? 1 : 0;
}

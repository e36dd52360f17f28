import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Client } from "@aws-sdk/client-s3";
import { notifiedKey, rawEventKey } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConsole } from "../src/console-routes";
import {
  executionArn,
  FakeStepFunctions,
  MemoryStore,
  rawWebhook,
  STATE_MACHINE_ARN,
} from "./fake-step-functions";

const FAILED = "lead_Failed1";
const CAUGHT = "lead_Caught1";

function call(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.method === "POST" ? "{}" : undefined);
  });
}

describe("console against AWS (structurally: the same SDK calls)", () => {
  const sfn = new FakeStepFunctions();
  const store = new MemoryStore();
  let server: Server;
  let base: string;
  let token: string;

  beforeAll(async () => {
    const start = Date.parse("2026-11-20T14:00:00Z");
    sfn.executions.push({
      name: FAILED,
      status: "FAILED",
      startDate: start,
      stopDate: start + 5000,
      error: "OwnerNeverAssigned",
      cause: "No owner file for lead_Failed1 yet",
      input: JSON.stringify({
        leadId: FAILED,
        rawKey: rawEventKey(FAILED),
        receivedAt: "2026-11-20T14:00:00Z",
      }),
      events: [
        { type: "ExecutionStarted", timestamp: start },
        {
          type: "TaskStateEntered",
          timestamp: start + 1000,
          stateEnteredEventDetails: { name: "FetchOwner", input: "{}" },
        },
        { type: "LambdaFunctionScheduled", timestamp: start + 1000 },
        {
          type: "LambdaFunctionFailed",
          timestamp: start + 1100,
          lambdaFunctionFailedEventDetails: {
            error: "OwnerNotAssigned",
            cause: JSON.stringify({
              errorType: "OwnerNotAssigned",
              errorMessage: "No owner file for lead_Failed1 yet",
            }),
          },
        },
        {
          type: "ExecutionFailed",
          timestamp: start + 5000,
          executionFailedEventDetails: { error: "OwnerNeverAssigned", cause: "No owner file" },
        },
      ],
    });
    // Caught: FetchOwner's Catch led to the Fail state (the usual way leadrelay fails).
    sfn.executions.push({
      name: CAUGHT,
      status: "FAILED",
      startDate: start - 1000,
      stopDate: start,
      error: "OwnerNeverAssigned",
      events: [
        { type: "ExecutionStarted", timestamp: start - 1000 },
        {
          type: "FailStateEntered",
          timestamp: start,
          stateEnteredEventDetails: { name: "OwnerNeverAssigned", input: "{}" },
        },
        {
          type: "ExecutionFailed",
          timestamp: start,
          executionFailedEventDetails: { error: "OwnerNeverAssigned" },
        },
      ],
    });
    store.objects.set(rawEventKey(CAUGHT), rawWebhook(CAUGHT, "Caught Ltd"));
    store.objects.set(rawEventKey(FAILED), rawWebhook(FAILED, "Fail & Co <script>"));
    store.objects.set(
      notifiedKey(FAILED),
      JSON.stringify({ status: "sent", at: "2026-11-20T14:00:05Z", message: { text: "x", blocks: [] } }),
    );
    const handler = createConsole({
      sfn: sfn.asClient(),
      s3: {} as S3Client,
      store,
      stateMachineArn: STATE_MACHINE_ARN,
      bucket: "leadrelay-test",
      mode: "aws",
      label: "AWS stage test (eu-west-1)",
    });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const page = await call(base, "/console");
    token = /name="console-token" content="([^"]+)"/.exec(page.body)?.[1] ?? "";
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("serves the list page with a strict content security policy and the action token", async () => {
    const page = await call(base, "/console");
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.body).toContain("AWS stage test (eu-west-1)");
    expect(token.length).toBeGreaterThan(20);
  });

  it("leaves paths outside /console to the caller, and serves only the known assets", async () => {
    expect((await call(base, "/webhook/close")).status).toBe(418);
    const script = await call(base, "/console/assets/lead-list.js");
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toContain("text/javascript");
    expect((await call(base, "/console/assets/..%2Fsrc%2Fserve.ts")).status).toBe(404);
  });

  it("answers only requests addressed to loopback", async () => {
    expect(
      (await call(base, "/console/api/leads", { headers: { host: "attacker.example:80" } })).status,
    ).toBe(403);
  });

  it("gives the lead view its timeline, named error, Slack marker and the AWS console link", async () => {
    const answer = await call(base, `/console/api/leads/${FAILED}`);
    expect(answer.status).toBe(200);
    const detail = JSON.parse(answer.body);
    expect(detail.row).toMatchObject({ status: "failed", error: "OwnerNeverAssigned" });
    expect(detail.explanation).toContain("No owner file appeared");
    expect(detail.timeline.steps[0].attempts[0]).toMatchObject({
      error: "OwnerNotAssigned",
      cause: "No owner file for lead_Failed1 yet",
    });
    expect(detail.lead.name).toBe("Fail & Co <script>");
    expect(detail.records.notification).toMatchObject({ status: "sent" });
    expect(detail.slackSink).toBeUndefined();
    expect(detail.links.awsConsole).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${executionArn(FAILED)}`,
    );
    expect(detail.actions).toEqual({ redrive: true, replay: true });
  });

  it("does not offer a redrive that AWS would restart at the Fail state, and says to replay", async () => {
    const detail = JSON.parse((await call(base, `/console/api/leads/${CAUGHT}`)).body);
    expect(detail.actions).toMatchObject({ redrive: false, replay: true });
    expect(detail.actions.note).toContain("restart at the Fail state OwnerNeverAssigned");
  });

  it("refuses a redrive without the token or from another origin, and redrives with it", async () => {
    const path = `/console/api/leads/${FAILED}/redrive`;
    expect((await call(base, path, { method: "POST" })).status).toBe(403);
    const crossSite = await call(base, path, {
      method: "POST",
      headers: {
        "x-console-token": token,
        origin: "https://attacker.example",
        "sec-fetch-site": "cross-site",
      },
    });
    expect(crossSite.status).toBe(403);
    expect(sfn.count("RedriveExecution")).toBe(0);
    const host = new URL(base).host;
    const ok = await call(base, path, {
      method: "POST",
      headers: { "x-console-token": token, origin: `http://${host}`, "sec-fetch-site": "same-origin" },
    });
    expect(ok.status).toBe(200);
    expect(sfn.count("RedriveExecution")).toBe(1);
  });

  it("replays from the raw event as a new execution of the same lead", async () => {
    const answer = await call(base, `/console/api/leads/${FAILED}/replay`, {
      method: "POST",
      headers: { "x-console-token": token },
    });
    expect(answer.status).toBe(201);
    const body = JSON.parse(answer.body);
    expect(body.name).toMatch(/^lead_Failed1-replay-/);
    expect(body.url).toBe(`/console/lead/${body.name}`);
    expect(JSON.parse(sfn.executions.at(-1)?.input ?? "{}")).toMatchObject({
      leadId: FAILED,
      replayOf: FAILED,
    });
  });

  it("answers 404 for an execution that does not exist and 400 for a bad status", async () => {
    expect((await call(base, "/console/api/leads/lead_Nobody")).status).toBe(404);
    expect((await call(base, "/console/api/leads?status=bogus")).status).toBe(400);
    expect((await call(base, "/console/lead/not%20a%20name")).status).toBe(404);
  });
});

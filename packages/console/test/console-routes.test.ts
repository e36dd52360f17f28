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
  TRIAGE_ARN,
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

  it("replays with the execution's own input as a new execution of the same lead", async () => {
    const answer = await call(base, `/console/api/leads/${FAILED}/replay`, {
      method: "POST",
      headers: { "x-console-token": token },
    });
    expect(answer.status).toBe(201);
    const body = JSON.parse(answer.body);
    expect(body.name).toMatch(/^lead_Failed1-replay-/);
    expect(body.url).toBe(`/console/lead/${body.name}?flow=announce`);
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

/** ListObjectsV2 over a MemoryStore, as S3 answers it (a delimiter folds keys into common prefixes). */
function fakeS3(store: MemoryStore, modified: Map<string, number>): S3Client {
  return {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      if (command.constructor.name !== "ListObjectsV2Command") throw new Error("fake S3 lists only");
      const prefix = String(command.input.Prefix ?? "");
      const delimiter = command.input.Delimiter as string | undefined;
      const keys = [...store.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
      const prefixes = new Set<string>();
      const contents = [];
      for (const key of keys) {
        const rest = key.slice(prefix.length);
        if (delimiter && rest.includes(delimiter))
          prefixes.add(prefix + rest.slice(0, rest.indexOf(delimiter) + 1));
        else
          contents.push({
            Key: key,
            LastModified: new Date(modified.get(key) ?? 0),
            Size: store.objects.get(key)?.length,
          });
      }
      return {
        Contents: contents,
        CommonPrefixes: [...prefixes].map((Prefix) => ({ Prefix })),
        IsTruncated: false,
      };
    },
  } as unknown as S3Client;
}

describe("console with several flows", () => {
  const sfn = new FakeStepFunctions();
  const store = new MemoryStore();
  const modified = new Map<string, number>();
  const LEAD = "lead_Both9";
  const start = Date.parse("2026-11-20T14:00:00Z");
  let server: Server;
  let base: string;
  let token: string;
  const standIns = [
    {
      slug: "twilio",
      title: "Twilio",
      requests: [
        {
          id: 1,
          at: "2026-11-20T14:00:01.000Z",
          method: "POST",
          path: "/2010-04-01/Accounts/AC1/Messages.json",
          query: "",
          headers: { authorization: "[redacted]", "content-type": "application/x-www-form-urlencoded" },
          body: { To: "+15550100", Body: "URGENT lead" },
          status: 201,
        },
        {
          id: 2,
          at: "2026-11-20T14:00:02.000Z",
          method: "GET",
          path: "/v19.0/123",
          query: "access_token=EAAB-secret&fields=field_data",
          headers: { "x-api-key": "leaked-if-not-redacted" },
          status: 200,
        },
      ],
    },
  ];

  beforeAll(async () => {
    const triageOutput = JSON.stringify({
      leadId: LEAD,
      sanitized: "please call me back",
      classification: {
        label: "URGENT",
        classifier: "llm",
        prompt: "Classify…",
        rawAnswer: '{"label":"URGENT"}',
      },
    });
    sfn.executions.push(
      {
        name: LEAD,
        status: "SUCCEEDED",
        startDate: start,
        stopDate: start + 3000,
        input: JSON.stringify({ leadId: LEAD, rawKey: rawEventKey(LEAD) }),
        events: [{ type: "ExecutionStarted", timestamp: start }],
      },
      {
        stateMachineArn: TRIAGE_ARN,
        name: LEAD,
        status: "FAILED",
        startDate: start + 1,
        stopDate: start + 2000,
        error: "ServiceUnavailable",
        cause: "Twilio answered 503",
        input: JSON.stringify({ leadId: LEAD, rawKey: rawEventKey(LEAD), eventId: "ev_1" }),
        events: [
          { type: "ExecutionStarted", timestamp: start + 1 },
          {
            type: "TaskStateEntered",
            timestamp: start + 10,
            stateEnteredEventDetails: { name: "Classify", input: JSON.stringify({ leadId: LEAD }) },
          },
          { type: "LambdaFunctionScheduled", timestamp: start + 11 },
          { type: "LambdaFunctionSucceeded", timestamp: start + 20 },
          {
            type: "TaskStateExited",
            timestamp: start + 21,
            stateExitedEventDetails: { name: "Classify", output: triageOutput },
          },
          { type: "ExecutionFailed", timestamp: start + 2000 },
        ],
      },
    );
    store.objects.set(rawEventKey(LEAD), rawWebhook(LEAD, "Both Flows GmbH"));
    store.objects.set("sources/crm/rejected/2026-11-20T14-00-00Z-abc.json", '{"deal":"<b>not valid</b>"}');
    modified.set("sources/crm/rejected/2026-11-20T14-00-00Z-abc.json", start);
    store.objects.set("sources/crm/rejected/2026-11-20T15-00-00Z-def.json", "{}");
    modified.set("sources/crm/rejected/2026-11-20T15-00-00Z-def.json", start + 3_600_000);
    store.objects.set("sources/crm/deal-1-qualified.json", "{}");
    const handler = createConsole({
      sfn: sfn.asClient(),
      s3: fakeS3(store, modified),
      store,
      flows: [
        { id: "announce", title: "Announce new leads", stateMachineArn: STATE_MACHINE_ARN, source: "close" },
        { id: "triage", title: "Triage new leads", stateMachineArn: TRIAGE_ARN, source: "close" },
      ],
      bucket: "leadrelay-test",
      mode: "local",
      standIns: () => standIns,
    });
    server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(418).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    token = /name="console-token" content="([^"]+)"/.exec((await call(base, "/console")).body)?.[1] ?? "";
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("lists both flows' executions of the lead, and filters by flow", async () => {
    const page = JSON.parse((await call(base, "/console/api/leads")).body);
    expect(page.rows.map((row: { flow: string; status: string }) => [row.flow, row.status])).toEqual([
      ["triage", "failed"],
      ["announce", "notified"],
    ]);
    const triage = JSON.parse((await call(base, "/console/api/leads?flow=triage")).body);
    expect(triage.rows).toHaveLength(1);
    expect((await call(base, "/console/api/leads?flow=nope")).status).toBe(400);
    expect((await call(base, "/console")).body).toContain('<option value="triage">');
  });

  it("shows every flow's execution of the key side by side, with what each Task returned", async () => {
    const answer = await call(base, `/console/api/keys/${LEAD}`);
    expect(answer.status).toBe(200);
    const detail = JSON.parse(answer.body);
    expect(detail.flows.map((flow: { id: string }) => flow.id)).toEqual(["announce", "triage"]);
    expect(detail.primary).toEqual({ flow: "announce", name: LEAD });
    expect(detail.lead.lead.name).toBe("Both Flows GmbH");
    const triage = detail.flows[1].executions[0];
    expect(triage).toMatchObject({ flow: "triage", row: { status: "failed", error: "ServiceUnavailable" } });
    expect(triage.results).toEqual([
      {
        state: "Classify",
        fields: [
          { name: "sanitized", value: "please call me back" },
          {
            name: "classification",
            value: {
              label: "URGENT",
              classifier: "llm",
              prompt: "Classify…",
              rawAnswer: '{"label":"URGENT"}',
            },
          },
        ],
      },
    ]);
    expect(triage.actions).toMatchObject({ redrive: true, replay: true });
    expect((await call(base, "/console/key/deal-42-qualified")).status).toBe(200);
    expect((await call(base, "/console/api/keys/deal-42-qualified")).status).toBe(404);
  });

  it("replays a triage execution with its own input, and the replay joins the key's page", async () => {
    const path = `/console/api/flows/triage/executions/${LEAD}/replay`;
    expect((await call(base, path, { method: "POST" })).status).toBe(403);
    const answer = await call(base, path, { method: "POST", headers: { "x-console-token": token } });
    expect(answer.status).toBe(201);
    const replay = JSON.parse(answer.body);
    expect(replay).toMatchObject({ flow: "triage", replayOf: LEAD });
    expect(replay.name).toMatch(new RegExp(`^${LEAD}-replay-`));
    const started = sfn.executions.at(-1);
    expect(started?.stateMachineArn).toBe(TRIAGE_ARN);
    expect(JSON.parse(started?.input ?? "{}")).toEqual({
      leadId: LEAD,
      rawKey: rawEventKey(LEAD),
      eventId: "ev_1",
      replayOf: LEAD,
    });
    const detail = JSON.parse((await call(base, `/console/api/keys/${replay.name}`)).body);
    expect(detail.primary).toEqual({ flow: "triage", name: replay.name });
    expect(detail.flows[1].executions.map((execution: { name: string }) => execution.name)).toEqual([
      LEAD,
      replay.name,
    ]);
    expect(detail.flows[0].executions).toHaveLength(1);
  });

  it("shows what each stand-in received, newest first, with no credential in headers or query", async () => {
    const answer = JSON.parse((await call(base, "/console/api/stand-ins")).body);
    const twilio = answer.standIns[0];
    expect(twilio).toMatchObject({ slug: "twilio", count: 2 });
    expect(twilio.requests.map((request: { id: number }) => request.id)).toEqual([2, 1]);
    expect(JSON.stringify(answer)).not.toContain("EAAB-secret");
    expect(JSON.stringify(answer)).not.toContain("leaked-if-not-redacted");
    expect(twilio.requests[0].query).toBe("access_token=%5Bredacted%5D&fields=field_data");
    expect((await call(base, "/console/stand-ins")).status).toBe(200);
  });

  it("lists rejected deliveries newest first and serves a body as plain text only from rejected/", async () => {
    const answer = JSON.parse((await call(base, "/console/api/rejected")).body);
    const crm = answer.sources.find((source: { source: string }) => source.source === "crm");
    expect(crm.deliveries.map((delivery: { key: string }) => delivery.key)).toEqual([
      "sources/crm/rejected/2026-11-20T15-00-00Z-def.json",
      "sources/crm/rejected/2026-11-20T14-00-00Z-abc.json",
    ]);
    expect(answer.sources.map((source: { source: string }) => source.source)).toEqual(["close", "crm"]);
    const body = await call(
      base,
      `/console/api/rejected/body?key=${encodeURIComponent("sources/crm/rejected/2026-11-20T14-00-00Z-abc.json")}`,
    );
    expect(body).toMatchObject({ status: 200, body: '{"deal":"<b>not valid</b>"}' });
    expect(body.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(body.headers["x-content-type-options"]).toBe("nosniff");
    for (const key of [
      "sources/crm/deal-1-qualified.json",
      "sources/crm/rejected/../deal-1-qualified.json",
      "crm_event_x.json",
    ]) {
      expect((await call(base, `/console/api/rejected/body?key=${encodeURIComponent(key)}`)).status).toBe(
        400,
      );
    }
  });
});

import { skippedAlertMarkerKey } from "@leadrelay/core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createSlackPoster } from "../src/adapters/slack-poster";
import { createSkippedAlerter } from "../src/alerts/skipped-alert";
import { lambdaHandler } from "../src/lambda";
import { createLogger } from "../src/log";
import { ACTIONS_SKIPPED_METRIC, actionsSkippedLine, withSkipReports } from "../src/skipped-report";
import type { AslDefinition } from "../src/state-machine";
import {
  ACTIONS_ENV,
  encodeTaskActions,
  FLOW_ENV,
  parseTaskActions,
  skippedActions,
  type TaskAction,
  taskActions,
} from "../src/task-actions";
import { taskHandler } from "../src/task-handler";
import { clock, FakeSlack, MemoryStore } from "./fakes";

const silent = createLogger("test", { level: "silent" });
/**
 * A flow's shapes, in small: a Task whose action's record is nested in its result (triage's
 * RecordOutcome), one behind a ResultSelector naming the whole result (triage's EmailLead), one in a
 * Parallel branch (TextOnCall), one Lambda that two states play for two actions (deal-stage's
 * SendConversion), and a Task that performs no action. stacks/test/flow-actions.test.ts checks every
 * real flow.
 */
const task = (placeholder: string, more: Record<string, unknown> = {}) => ({
  Type: "Task",
  Resource: `\${${placeholder}}`,
  ...more,
});
const DEFINITION: AslDefinition = {
  StartAt: "Fetch",
  States: {
    Fetch: task("Fetch", { ResultPath: "$.fetched", Next: "Lead" }),
    Lead: task("Conversion", { ResultPath: "$.leadEvent", Next: "Both" }),
    Both: {
      Type: "Parallel",
      ResultPath: "$.actions",
      Next: "Email",
      Branches: [
        {
          StartAt: "Sms",
          States: { Sms: task("Sms", { ResultPath: "$.result", OutputPath: "$.result", End: true }) },
        },
        { StartAt: "Purchase", States: { Purchase: task("Conversion", { End: true }) } },
      ],
    },
    Email: task("Email", { ResultSelector: { "email.$": "$" }, ResultPath: "$.sent", Next: "Record" }),
    Record: task("Record", { ResultPath: "$.outcome", End: true }),
  },
};
const FLOW = {
  tasks: Object.fromEntries(
    ["Fetch", "Conversion", "Sms", "Email", "Record"].map((id) => [id, { id, handler: `x/${id}.handler` }]),
  ),
  actions: [
    { id: "lead-event", title: "Report a Lead", states: ["Lead"], result: "$.leadEvent" },
    { id: "sms", title: "Text the on-call rep", states: ["Sms"], result: "$.actions[0]" },
    { id: "purchase-event", title: "Report a Purchase", states: ["Purchase"], result: "$.actions[1]" },
    { id: "email", title: "Email the lead", states: ["Email"], result: "$.sent.email" },
    { id: "crm", title: "Record the outcome", states: ["Record"], result: "$.outcome.crm" },
  ].map((action) => ({ vendor: "x", requires: [], ...action })),
};
const actionsOf = (placeholder: string) => taskActions(FLOW, DEFINITION, placeholder);

describe("which actions a Task's Lambda performs (from the flow's actions and its definition)", () => {
  it("finds an action nested in a Task's result (`$.outcome.crm` is `crm` of the result)", () => {
    expect(actionsOf("Record")).toEqual([{ id: "crm", title: "Record the outcome", at: "$.crm" }]);
  });

  it("sees through a ResultSelector that names the whole result, and a Parallel branch that passes it on", () => {
    expect(actionsOf("Email")).toMatchObject([{ id: "email", at: "$" }]);
    expect(actionsOf("Sms")).toMatchObject([{ id: "sms", at: "$" }]);
  });

  it("lists both actions of a Lambda that two states play", () => {
    expect(actionsOf("Conversion").map((action) => action.id)).toEqual(["lead-event", "purchase-event"]);
  });

  it("gives nothing to a Lambda that performs no declared action", () => {
    expect(actionsOf("Fetch")).toEqual([]);
  });

  it("round-trips through the environment; a bad value reports nothing rather than failing the Task", () => {
    const actions = actionsOf("Record");
    expect(parseTaskActions(encodeTaskActions(actions))).toEqual(actions);
    expect(parseTaskActions("not json")).toEqual([]);
    expect(parseTaskActions(undefined)).toEqual([]);
  });
});

describe("a skipped action in a Task's result", () => {
  const sms: TaskAction[] = [{ id: "sms", title: "Text the on-call rep", at: "$" }];
  const crm: TaskAction[] = [{ id: "crm", title: "Record the outcome in Close", at: "$.crm" }];
  const conversions = actionsOf("Conversion");

  it("is read where the action's record is, with its reason", () => {
    expect(
      skippedActions({ action: "sms", status: "skipped", reason: "TWILIO_AUTH_TOKEN is not set" }, sms),
    ).toEqual([{ id: "sms", title: "Text the on-call rep", reason: "TWILIO_AUTH_TOKEN is not set" }]);
    expect(
      skippedActions(
        { failed: false, crm: { action: "crm", status: "skipped", reason: "crm is not in TRIAGE_ACTIONS" } },
        crm,
      ),
    ).toMatchObject([{ id: "crm", reason: "crm is not in TRIAGE_ACTIONS" }]);
  });

  it("is told apart by the record's `action` when one Lambda performs two", () => {
    const skipped = {
      ok: true,
      action: "purchase-event",
      status: "skipped",
      reason: "META_ACCESS_TOKEN is not set",
    };
    expect(skippedActions(skipped, conversions)).toMatchObject([{ id: "purchase-event" }]);
    expect(skippedActions({ ...skipped, action: undefined }, conversions)).toEqual([]);
  });

  it("is not found in a result that did the action, or has nothing there", () => {
    expect(skippedActions({ action: "sms", status: "sent", at: "2026-12-07T00:00:00Z" }, sms)).toEqual([]);
    expect(skippedActions({ failed: false }, crm)).toEqual([]);
    expect(skippedActions(null, sms)).toEqual([]);
  });
});

describe("the ActionsSkipped embedded metric", () => {
  it("is one CloudWatch EMF line: namespace, both dimension sets, the metric, each dimension a root member", () => {
    const line = actionsSkippedLine(
      { stage: "prod", flow: "triage", action: "sms", reason: "TWILIO_AUTH_TOKEN is not set" },
      1_795_000_000_000,
    );
    expect(line).not.toContain("\n");
    const emf = JSON.parse(line);
    expect(emf._aws).toEqual({
      Timestamp: 1_795_000_000_000,
      CloudWatchMetrics: [
        {
          Namespace: "leadrelay",
          Dimensions: [
            ["Stage", "Flow", "Action"],
            ["Stage", "Flow"],
          ],
          Metrics: [{ Name: "ActionsSkipped", Unit: "Count" }],
        },
      ],
    });
    // The specification: every dimension and metric a directive names is a member of the root.
    for (const directive of emf._aws.CloudWatchMetrics) {
      for (const name of directive.Dimensions.flat()) expect(typeof emf[name], name).toBe("string");
      for (const metric of directive.Metrics) expect(emf[metric.Name]).toBe(1);
    }
    expect(emf).toMatchObject({
      Stage: "prod",
      Flow: "triage",
      Action: "sms",
      reason: "TWILIO_AUTH_TOKEN is not set",
    });
  });

  describe("from a Task Lambda (taskHandler)", () => {
    let lines: string[];
    beforeEach(() => {
      lines = [];
      vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    });
    afterEach(() => {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
    });
    const task = (result: unknown) =>
      taskHandler(
        "test-send-sms",
        () => async () => result,
        async () => ({
          getParameters: async () => ({ values: {}, invalid: [] }),
        }),
      );
    const metricLines = () =>
      lines
        .filter((line) => line.includes('"_aws"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);

    it("logs one line per skipped action, with the stage SST gives the function", async () => {
      vi.stubEnv("SST_STAGE", "prod");
      vi.stubEnv(FLOW_ENV, "triage");
      vi.stubEnv(ACTIONS_ENV, encodeTaskActions(actionsOf("Sms")));
      vi.stubEnv("LOG_LEVEL", "silent");
      const skipped = { action: "sms", status: "skipped", reason: "TWILIO_AUTH_TOKEN is not set" };
      await expect(task(skipped)({}, {} as never)).resolves.toEqual(skipped);
      expect(metricLines()).toMatchObject([
        { Stage: "prod", Flow: "triage", Action: "sms", [ACTIONS_SKIPPED_METRIC]: 1 },
      ]);
    });

    it("is a Task's only: a plain lambdaHandler (a source's ingest) reports nothing", async () => {
      vi.stubEnv(FLOW_ENV, "triage");
      vi.stubEnv(ACTIONS_ENV, encodeTaskActions(actionsOf("Sms")));
      vi.stubEnv("LOG_LEVEL", "silent");
      const plain = lambdaHandler(
        "test-ingest",
        () => async () => ({ action: "sms", status: "skipped", reason: "x" }),
        async () => ({ getParameters: async () => ({ values: {}, invalid: [] }) }),
      );
      await plain({}, {} as never);
      expect(metricLines()).toEqual([]);
    });

    it("logs none when the action was done, or the Lambda performs no action", async () => {
      vi.stubEnv(FLOW_ENV, "triage");
      vi.stubEnv(ACTIONS_ENV, encodeTaskActions(actionsOf("Sms")));
      vi.stubEnv("LOG_LEVEL", "silent");
      await task({ action: "sms", status: "sent", at: "2026-12-07T00:00:00Z" })({}, {} as never);
      vi.stubEnv(ACTIONS_ENV, "");
      await task({ action: "sms", status: "skipped", reason: "x" })({}, {} as never);
      expect(metricLines()).toEqual([]);
    });
  });
});

describe("LEADRELAY_ALERT_ON_SKIPPED: the skipping Task alerts", () => {
  let slack: FakeSlack;
  let store: MemoryStore;
  beforeAll(async () => {
    slack = await new FakeSlack().start();
  });
  afterAll(async () => {
    await slack.close();
  });
  beforeEach(() => {
    slack.reset();
    store = new MemoryStore();
  });

  const sms = actionsOf("Sms");
  const skipped = { action: "sms", status: "skipped", reason: "TWILIO_AUTH_TOKEN is not set" };
  const link = "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/statemachines";
  const reported = (log = silent) =>
    withSkipReports(async (_input: unknown) => skipped, {
      flow: "triage",
      actions: sms,
      log,
      alert: createSkippedAlerter(
        { store, slack: createSlackPoster(slack.url, { timeoutMs: 500 }), clock },
        { flow: "triage", link },
      ),
    });

  it("posts one Slack alert naming the flow, the action and the reason, linking to the flow's executions", async () => {
    await reported()({ leadId: "lead_1" });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toBe(
      "leadrelay: triage: Text the on-call rep skipped (TWILIO_AUTH_TOKEN is not set)",
    );
    const posted = JSON.stringify(slack.messages[0]);
    expect(posted).toContain("*Action*\\nText the on-call rep (sms)");
    expect(posted).toContain(`<${link}|Open the flow's executions>`);
    expect(store.keys()).toEqual([
      skippedAlertMarkerKey("triage", "sms", JSON.stringify({ leadId: "lead_1" })),
    ]);
  });

  it("alerts once per Task input: the Task retried (or redriven) with the same input sends nothing more", async () => {
    const task = reported();
    await task({ leadId: "lead_1" });
    await task({ leadId: "lead_1" });
    await reported()({ leadId: "lead_1" });
    expect(slack.messages).toHaveLength(1);
    await task({ leadId: "lead_2" });
    expect(slack.messages).toHaveLength(2);
  });

  it("never fails the Task when Slack refuses; the next run of the Task sends it", async () => {
    slack.script = [500];
    const errors: string[] = [];
    const log = createLogger("test", { level: "error", write: (line) => errors.push(line) });
    await expect(reported(log)({ leadId: "lead_1" })).resolves.toEqual(skipped);
    expect(slack.messages).toHaveLength(0);
    expect(errors.join("\n")).toContain("skipped action alert not delivered");
    await reported()({ leadId: "lead_1" });
    expect(slack.messages).toHaveLength(1);
  });
});

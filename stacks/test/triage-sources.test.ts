import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { triageFlow } from "../../packages/flows/triage/src/flow";
import { type StageSynth, synthesized, synthesizeStage, TEST_ENV } from "./synth";
import { AppTemplates, grants } from "./template-queries";

/**
 * Triage's least privilege follows TRIAGE_SOURCES: each CRM's read and record Tasks are their own
 * Lambdas binding only their CRM's secret and drawing on their CRM's budget, and only the chosen
 * CRMs' Tasks exist. Three synthesized stages: the test stage (close,hubspot), the retained stage
 * (the default, Close only) and a HubSpot-only stage (triage alone, unbundled).
 */

const synth = await synthesized();
/** Triage's CRM Tasks by their TaskSpec id (a Lambda's logical id is `Triage<id>…`, bundled or not). */
const HANDLERS = {
  closeRead: "FetchLead",
  closeRecord: "RecordOutcome",
  hubspotRead: "FetchHubSpotContact",
  hubspotRecord: "RecordInHubSpot",
} as const;
const TASK_IDS = Object.values(triageFlow.tasks).map((task) => task.id);

/** Triage's Lambdas of a stage by Task id: their secrets (SST bindings), grants and budget calls. */
function triageFunctions(app: AppTemplates) {
  return app.resources("AWS::Lambda::Function").flatMap(({ id }) => {
    const task = TASK_IDS.find((taskId) => new RegExp(`Triage${taskId}[0-9A-F]{8}$`).test(id));
    if (!task) return [];
    const environment = app.environmentOf(id);
    return [
      {
        handler: task,
        secrets: Object.keys(environment)
          .filter((name) => name.startsWith("SST_Secret_value_"))
          .map((name) => name.replace("SST_Secret_value_", ""))
          .sort(),
        ssm: grants(app.functionAccess(id).statements).filter((line) => line.startsWith("ssm:")),
        budgetCalls: environment.BUDGET_CALLS ? (JSON.parse(environment.BUDGET_CALLS) as object) : undefined,
      },
    ];
  });
}
const byHandler = (functions: ReturnType<typeof triageFunctions>, handler: string) =>
  functions.find((fn) => fn.handler === handler);
const definitionOf = (app: AppTemplates) => {
  const machine = app
    .resources("AWS::StepFunctions::StateMachine")
    .find(({ resource }) => String(resource.Properties?.StateMachineName).endsWith("-leadrelay-triage"));
  return JSON.parse(app.render(machine?.resource.Properties?.DefinitionString)) as {
    StartAt: string;
    States: Record<string, { Type: string }>;
  };
};

describe("TRIAGE_SOURCES=close,hubspot (the test stage)", () => {
  const app = new AppTemplates(synth.test);
  const functions = triageFunctions(app);

  it("Close's Tasks bind CLOSE_API_KEY only and draw on Close's budget; HubSpot's bind HUBSPOT_TOKEN only and draw on HubSpot's", () => {
    for (const [handler, secret, budget] of [
      [HANDLERS.closeRead, "CLOSE_API_KEY", { close: 1 }],
      [HANDLERS.closeRecord, "CLOSE_API_KEY", { close: 2 }],
      [HANDLERS.hubspotRead, "HUBSPOT_TOKEN", { hubspot: 1 }],
      [HANDLERS.hubspotRecord, "HUBSPOT_TOKEN", { hubspot: 2 }],
    ] as const) {
      const fn = byHandler(functions, handler);
      expect(fn, handler).toBeDefined();
      expect(
        functions.filter((other) => other.handler === handler),
        handler,
      ).toHaveLength(1);
      expect(
        fn?.secrets.filter((name) => /CLOSE_API_KEY|HUBSPOT_TOKEN/.test(name)),
        handler,
      ).toEqual([secret]);
      expect(
        fn?.ssm.some((line) => line.includes(`/Secret/${secret}/`)),
        handler,
      ).toBe(true);
      expect(fn?.budgetCalls, handler).toEqual(budget);
    }
    // No other triage Lambda holds either CRM's key.
    const others = functions.filter((fn) => !Object.values(HANDLERS).includes(fn.handler as never));
    expect(
      others.flatMap((fn) => fn.secrets).filter((name) => /CLOSE_API_KEY|HUBSPOT_TOKEN/.test(name)),
    ).toEqual([]);
  });

  it("the state machine chooses the CRM by the lead id before reading and before recording", () => {
    const definition = definitionOf(app);
    expect(definition.StartAt).toBe("ByCrm");
    expect(definition.States.ByCrm?.Type).toBe("Choice");
    expect(definition.States.RecordByCrm?.Type).toBe("Choice");
  });
});

describe("TRIAGE_SOURCES unset (Close only, the retained stage)", () => {
  const app = new AppTemplates(synth.retained);
  const functions = triageFunctions(app);

  it("no HubSpot Task, no triage Lambda with HUBSPOT_TOKEN, the ASL file as it is", () => {
    expect(byHandler(functions, HANDLERS.hubspotRead)).toBeUndefined();
    expect(byHandler(functions, HANDLERS.hubspotRecord)).toBeUndefined();
    expect(byHandler(functions, HANDLERS.closeRead)?.secrets).toContain("CLOSE_API_KEY");
    expect(functions.flatMap((fn) => fn.secrets)).not.toContain("HUBSPOT_TOKEN");
    const definition = definitionOf(app);
    expect(definition.StartAt).toBe("FetchLead");
    expect(Object.keys(definition.States)).not.toContain("ByCrm");
  });
});

describe("TRIAGE_SOURCES=hubspot (a HubSpot-only stage)", () => {
  let outDir: string;
  let stage: StageSynth;
  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), "leadrelay-synth-hubspot-"));
    stage = await synthesizeStage(outDir, "hubspot", "remove", {
      ...TEST_ENV,
      LEADRELAY_FLOWS: "triage",
      TRIAGE_SOURCES: "hubspot",
      CLOSE_API_KEY: undefined,
    });
  }, 300_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("needs no Close key: no Close Task, route or secret anywhere; HubSpot's Tasks bind HUBSPOT_TOKEN", () => {
    const app = new AppTemplates(stage.templates);
    const functions = triageFunctions(app);
    expect(byHandler(functions, HANDLERS.closeRead)).toBeUndefined();
    expect(byHandler(functions, HANDLERS.closeRecord)).toBeUndefined();
    expect(byHandler(functions, HANDLERS.hubspotRead)?.secrets).toEqual(["HUBSPOT_TOKEN"]);
    expect(byHandler(functions, HANDLERS.hubspotRecord)?.secrets).toEqual(["HUBSPOT_TOKEN"]);
    const template = JSON.stringify(stage.templates);
    expect(template).not.toContain("CLOSE_API_KEY");
    expect(template).not.toContain("CLOSE_WEBHOOK_SECRET");
    const routes = app
      .resources("AWS::ApiGatewayV2::Route")
      .map(({ resource }) => String(resource.Properties?.RouteKey));
    expect(routes).toContain("POST /webhook/hubspot");
    expect(routes).not.toContain("POST /webhook/close");
    const definition = definitionOf(app);
    expect(definition.StartAt).toBe("FetchHubSpotContact");
    expect(Object.keys(definition.States)).not.toContain("FetchLead");
    expect(Object.keys(definition.States)).not.toContain("RecordOutcome");
    expect(Object.keys(definition.States)).toContain("RecordInHubSpot");
  });
});

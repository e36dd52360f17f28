import { describe, expect, it } from "vitest";
import { triageFlow } from "../../flows/triage/src/flow";
import {
  BUDGET_CALLBACK_RESOURCE,
  BUDGET_TASK_TIMEOUT_SECONDS,
  configuredDefinition,
} from "../src/flow-spec";
import { stateNamed, taskPlaceholders } from "../src/state-machine";
import { applicableBudgets, parseRate, readRateLimit, verdictOfAnswer } from "../src/vendor-budget";

describe("budget settings", () => {
  it("reads count/window in ms, s, m or h, and names the variable when it is wrong", () => {
    expect(parseRate("20/1s")).toEqual({ count: 20, windowMs: 1000 });
    expect(parseRate("100/10s")).toEqual({ count: 100, windowMs: 10_000 });
    expect(parseRate("200/1m")).toEqual({ count: 200, windowMs: 60_000 });
    expect(parseRate("5/250ms")).toEqual({ count: 5, windowMs: 250 });
    expect(parseRate("4/s")).toEqual({ count: 4, windowMs: 1000 });
    for (const bad of ["", "20", "0/1s", "20/0s", "x/1s", "20/25h", "-1/1s", "20/1 s/2"]) {
      expect(() => parseRate(bad, "CLOSE_RATE_LIMIT"), bad).toThrow(/CLOSE_RATE_LIMIT must be count\/window/);
    }
  });

  it("applies a set variable, or the documented default when the base URL is the vendor's (or unset, as on AWS); stand-ins are unlimited", () => {
    // Locally every base URL points at a stand-in: nothing applies unless told.
    const local = {
      CLOSE_API_BASE_URL: "http://127.0.0.1:3000/_local/close",
      HUBSPOT_BASE_URL: "http://127.0.0.1:3000/_local/hubspot",
      ZENDESK_BASE_URL: "http://127.0.0.1:3000/_local/zendesk",
      BREVO_BASE_URL: "http://127.0.0.1:3000/_local/brevo",
    };
    expect([...applicableBudgets(local)]).toEqual([]);
    expect(Object.fromEntries(applicableBudgets({ ...local, CLOSE_RATE_LIMIT: "10/1s" }))).toEqual({
      close: { count: 10, windowMs: 1000 },
    });
    // On AWS nothing is set: the vendors' own hosts, with their smallest plan's limits.
    expect(Object.fromEntries(applicableBudgets({}))).toEqual({
      close: { count: 20, windowMs: 1000 },
      hubspot: { count: 100, windowMs: 10_000 },
      "hubspot-search": { count: 4, windowMs: 1000 },
      zendesk: { count: 200, windowMs: 60_000 },
      brevo: { count: 1000, windowMs: 1000 },
    });
    expect(applicableBudgets({ ZENDESK_BASE_URL: "https://acme.zendesk.com" }).get("zendesk")).toEqual({
      count: 200,
      windowMs: 60_000,
    });
    expect(() => applicableBudgets({ HUBSPOT_RATE_LIMIT: "lots" })).toThrow(/HUBSPOT_RATE_LIMIT/);
  });
});

/** An ASL `${Name}` placeholder (the template-literal lint would read it as a mistake). */
const placeholder = (name: string) => `\${${name}}`;

describe("withVendorBudgets (through configuredDefinition)", () => {
  // As the local runtime runs: every vendor's base URL is its stand-in's.
  const local = Object.fromEntries(
    ["CLOSE_API_BASE_URL", "HUBSPOT_BASE_URL", "ZENDESK_BASE_URL", "BREVO_BASE_URL"].map((name) => [
      name,
      "http://127.0.0.1:1/_local/x",
    ]),
  );

  it("leaves the ASL as it is when no budget applies", () => {
    expect(configuredDefinition(triageFlow, local)).toEqual(triageFlow.asl);
  });

  it("makes each Task whose vendor has a budget a callback Task on its queue, keeping its input, Retry, Catch and ResultPath", () => {
    const definition = configuredDefinition(triageFlow, { ...local, CLOSE_RATE_LIMIT: "10/1s" });
    const original = stateNamed(triageFlow.asl, "FetchLead");
    const fetchLead = stateNamed(definition, "FetchLead");
    expect(fetchLead).toEqual({
      ...original,
      Resource: BUDGET_CALLBACK_RESOURCE,
      TimeoutSeconds: BUDGET_TASK_TIMEOUT_SECONDS,
      Parameters: {
        QueueUrl: placeholder("FetchLeadFunctionArnBudgetQueue"),
        MessageBody: { "taskToken.$": "$$.Task.Token", task: "FetchLead", input: original?.Parameters },
      },
    });
    expect(stateNamed(definition, "RecordOutcome")?.Resource).toBe(BUDGET_CALLBACK_RESOURCE);
    // Tasks of other vendors stay Lambda Tasks.
    expect(stateNamed(definition, "Classify")?.Resource).toBe(placeholder("ClassifyFunctionArn"));
    expect(stateNamed(definition, "TextOnCall")?.Resource).toBe(placeholder("SendSmsFunctionArn"));
    // The runtime and the stacks still find which Lambda plays each Task.
    expect(taskPlaceholders(definition, Object.keys(triageFlow.tasks))).toMatchObject({
      FetchLead: "FetchLeadFunctionArn",
      RecordOutcome: "RecordOutcomeFunctionArn",
      Classify: "ClassifyFunctionArn",
    });
    // The flow's own ASL object is never changed.
    expect(stateNamed(triageFlow.asl, "FetchLead")?.Resource).toBe(placeholder("FetchLeadFunctionArn"));
  });
});

describe("what a vendor's answer says", () => {
  it("reads Close's RateLimit, Brevo's x-sib-ratelimit-*, HubSpot's and Zendesk's headers", () => {
    expect(readRateLimit(new Headers({ ratelimit: "limit=100, remaining=50, reset=5" }))).toEqual({
      limit: 100,
      remaining: 50,
      resetSeconds: 5,
    });
    expect(
      readRateLimit(
        new Headers({
          "x-sib-ratelimit-limit": "10",
          "x-sib-ratelimit-remaining": "0",
          "x-sib-ratelimit-reset": "3",
        }),
      ),
    ).toEqual({ limit: 10, remaining: 0, resetSeconds: 3 });
    expect(
      readRateLimit(
        new Headers({
          "x-hubspot-ratelimit-max": "100",
          "x-hubspot-ratelimit-remaining": "7",
          "x-hubspot-ratelimit-interval-milliseconds": "10000",
        }),
      ),
    ).toEqual({ limit: 100, remaining: 7, resetSeconds: 10 });
    expect(readRateLimit(new Headers({ "x-rate-limit": "200", "x-rate-limit-remaining": "3" }))).toEqual({
      limit: 200,
      remaining: 3,
      resetSeconds: 60,
    });
    expect(readRateLimit(new Headers())).toEqual({});
  });

  it("a 429 holds until its reset (1 s when the vendor gives none, as Twilio's 20429); a used-up quota stops", () => {
    const now = 1_000;
    const limited = { name: "ServiceRateLimited", retryAfterSeconds: 4, message: "slow" };
    expect(verdictOfAnswer({ error: limited }, now)).toEqual({ pauseUntil: 5_000 });
    expect(verdictOfAnswer({ error: { name: "ServiceRateLimited" } }, now)).toEqual({ pauseUntil: 2_000 });
    expect(
      verdictOfAnswer({ error: { name: "ServiceQuotaExhausted", message: "hubspot quota is used up" } }, now),
    ).toEqual({ quota: "hubspot quota is used up" });
    expect(
      verdictOfAnswer({ headers: new Headers({ ratelimit: "limit=10, remaining=2, reset=0.5" }) }, now),
    ).toEqual({ allowance: { remaining: 2, resetAt: 1_500 }, rate: { count: 10, windowMs: 1000 } });
  });
});

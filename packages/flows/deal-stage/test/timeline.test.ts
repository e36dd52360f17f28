import { buildTimeline, formatTimeline } from "@leadrelay/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Runtime } from "../../../local/src/runtime";
import { startTestRuntime } from "../../../local/test/harness";
import { dealBody } from "./fixtures";
import { engineOf, FLOW, historyOf, postDeal } from "./local-runtime";

/** A Committed deal's CommittedActions Parallel as the CLI and the console read it: each branch's result on its own Task. */

let runtime: Runtime;

beforeAll(async () => {
  runtime = await startTestRuntime({ flows: FLOW, env: { DEFAULT_PHONE_COUNTRY_CODE: "1" } });
});
afterAll(async () => {
  await runtime?.stop();
});

describe("a successful Committed deal", () => {
  it("shows both branches succeeded, the Purchase result on SendPurchase and the email's on SendPropertyEmail", async () => {
    const body = dealBody("deal-committed", (data) => {
      data.dealId = "TL-1";
    });
    expect((await postDeal(runtime, body)).status).toBe(202);
    await engineOf(runtime).settled("deal-TL-1-committed");
    const timeline = buildTimeline(await historyOf(runtime, "deal-TL-1-committed"));

    expect(timeline.status).toBe("succeeded");
    expect(timeline.steps.every((step) => step.status === "done")).toBe(true);
    const purchase = timeline.steps.find((step) => step.state === "SendPurchase");
    const email = timeline.steps.find((step) => step.state === "SendPropertyEmail");
    expect(purchase?.branch).toEqual({ state: "CommittedActions", kind: "Parallel", index: 0 });
    expect(email?.branch).toEqual({ state: "CommittedActions", kind: "Parallel", index: 1 });
    expect(purchase?.output).toMatch(/Purchase/);
    expect(email?.output).not.toMatch(/Purchase/);
    expect(formatTimeline(timeline).join("\n")).not.toMatch(/…/);
  });
});

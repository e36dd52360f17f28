import { describe, expect, it } from "vitest";
import { failDeadLetters, sourceOf } from "../src/budget-dead-letters";
import { createLogger } from "../src/log";

/**
 * The consumer of the budget dead-letter queues, against a local fake of Step Functions: a message
 * its Task's consumer failed on five times fails that Task at once (`BudgetDeliveryFailed`, a
 * Lambda-shaped cause) instead of leaving the execution to its hour-long callback timeout, and
 * each dead letter is counted once in an EMF metric the stacks alarm on.
 */

const QUEUE = "prod-leadrelay-triage-FetchLead";
const SOURCE_ARN = `arn:aws:sqs:us-east-1:123456789012:${QUEUE}`;

function harness(options: { fail?: (token: string) => Promise<void> } = {}) {
  const failed: Array<{ token: string; error: string; cause: Record<string, unknown> }> = [];
  const lines: Array<Record<string, unknown>> = [];
  const consume = (bodies: string[]) =>
    failDeadLetters(
      {
        Records: bodies.map((body, i) => ({
          messageId: `m${i}`,
          body,
          attributes: { DeadLetterQueueSourceArn: SOURCE_ARN },
        })),
      },
      {
        stage: "prod",
        now: () => 1_700_000_000_000,
        log: createLogger("test", { level: "debug", write: (line) => lines.push(JSON.parse(line)) }),
        fail: async (token, error, cause) => {
          await options.fail?.(token);
          failed.push({ token, error, cause: JSON.parse(cause) });
        },
      },
    );
  return { consume, failed, lines };
}

const message = (taskToken: string) =>
  JSON.stringify({ taskToken, task: "FetchLead", input: { leadId: "lead_1" } });
const metricLines = (lines: Array<Record<string, unknown>>) => lines.filter((line) => "_aws" in line);

describe("the budget dead-letter consumer", () => {
  it("fails the waiting Task at once with BudgetDeliveryFailed and a Lambda-shaped cause naming the queue", async () => {
    const { consume, failed } = harness();
    const result = await consume([message("token-1")]);
    expect(result.batchItemFailures).toEqual([]);
    expect(failed).toEqual([
      {
        token: "token-1",
        error: "BudgetDeliveryFailed",
        cause: {
          errorType: "BudgetDeliveryFailed",
          errorMessage: expect.stringContaining(`The budget queue ${QUEUE} could not deliver`),
        },
      },
    ]);
    expect(String(failed[0]?.cause.errorMessage)).toContain("all 5 deliveries");
  });

  it("counts each dead letter once in the BudgetDeliveryFailed metric (EMF), by stage and queue and by stage alone", async () => {
    const { consume, lines } = harness();
    await consume([message("a"), message("b")]);
    const metrics = metricLines(lines);
    expect(metrics).toHaveLength(2);
    expect(metrics[0]).toMatchObject({
      level: "error",
      Stage: "prod",
      Queue: QUEUE,
      BudgetDeliveryFailed: 1,
      _aws: {
        Timestamp: 1_700_000_000_000,
        CloudWatchMetrics: [
          {
            Namespace: "leadrelay",
            Dimensions: [["Stage", "Queue"], ["Stage"]],
            Metrics: [{ Name: "BudgetDeliveryFailed", Unit: "Count" }],
          },
        ],
      },
    });
  });

  it("drops a dead letter whose Task no longer waits (timed out, stopped), counted, not redelivered", async () => {
    const { consume, failed, lines } = harness({
      fail: async () => {
        throw Object.assign(new Error("Task Timed Out"), { name: "TaskTimedOut" });
      },
    });
    const result = await consume([message("late")]);
    expect(result.batchItemFailures).toEqual([]);
    expect(failed).toEqual([]);
    expect(metricLines(lines).map((line) => line.outcome)).toEqual(["late"]);
  });

  it("keeps the message (partial batch response) when Step Functions fails, without counting it yet", async () => {
    const { consume, lines } = harness({
      fail: async (token) => {
        if (token === "b") throw Object.assign(new Error("throttled"), { name: "ThrottlingException" });
      },
    });
    const result = await consume([message("a"), message("b")]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "m1" }]);
    expect(metricLines(lines).map((line) => line.outcome)).toEqual(["failed"]);
  });

  it("a dead letter with no task token cannot fail anything: dropped and counted (its alarm still fires)", async () => {
    const { consume, failed, lines } = harness();
    const result = await consume(["not json", JSON.stringify({ input: 1 })]);
    expect(result.batchItemFailures).toEqual([]);
    expect(failed).toEqual([]);
    expect(metricLines(lines).map((line) => line.outcome)).toEqual(["dropped", "dropped"]);
  });

  it("names the budget queue SQS says the dead letter came from, else the Task the message names", () => {
    const body = { taskToken: "t", task: "FetchLead", input: 1 };
    const record = { messageId: "m", body: "" };
    expect(sourceOf({ ...record, attributes: { DeadLetterQueueSourceArn: SOURCE_ARN } }, body)).toBe(QUEUE);
    expect(sourceOf(record, body)).toBe("FetchLead");
    expect(sourceOf(record, undefined)).toBe("unknown");
  });
});

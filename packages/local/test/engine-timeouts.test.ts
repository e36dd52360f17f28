import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRANSIENT_TASK_ERRORS } from "@leadrelay/functions/flow-spec";
import { describe, expect, it } from "vitest";
import { LocalStepFunctions } from "../src/local-step-functions";

const ARN = "arn:aws:lambda:us-east-1:000000000000:function:hangs";

/** One Task that retries what every flow's Tasks retry, played by a handler that hangs `hangs` times. */
function engine(options: { hangs: number; taskSeconds: number; lambdaSeconds: number }) {
  let calls = 0;
  const machine = new LocalStepFunctions({
    definition: {
      StartAt: "Work",
      States: {
        Work: {
          Type: "Task",
          Resource: ARN,
          TimeoutSeconds: options.taskSeconds,
          Retry: [{ ErrorEquals: [...TRANSIENT_TASK_ERRORS], IntervalSeconds: 1, MaxAttempts: 3 }],
          End: true,
        },
      },
    },
    stateMachineName: "timeouts",
    handlers: {
      Work: async () => {
        calls += 1;
        if (calls <= options.hangs) await new Promise(() => {});
        return { ok: true };
      },
    },
    resources: { Work: ARN },
    lambdaTimeouts: { Work: options.lambdaSeconds },
    retryIntervalMs: 10,
    executionsDir: mkdtempSync(join(tmpdir(), "leadrelay-timeouts-")),
  });
  return { machine, calls: () => calls };
}

async function run(options: { hangs: number; taskSeconds: number; lambdaSeconds: number }) {
  const { machine, calls } = engine(options);
  await machine.startExecution({ stateMachineArn: machine.stateMachineArn, name: "e1", input: "{}" });
  const record = await machine.settled("e1");
  await machine.close();
  const failures = (record?.events ?? []).filter((event) =>
    /LambdaFunction(Failed|TimedOut)/.test(event.type),
  );
  return { record, failures, calls: calls() };
}

describe("a hung handler ends as it would on AWS, and is retried", () => {
  it("the Lambda's timeout first (the usual case): TimeoutError, as middy reports it, then a retry", async () => {
    const { record, failures, calls } = await run({ hangs: 1, taskSeconds: 30, lambdaSeconds: 0.2 });
    expect(record?.status).toBe("SUCCEEDED");
    expect(failures.map((event) => event.type)).toEqual(["LambdaFunctionFailed"]);
    expect(JSON.stringify(failures[0])).toContain('"error":"TimeoutError"');
    expect(calls).toBe(2);
  });

  it("a Task timeout below the Lambda's: States.Timeout, then a retry", async () => {
    const { record, failures } = await run({ hangs: 1, taskSeconds: 1, lambdaSeconds: 20 });
    expect(record?.status).toBe("SUCCEEDED");
    expect(failures.map((event) => event.type)).toEqual(["LambdaFunctionTimedOut"]);
  });
});

import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TRANSIENT_TASK_ERRORS } from "../src/flow-spec";
import { lambdaHandler } from "../src/lambda";
import { type ParameterStore, resolveSecrets, SecretsUnavailable } from "../src/sst-secrets";

/**
 * #22 finding 4: a cold start that cannot read its SST secrets (SSM GetParameters throttled, a bound
 * optional secret deleted after the deploy) fails with one literal name every Task retries, and the
 * next attempt on the same container reads them again instead of failing the same way forever.
 */

const OWN = "/sst/leadrelay/prod/Secret/SLACK_WEBHOOK_URL/value";
const FALLBACK = "/sst/leadrelay/.fallback/Secret/SLACK_WEBHOOK_URL/value";
const BOUND = {
  SST_APP: "leadrelay",
  SST_STAGE: "prod",
  SST_SSM_PREFIX: "/sst/leadrelay/prod/",
  SST_Secret_value_SLACK_WEBHOOK_URL: "__FETCH_FROM_SSM__",
};

class ThrottlingException extends Error {
  override readonly name = "ThrottlingException";
}

/** An SSM stand-in: the parameters it holds, scripted failures first, every call recorded. */
function ssm(parameters: Record<string, string>, failures: Error[] = []) {
  const calls: string[][] = [];
  const store: ParameterStore = {
    async getParameters(names) {
      calls.push(names);
      const failure = failures.shift();
      if (failure) throw failure;
      const values: Record<string, string> = {};
      for (const name of names) {
        const value = parameters[name];
        if (value !== undefined) values[name] = value;
      }
      return { values, invalid: names.filter((name) => !(name in parameters)) };
    },
  };
  return { store, calls };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("cold start: SST secrets", () => {
  it("SecretsUnavailable is retried by every Task (it is one of TRANSIENT_TASK_ERRORS)", () => {
    expect(TRANSIENT_TASK_ERRORS).toContain("SecretsUnavailable");
  });

  it("a throttled GetParameters fails the invocation as SecretsUnavailable; the retry on the same container succeeds", async () => {
    for (const [key, value] of Object.entries(BOUND)) vi.stubEnv(key, value);
    const { store, calls } = ssm({ [OWN]: "https://hooks.slack.com/services/T/B/x" }, [
      new ThrottlingException("Rate exceeded"),
    ]);
    const builds: string[] = [];
    const handler = lambdaHandler(
      "cold-start-test",
      (env) => {
        builds.push(env.SLACK_WEBHOOK_URL ?? "unset");
        return async () => env.SLACK_WEBHOOK_URL;
      },
      async () => store,
    );
    const context = {} as Context;
    const first = await handler({}, context).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(SecretsUnavailable);
    expect((first as Error).name).toBe("SecretsUnavailable");
    expect((first as Error).message).toContain("ThrottlingException: Rate exceeded");
    expect(builds).toEqual([]);

    await expect(handler({}, context)).resolves.toBe("https://hooks.slack.com/services/T/B/x");
    await expect(handler({}, context)).resolves.toBe("https://hooks.slack.com/services/T/B/x");
    // Read again after the failure, then built once for the container.
    expect(calls).toEqual([[OWN], [OWN]]);
    expect(builds).toEqual(["https://hooks.slack.com/services/T/B/x"]);
  });

  it("a bound secret deleted after the deploy (neither the stage's nor the fallback) is SecretsUnavailable, naming it", async () => {
    const { store, calls } = ssm({});
    const error = await resolveSecrets(BOUND, store).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SecretsUnavailable);
    expect((error as Error).message).toMatch(/not set in the "prod" stage: SLACK_WEBHOOK_URL/);
    expect(calls).toEqual([[OWN], [FALLBACK]]);
  });

  it("reads the app's fallback value when the stage has none, as sst/node/config does", async () => {
    const { store } = ssm({ [FALLBACK]: "fallback-value" });
    await expect(resolveSecrets(BOUND, store)).resolves.toEqual({ SLACK_WEBHOOK_URL: "fallback-value" });
  });

  it("asks for at most 10 names per GetParameters call; a value SST set in the environment is used as is", async () => {
    const env: Record<string, string> = { ...BOUND, SST_Secret_value_LOCAL: "plain" };
    const parameters: Record<string, string> = {};
    for (let i = 0; i < 12; i++) {
      env[`SST_Secret_value_S${i}`] = "__FETCH_FROM_SSM__";
      parameters[`/sst/leadrelay/prod/Secret/S${i}/value`] = `v${i}`;
    }
    parameters[OWN] = "slack";
    const { store, calls } = ssm(parameters);
    const secrets = await resolveSecrets(env, store);
    expect(secrets).toMatchObject({ LOCAL: "plain", S0: "v0", S11: "v11", SLACK_WEBHOOK_URL: "slack" });
    expect(calls.map((names) => names.length)).toEqual([10, 3]);
  });

  it("without bound secrets nothing is read", async () => {
    const { store, calls } = ssm({});
    await expect(resolveSecrets({ SST_APP: "leadrelay" }, store)).resolves.toEqual({});
    expect(calls).toEqual([]);
  });
});

import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { closeSource } from "../src/sources/close";
import { type ParameterStore, resolveSecrets, SecretsUnavailable } from "../src/sst-secrets";

/**
 * The first deploy happens before Close has made the webhook's signature key (`connect close` needs
 * the deployed URL): the close ingest is bound to CLOSE_WEBHOOK_SECRET with no value in SSM. It must
 * answer 503 (Close delivers again later) naming the secret and the command that sets it, in its
 * body and its log, store and start nothing, and pick the key up once it is set.
 */

const OWN = "/sst/leadrelay/prod/Secret/CLOSE_WEBHOOK_SECRET/value";
const ENV = {
  SST_APP: "leadrelay",
  SST_STAGE: "prod",
  SST_SSM_PREFIX: "/sst/leadrelay/prod/",
  SST_Secret_value_CLOSE_WEBHOOK_SECRET: "__FETCH_FROM_SSM__",
  BUCKET_NAME: "prod-leadrelay-bucket",
  SOURCE_FLOWS: "announce",
  STATE_MACHINE_ARN_ANNOUNCE: "arn:aws:states:us-east-1:000000000000:stateMachine:prod-leadrelay-announce",
  AWS_REGION: "us-east-1",
  LOG_LEVEL: "info",
};

/** SSM holding what `parameters` holds at the time of each call. */
function ssm(parameters: Record<string, string>) {
  let calls = 0;
  const store: ParameterStore = {
    async getParameters(names) {
      calls++;
      const values = Object.fromEntries(
        names.flatMap((name) => (name in parameters ? [[name, parameters[name] as string]] : [])),
      );
      return { values, invalid: names.filter((name) => !(name in parameters)) };
    },
  };
  return { store, calls: () => calls };
}

const delivery = {
  body: '{"event":{"object_type":"lead","action":"created","data":{"id":"lead_1"}}}',
  isBase64Encoded: false,
  headers: {
    "content-type": "application/json",
    "close-sig-hash": "00".repeat(32),
    "close-sig-timestamp": String(Math.floor(Date.now() / 1000)),
  },
  rawPath: "/webhook/close",
  requestContext: { http: { method: "POST" } },
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe("the close ingest before `connect close` has set CLOSE_WEBHOOK_SECRET", () => {
  it("answers 503 naming the secret and the command (body and log), then uses the key once it is set", async () => {
    for (const [key, value] of Object.entries(ENV)) vi.stubEnv(key, value);
    const logged: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((line) => {
      logged.push(String(line));
      return true;
    });
    const parameters: Record<string, string> = {};
    const { store, calls } = ssm(parameters);
    const { sourceHandler } = await import("../src/source-ingest");
    const handler = sourceHandler(closeSource, async () => store);

    const first = (await handler(delivery, {} as Context)) as APIGatewayProxyStructuredResultV2;
    expect(first.statusCode).toBe(503);
    expect(first.headers?.["retry-after"]).toBe("300");
    const body = JSON.parse(String(first.body)) as { error: string };
    expect(body.error).toContain("CLOSE_WEBHOOK_SECRET not set for this stage");
    expect(body.error).toContain("run 'pnpm leadrelay connect close --stage prod'");
    const line = logged
      .map((text) => JSON.parse(text))
      .find((entry) => entry.message === "webhook secret not set");
    expect(line).toMatchObject({
      level: "error",
      source: "close",
      missing: ["CLOSE_WEBHOOK_SECRET"],
      fix: "CLOSE_WEBHOOK_SECRET: run 'pnpm leadrelay connect close --stage prod'",
    });

    // Still unset: the container looks again on the next delivery rather than keep the first read.
    expect(((await handler(delivery, {} as Context)) as APIGatewayProxyStructuredResultV2).statusCode).toBe(
      503,
    );
    expect(calls()).toBeGreaterThanOrEqual(2);

    // `connect close` writes the key: the same container now verifies signatures with it (this
    // delivery is signed with another key: 401, nothing stored).
    parameters[OWN] = "ab".repeat(32);
    const after = (await handler(delivery, {} as Context)) as APIGatewayProxyStructuredResultV2;
    expect(after.statusCode).toBe(401);
  });

  it("only the source's set-after-deploy secrets may be unset: any other bound one still fails the cold start", async () => {
    const env = { ...ENV, SST_Secret_value_SLACK_WEBHOOK_URL: "__FETCH_FROM_SSM__" };
    const error = await resolveSecrets(
      env,
      ssm({}).store,
      Object.keys(closeSource.setAfterDeploy ?? {}),
    ).catch((caught: unknown) => caught as Error);
    expect(error).toBeInstanceOf(SecretsUnavailable);
    expect((error as Error).message).toContain(": SLACK_WEBHOOK_URL (");
    expect((error as Error).message).not.toContain("CLOSE_WEBHOOK_SECRET");
  });
});

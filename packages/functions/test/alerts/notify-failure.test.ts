import { alertMarkerKey } from "@leadrelay/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createBrevoEmailSender } from "../../src/adapters/brevo-email";
import { createSlackPoster } from "../../src/adapters/slack-poster";
import {
  build,
  consolePageUrl,
  createNotifyFailure,
  type NotifyFailureDeps,
  parseAlertFlows,
} from "../../src/alerts/notify-failure";
import { createLogger } from "../../src/log";
import { failureOf, startVendorServer, type VendorServer } from "../adapters/vendor-server";
import { clock, FakeSlack, MemoryStore } from "../fakes";

const MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:prod-leadrelay-deal-stage";
const EXECUTION = "arn:aws:states:us-east-1:123456789012:execution:prod-leadrelay-deal-stage:deal-42-won";
const silent = createLogger("test", { level: "silent" });

/** EventBridge's "Step Functions Execution Status Change", as AWS sends it (detail = DescribeExecution). */
function statusChange(detail: Record<string, unknown> = {}) {
  return {
    version: "0",
    id: "315c1398-40ff-a850-213b-158f73e60175",
    "detail-type": "Step Functions Execution Status Change",
    source: "aws.states",
    account: "123456789012",
    time: "2026-11-20T14:08:11Z",
    region: "us-east-1",
    resources: [EXECUTION],
    detail: {
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      name: "deal-42-won",
      status: "FAILED",
      startDate: 1_795_000_000_000,
      stopDate: 1_795_000_060_000,
      input: "{}",
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      error: "ConversionRejected",
      cause: '{"errorType":"ServiceRejected","errorMessage":"meta rejected the call (HTTP 400)"}',
      redriveCount: 0,
      redriveStatus: "REDRIVABLE",
      ...detail,
    },
  };
}

let slack: FakeSlack;
let brevo: VendorServer;
let store: MemoryStore;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  brevo = await startVendorServer(() => ({ status: 201, json: { messageId: "<9@smtp-relay.mailin.fr>" } }));
});
afterAll(async () => {
  await slack.close();
  await brevo.close();
});
beforeEach(() => {
  slack.reset();
  brevo.reset();
  store = new MemoryStore();
});

function notify(overrides: Partial<NotifyFailureDeps> = {}) {
  return createNotifyFailure({
    store,
    slack: createSlackPoster(slack.url, { timeoutMs: 500 }),
    email: {
      sender: createBrevoEmailSender({ baseUrl: brevo.url, apiKey: "xkeysib-test" }, { timeoutMs: 500 }),
      from: "alerts@example.com",
      to: "ops@example.com",
    },
    flows: parseAlertFlows(
      `announce=arn:aws:states:us-east-1:123456789012:stateMachine:a,deal-stage=${MACHINE}`,
    ),
    clock,
    log: silent,
    ...overrides,
  });
}

describe("the failure alert Lambda", () => {
  it("posts to Slack and emails ALERT_EMAIL_TO: flow, business key, error, cause, the AWS console link", async () => {
    const result = await notify()(statusChange());
    expect(result).toMatchObject({
      status: "alerted",
      flow: "deal-stage",
      businessKey: "deal-42-won",
      slack: { status: "sent" },
      email: { status: "sent" },
    });
    expect(slack.messages).toHaveLength(1);
    const posted = JSON.stringify(slack.messages[0]);
    expect(slack.messages[0]?.text).toBe("leadrelay: deal-stage failed: deal-42-won (ConversionRejected)");
    expect(posted).toContain("meta rejected the call (HTTP 400)");
    expect(posted).toContain(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${EXECUTION}`,
    );
    const email = JSON.parse(brevo.requests[0]?.body ?? "{}");
    expect(email).toMatchObject({
      sender: { email: "alerts@example.com", name: "leadrelay alerts" },
      to: [{ email: "ops@example.com" }],
      subject: "[leadrelay] deal-stage failed: deal-42-won (ConversionRejected)",
    });
    expect(email.textContent).toContain("Cause: meta rejected the call (HTTP 400)");
  });

  it("alerts at most once per execution end: EventBridge's duplicate delivery sends nothing", async () => {
    await notify()(statusChange());
    const again = await notify()(statusChange());
    expect(again).toMatchObject({ slack: { status: "already-sent" }, email: { status: "already-sent" } });
    expect(slack.messages).toHaveLength(1);
    expect(brevo.requests).toHaveLength(1);
    expect(store.keys()).toEqual([alertMarkerKey(EXECUTION), alertMarkerKey(EXECUTION, 0, "email")].sort());
  });

  it("alerts again when a redriven execution fails again", async () => {
    await notify()(statusChange());
    await notify()(statusChange({ redriveCount: 1 }));
    expect(slack.messages).toHaveLength(2);
    expect(JSON.stringify(slack.messages[1])).toContain("FAILED (after redrive 1)");
  });

  it("Slack down: the email still goes; the invocation fails so Lambda retries, and the retry posts only to Slack", async () => {
    slack.script = [503];
    const error = await failureOf(notify()(statusChange()));
    expect(error.name).toBe("SlackUnavailable");
    expect(brevo.requests).toHaveLength(1);
    expect(store.text(alertMarkerKey(EXECUTION))).toBeUndefined();

    const retried = await notify()(statusChange());
    expect(retried).toMatchObject({ slack: { status: "sent" }, email: { status: "already-sent" } });
    expect(slack.messages).toHaveLength(1);
    expect(brevo.requests).toHaveLength(1);
  });

  it("email down: Slack still gets the alert", async () => {
    brevo.next({ status: 401, json: { code: "unauthorized", message: "Key not found" } });
    const error = await failureOf(notify()(statusChange()));
    expect(error.name).toBe("ServiceRejected");
    expect(slack.messages).toHaveLength(1);
  });

  it("says why it sends no email, and sends no email without ALERT_EMAIL_TO", async () => {
    const withoutSender = await notify({ email: undefined, emailSkipped: "EMAIL_FROM is not set" })(
      statusChange(),
    );
    expect(withoutSender).toMatchObject({ email: { status: "skipped", reason: "EMAIL_FROM is not set" } });
    const off = await notify({ email: undefined })(statusChange({ executionArn: `${EXECUTION}2` }));
    expect(off).toMatchObject({ email: { status: "skipped", reason: "ALERT_EMAIL_TO is not set" } });
    expect(brevo.requests).toHaveLength(0);
  });

  it("ignores what is not a bad end of an execution", async () => {
    expect(await notify()(statusChange({ status: "SUCCEEDED" }))).toEqual({
      status: "ignored",
      reason: "status SUCCEEDED",
    });
    expect(await notify()({ source: "aws.s3", detail: {} })).toMatchObject({ status: "ignored" });
    expect(slack.requests).toHaveLength(0);
  });

  it("names an unknown state machine by its name, a timeout by States.Timeout", async () => {
    const result = await notify({ flows: new Map() })(
      statusChange({ status: "TIMED_OUT", error: null, cause: null }),
    );
    expect(result).toMatchObject({ flow: "prod-leadrelay-deal-stage" });
    expect(slack.messages[0]?.text).toBe(
      "leadrelay: prod-leadrelay-deal-stage timed out: deal-42-won (States.Timeout)",
    );
  });

  it("is built from the environment, a bad ALERT_EMAIL_TO failing at once; links to the local console's pages", () => {
    const kit = { log: silent, aws: () => ({}) };
    const env = {
      BUCKET_NAME: "bucket",
      SLACK_WEBHOOK_URL: slack.url,
      ALERT_FLOWS: `deal-stage=${MACHINE}`,
      ALERT_CONSOLE_URL: "http://127.0.0.1:3000/",
      ALERT_EMAIL_TO: "ops@example.com",
      BREVO_BASE_URL: brevo.url,
      BREVO_API_KEY: "xkeysib-test",
    };
    expect(typeof build(env, kit)).toBe("function");
    expect(() => build({ ...env, ALERT_EMAIL_TO: "not an address" }, kit)).toThrow(/ALERT_EMAIL_TO/);
    expect(consolePageUrl("http://127.0.0.1:3000", "deal-42-won", "deal-stage")).toBe(
      "http://127.0.0.1:3000/console/key/deal-42-won?flow=deal-stage",
    );
    expect(consolePageUrl("http://127.0.0.1:3000", "lead_Abc-replay-x1", "announce")).toBe(
      "http://127.0.0.1:3000/console/lead/lead_Abc-replay-x1?flow=announce",
    );
  });

  it("reads ALERT_FLOWS as flow=ARN pairs", () => {
    expect([...parseAlertFlows(` announce=arn:a , triage=arn:b,, broken`)]).toEqual([
      ["arn:a", "announce"],
      ["arn:b", "triage"],
    ]);
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DeploySettingsError } from "../../packages/functions/src/flow-spec";
import type { FlowView } from "../FlowMachine";
import { alertEmailProvider, type OperationsSettings, operationsSettings } from "../operations-settings";
import { AppTemplates, type CfnTemplate, grants } from "./template-queries";

/**
 * What ALERT_EMAIL_TO changes on AWS, without a whole synth: the alert Lambda and the alarm topic
 * built alone in a small SST app (SST's "remove" mode: nothing is bundled), one stack per case.
 */

/** The sender's own identities, its address and its domain: never identity/* (#22 finding 7). */
const SES = [
  "ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/alerts@example.com",
  "ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/example.com",
];
const brevoSecret = (stage: string) => [
  `ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/${stage}/Secret/BREVO_API_KEY/value`,
  "ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/.fallback/Secret/BREVO_API_KEY/value",
];

interface Case {
  settings: OperationsSettings;
  secretsSet: ReadonlySet<string>;
}

/** Each case as a stack of one small app: its template, read like the app's. */
async function build(cases: Record<string, Case>): Promise<Record<string, AppTemplates>> {
  const [{ App, Stack }, { initProject }, cdk, { Template }, { failureAlerts }, { alarmTopic }] =
    await Promise.all([
      import("sst/constructs"),
      import("sst/project.js"),
      import("aws-cdk-lib"),
      import("aws-cdk-lib/assertions"),
      import("../failure-alerts"),
      import("../flow-alarms"),
    ]);
  await initProject({ stage: "unit" });
  const app = new App(
    { mode: "remove", stage: "unit", name: "leadrelay", region: "us-east-1" },
    { outdir: mkdtempSync(path.join(tmpdir(), "leadrelay-operations-")) },
  );
  const stacks = Object.entries(cases).map(([name, { settings, secretsSet }]) => {
    const stack = new Stack(app, name);
    const bucket = new cdk.aws_s3.Bucket(stack, "Leads");
    const machine = {
      flow: { id: "announce" },
      stateMachine: cdk.aws_stepfunctions.StateMachine.fromStateMachineArn(
        stack,
        "Announce",
        "arn:aws:states:us-east-1:123456789012:stateMachine:unit-leadrelay-announce",
      ),
    } as unknown as FlowView;
    failureAlerts(stack, { machines: [machine], bucket, settings, secretsSet });
    alarmTopic(stack, "unit", settings.alertEmailTo);
    return [name, stack] as const;
  });
  return Object.fromEntries(
    stacks.map(([name, stack]) => [
      name,
      new AppTemplates({ [name]: Template.fromStack(stack).toJSON() as CfnTemplate }),
    ]),
  );
}

const templates = await build({
  Off: { settings: {}, secretsSet: new Set(["BREVO_API_KEY"]) },
  Ses: {
    settings: { alertEmailTo: "ops@example.com", emailFrom: "alerts@example.com", emailProvider: "ses" },
    secretsSet: new Set(["BREVO_API_KEY"]),
  },
  BrevoKeySet: {
    settings: {
      alertEmailTo: "ops@example.com",
      emailFrom: "alerts@example.com",
      brevoBaseUrl: "https://api.brevo.com",
    },
    secretsSet: new Set(["BREVO_API_KEY"]),
  },
  BrevoKeyUnset: {
    settings: { alertEmailTo: "ops@example.com", emailFrom: "alerts@example.com", emailProvider: "brevo" },
    secretsSet: new Set(),
  },
});

function alertLambda(name: string) {
  const app = templates[name] as AppTemplates;
  // Found by its construct id: in SST's "remove" mode a function's handler is a placeholder.
  const [fn] = app.resources("AWS::Lambda::Function").filter(({ id }) => id.startsWith("NotifyFailure"));
  if (!fn) throw new Error(`No alert Lambda in ${name}`);
  const email = grants(app.functionAccess(fn.id).statements).filter(
    (grant) => grant.startsWith("ses:") || grant.includes("BREVO"),
  );
  const environment = app.environmentOf(fn.id);
  return { email, environment, subscriptions: app.resources("AWS::SNS::Subscription") };
}

describe("ALERT_EMAIL_TO on AWS", () => {
  it("unset: no email grant, no email setting, no subscription", () => {
    const { email, environment, subscriptions } = alertLambda("Off");
    expect(email).toEqual([]);
    expect(Object.keys(environment).filter((name) => /EMAIL|BREVO/.test(name))).toEqual([]);
    expect(subscriptions).toEqual([]);
  });

  it("with SES: ses:SendEmail and no Brevo key; the alarm topic emails the address", () => {
    const { email, environment, subscriptions } = alertLambda("Ses");
    expect(email).toEqual(SES);
    expect(environment).toMatchObject({
      ALERT_EMAIL_TO: "ops@example.com",
      EMAIL_FROM: "alerts@example.com",
      EMAIL_PROVIDER: "ses",
    });
    expect(subscriptions.map(({ resource }) => resource.Properties)).toEqual([
      expect.objectContaining({ Protocol: "email", Endpoint: "ops@example.com" }),
    ]);
  });

  it("with Brevo (its key set for the stage): the key, no SES grant", () => {
    const { email, environment } = alertLambda("BrevoKeySet");
    expect(email).toEqual(brevoSecret("unit").sort());
    expect(environment).toMatchObject({
      EMAIL_PROVIDER: "brevo",
      BREVO_BASE_URL: "https://api.brevo.com",
      SST_Secret_value_BREVO_API_KEY: "__FETCH_FROM_SSM__",
    });
  });

  it("Brevo without its key: nothing bound (the Lambda skips the email and says why), no SES grant", () => {
    const { email, environment } = alertLambda("BrevoKeyUnset");
    expect(email).toEqual([]);
    expect(environment).toMatchObject({ EMAIL_PROVIDER: "brevo" });
    expect(environment.SST_Secret_value_BREVO_API_KEY).toBeUndefined();
  });
});

describe("the operations settings of a deploy", () => {
  it("read ALERT_EMAIL_TO and the sender, stopping on a malformed one", () => {
    expect(operationsSettings({})).toEqual({});
    expect(operationsSettings({ ALERT_EMAIL_TO: " ops@example.com ", EMAIL_FROM: "a@example.com" })).toEqual({
      alertEmailTo: "ops@example.com",
      emailFrom: "a@example.com",
    });
    expect(() => operationsSettings({ ALERT_EMAIL_TO: "ops" })).toThrow(DeploySettingsError);
    expect(() => operationsSettings({ ALERT_EMAIL_TO: "ops@example.com", EMAIL_PROVIDER: "smtp" })).toThrow(
      /EMAIL_PROVIDER must be brevo or ses/,
    );
  });

  it("choose the provider as the Lambda will: EMAIL_PROVIDER, else Brevo when its key is set, else SES", () => {
    expect(alertEmailProvider({ emailProvider: "ses" }, true)).toBe("ses");
    expect(alertEmailProvider({}, true)).toBe("brevo");
    expect(alertEmailProvider({}, false)).toBe("ses");
  });
});

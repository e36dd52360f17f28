import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { triageFlow } from "../../packages/flows/triage/src/flow";
import { configuredDefinition, DeploySettingsError } from "../../packages/functions/src/flow-spec";
import { taskActions } from "../../packages/functions/src/task-actions";
import type { SkippedAlertChannels } from "../skipped-alerts";
import { skippedAlertChannels } from "../skipped-alerts";
import { AppTemplates, type CfnTemplate, grants } from "./template-queries";

/**
 * LEADRELAY_ALERT_ON_SKIPPED on AWS, without a whole synth: triage's FlowMachine alone in a small
 * SST app (SST's "remove" mode: nothing is bundled), one stack per case. Triage has the shapes:
 * actions in a Parallel, one nested in RecordOutcome's result. flows.test.ts checks every Lambda of
 * the test stage (alerts off), those that perform no action included.
 */

const SETTINGS = { EMAIL_FROM: "leads@example.com", CLOSE_TRIAGE_FIELD_ID: "cf_x" };

async function build(cases: Record<string, SkippedAlertChannels | undefined>) {
  const [
    { App, Stack },
    { initProject },
    cdk,
    { Template },
    { FlowMachine },
    { budgetTable, budgetDeadLetters },
  ] = await Promise.all([
    import("sst/constructs"),
    import("sst/project.js"),
    import("aws-cdk-lib"),
    import("aws-cdk-lib/assertions"),
    import("../FlowMachine"),
    import("../vendor-budgets"),
  ]);
  await initProject({ stage: "unit" });
  const app = new App(
    { mode: "remove", stage: "unit", name: "leadrelay", region: "us-east-1" },
    { outdir: mkdtempSync(path.join(tmpdir(), "leadrelay-skipped-")) },
  );
  const built = Object.entries(cases).map(([name, skippedAlerts]) => {
    const stack = new Stack(app, name);
    const machine = new FlowMachine(stack, {
      flow: triageFlow,
      bucket: new cdk.aws_s3.Bucket(stack, "Leads"),
      settings: SETTINGS,
      stage: "unit",
      stateMachineName: "unit-leadrelay-triage",
      secretsSet: new Set(["TWILIO_AUTH_TOKEN", "BREVO_API_KEY", "SLACK_WEBHOOK_URL"]),
      budgetTable: budgetTable(stack),
      budgetDeadLetters: budgetDeadLetters(stack, `${name}-budget-dead-letters`),
      skippedAlerts,
    });
    return { name, stack, machine };
  });
  // Every stack built before the first template: a synth freezes the app's construct tree.
  return Object.fromEntries(
    built.map(({ name, stack, machine }) => {
      const templates = new AppTemplates({ [name]: Template.fromStack(stack).toJSON() as CfnTemplate });
      const functionOf = (taskId: string) => {
        const placeholder = Object.keys(triageFlow.tasks).find((key) => triageFlow.tasks[key]?.id === taskId);
        const fn = machine.functions[placeholder ?? ""];
        if (!fn) throw new Error(`no function for ${taskId}`);
        const id = stack.getLogicalId(fn.node.defaultChild as never);
        return {
          environment: templates.environmentOf(id),
          grants: grants(templates.functionAccess(id).statements),
        };
      };
      return [name, functionOf] as const;
    }),
  );
}

const functions = await build({
  Off: undefined,
  Slack: {},
  SesEmail: {
    email: { to: "ops@example.com", provider: "ses", from: "alerts@example.com", brevoKeySet: false },
  },
});
const of = (name: string, taskId: string) => {
  const find = functions[name];
  if (!find) throw new Error(`no case ${name}`);
  return find(taskId);
};
const SLACK_SECRET =
  "ssm:GetParameters arn:aws:ssm:us-east-1:my-account:parameter/sst/leadrelay/unit/Secret/SLACK_WEBHOOK_URL/value";
const MARKERS = /^s3:(Get|Put|Delete)Object .*\/flows\/triage\/skipped-alerts\/\*$/;

describe("a Task Lambda's skipped actions on AWS", () => {
  it("always knows its flow and actions (for ActionsSkipped), as the definition places them", () => {
    const record = of("Off", "RecordOutcome").environment;
    expect(record.LEADRELAY_FLOW).toBe("triage");
    const definition = configuredDefinition(triageFlow, SETTINGS);
    expect(JSON.parse(record.LEADRELAY_ACTIONS ?? "")).toEqual(
      taskActions(triageFlow, definition, "RecordOutcomeFunctionArn"),
    );
    expect(JSON.parse(of("Off", "SendSms").environment.LEADRELAY_ACTIONS ?? "")).toEqual([
      { id: "sms", title: "Text the on-call rep", at: "$" },
    ]);
  });

  it("alerts off (the default): no alert setting, no Slack secret, no marker grant", () => {
    const sms = of("Off", "SendSms");
    expect(sms.environment.LEADRELAY_ALERT_ON_SKIPPED).toBeUndefined();
    expect(sms.grants.some((grant) => grant.includes("SLACK_WEBHOOK_URL"))).toBe(false);
    expect(sms.grants.filter((grant) => grant.includes("skipped-alerts"))).toEqual([]);
  });

  it("alerts on: the setting, the link to the state machine, the Slack secret and only its flow's markers", () => {
    const sms = of("Slack", "SendSms");
    expect(sms.environment).toMatchObject({
      LEADRELAY_ALERT_ON_SKIPPED: "true",
      SST_Secret_value_SLACK_WEBHOOK_URL: "__FETCH_FROM_SSM__",
    });
    expect(sms.environment.LEADRELAY_ALERT_LINK).toContain("#/v2/statemachines/view/");
    expect(sms.environment.LEADRELAY_ALERT_LINK).toContain("stateMachine:unit-leadrelay-triage");
    expect(sms.environment.BUCKET_NAME).toBeDefined();
    expect(sms.grants).toContain(SLACK_SECRET);
    expect(sms.grants.filter((grant) => grant.includes("skipped-alerts")).length).toBe(3);
    expect(
      sms.grants.filter((grant) => grant.includes("skipped-alerts")).every((grant) => MARKERS.test(grant)),
    ).toBe(true);
    // No email without ALERT_EMAIL_TO.
    expect(sms.environment.ALERT_EMAIL_TO).toBeUndefined();
    expect(sms.grants.filter((grant) => grant.startsWith("ses:"))).toEqual([]);
  });

  it("with ALERT_EMAIL_TO by SES: the address and the sender's identities only", () => {
    const ticket = of("SesEmail", "CreateTicket");
    expect(ticket.environment).toMatchObject({
      ALERT_EMAIL_TO: "ops@example.com",
      EMAIL_PROVIDER: "ses",
      EMAIL_FROM: "alerts@example.com",
    });
    expect(ticket.grants.filter((grant) => grant.startsWith("ses:")).sort()).toEqual([
      "ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/alerts@example.com",
      "ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/example.com",
    ]);
  });
});

describe("LEADRELAY_ALERT_ON_SKIPPED at deploy", () => {
  it("is off unset or false, on for true (any case), and stops the deploy on anything else", () => {
    expect(skippedAlertChannels({}, new Set())).toBeUndefined();
    expect(skippedAlertChannels({ LEADRELAY_ALERT_ON_SKIPPED: "false" }, new Set())).toBeUndefined();
    expect(skippedAlertChannels({ LEADRELAY_ALERT_ON_SKIPPED: "TRUE" }, new Set())).toEqual({});
    expect(() => skippedAlertChannels({ LEADRELAY_ALERT_ON_SKIPPED: "yes" }, new Set())).toThrow(
      DeploySettingsError,
    );
  });

  it("sends the email the failure alert sends: ALERT_EMAIL_TO, Brevo when its key is set", () => {
    expect(
      skippedAlertChannels(
        {
          LEADRELAY_ALERT_ON_SKIPPED: "true",
          ALERT_EMAIL_TO: "ops@example.com",
          EMAIL_FROM: "a@example.com",
        },
        new Set(["BREVO_API_KEY"]),
      ),
    ).toEqual({
      email: { to: "ops@example.com", provider: "brevo", from: "a@example.com", brevoKeySet: true },
    });
  });
});

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { announceFlow } from "../../packages/flows/announce/src/flow";
import { FLOWS } from "../../packages/flows/registry";
import type { SesSenderCheckInput } from "../../packages/functions/src/adapters/ses-checks";
import { sesIdentities } from "../ses-identity";
import { flowSesSenders, warnSesSenders } from "../ses-warning";
import { RETAINED_STAGE, synthesized, TEST_EMAIL_FROM } from "./synth";
import { AppTemplates, friendly, grants } from "./template-queries";

/** #22 (production review, infrastructure): findings 3, 5, 7 and 8 as the synthesized stages show them. */
const synth = await synthesized();
const test = new AppTemplates(synth.test);
const retained = new AppTemplates(synth.retained);
const EMAIL_TASK = announceFlow.tasks.EmailAnnouncementFunctionArn?.id;
/** A flow's function by its construct (SST's "remove" mode, the retained stage's, has no real handler). */
const functionsOf = (app: AppTemplates, construct: string) =>
  app
    .resources("AWS::Lambda::Function")
    .filter(({ stack, id }) => stack === "Flows" && friendly(id) === construct);

describe("finding 3: state machine log groups", () => {
  it(`are under /aws/vendedlogs/states/ on ${RETAINED_STAGE} too, retained, ending in the stack's id`, () => {
    const groups = retained.resources("AWS::StepFunctions::StateMachine").map(({ resource }) => {
      const logging = resource.Properties?.LoggingConfiguration as {
        Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: { "Fn::GetAtt": [string, string] } } }>;
      };
      const id = logging.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn["Fn::GetAtt"][0] ?? "";
      return retained.resource(id).resource;
    });
    expect(groups).toHaveLength(FLOWS.length);
    for (const group of groups) {
      expect(group.DeletionPolicy).toBe("Retain");
      expect(retained.render(group.Properties?.LogGroupName)).toMatch(
        new RegExp(`^/aws/vendedlogs/states/${RETAINED_STAGE}-leadrelay-[a-z-]+-<stack-uuid>$`),
      );
    }
  });
});

describe("finding 5: optional secrets", () => {
  it("the README says where secrets are explained that one set after a deploy needs a redeploy", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect(readme).toMatch(
      /optional secret[^.]*set after[^.]*deploy[^.]*(redeploy|deploy (the stage )?again)/i,
    );
  });
});

describe("finding 7: email announcement and SES grants", () => {
  it("deploys no email announcement function without ANNOUNCE_EMAIL_TO (the test stage)", () => {
    expect(EMAIL_TASK).toBe("EmailAnnouncement");
    expect(functionsOf(test, "AnnounceAnnounceEmailAnnouncement")).toEqual([]);
    expect(functionsOf(test, "AnnounceAnnounceNotifySlack")).toHaveLength(1);
  });

  it(`deploys it with ANNOUNCE_EMAIL_TO (${RETAINED_STAGE}), allowed to send as the sender's identities only`, () => {
    const [fn, ...others] = functionsOf(retained, "AnnounceAnnounceEmailAnnouncement");
    expect(others).toEqual([]);
    if (!fn) throw new Error("No email announcement function");
    const ses = grants(retained.functionAccess(fn.id).statements).filter((grant) => grant.startsWith("ses:"));
    expect(ses).toEqual([
      "ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/leadrelay.example.test",
      `ses:SendEmail arn:aws:ses:us-east-1:my-account:identity/${TEST_EMAIL_FROM}`,
    ]);
  });

  it("grants SES on no identity/* anywhere, on any stage", () => {
    for (const app of [test, retained]) {
      const ses = grants(app.allStatements()).filter((grant) => grant.startsWith("ses:"));
      expect(ses.length).toBeGreaterThan(0);
      expect(ses.filter((grant) => grant.endsWith("/*"))).toEqual([]);
    }
  });

  it("reads the identities from EMAIL_FROM (domains are case-insensitive) and refuses a non-address", () => {
    expect(sesIdentities("Leads@Acme.Example")).toEqual({
      address: "Leads@Acme.Example",
      domain: "acme.example",
    });
    expect(() => sesIdentities("acme.example")).toThrow(/EMAIL_FROM must be one email address/);
  });
});

describe("finding 7: the deploy's SES sender warning", () => {
  const triage = FLOWS.find((flow) => flow.id === "triage");
  if (!triage) throw new Error("No triage flow");
  const sendEmail = Object.entries(triage.tasks).find(([, task]) => task.sendsEmail)?.[0] ?? "";

  it("checks the senders that may go out by SES: EMAIL_FROM set, provider SES or unset without a Brevo key", () => {
    const deployed = Object.keys(triage.tasks);
    const sesOn = { flow: triage, settings: { EMAIL_FROM: "a@acme.example" }, deployed };
    expect(flowSesSenders([sesOn], false)).toEqual([{ who: "triage/SendEmail", from: "a@acme.example" }]);
    expect(flowSesSenders([sesOn], true)).toEqual([]);
    const explicit = { ...sesOn, settings: { EMAIL_FROM: "a@acme.example", EMAIL_PROVIDER: "ses" } };
    expect(flowSesSenders([explicit], true)).toHaveLength(1);
    expect(flowSesSenders([{ ...sesOn, settings: {} }], false)).toEqual([]);
    expect(flowSesSenders([{ ...sesOn, deployed: deployed.filter((p) => p !== sendEmail) }], false)).toEqual(
      [],
    );
  });

  it("warns once per sender when SES answers anything but ok, and never throws", async () => {
    const asked: SesSenderCheckInput[] = [];
    const printed: string[] = [];
    const answers: Record<string, () => Promise<{ status: "ok" | "unverified"; reason: string }>> = {
      "ok@acme.example": async () => ({ status: "ok", reason: "fine" }),
      "new@acme.example": async () => ({
        status: "unverified",
        reason: "new@acme.example is not an SES identity",
      }),
      "boom@acme.example": async () => {
        throw new Error("no credentials");
      },
    };
    const warnings = await warnSesSenders(
      "eu-west-1",
      [
        { who: "triage/SendEmail", from: "new@acme.example" },
        { who: "deal-stage/SendPropertyEmail", from: "new@acme.example" },
        { who: "announce/EmailAnnouncement", from: "ok@acme.example" },
        { who: "alerts/NotifyFailure", from: "boom@acme.example" },
      ],
      {
        check: (input) => {
          asked.push(input);
          const answer = answers[input.from];
          if (!answer) throw new Error(`unexpected sender ${input.from}`);
          return answer();
        },
        warn: (message) => printed.push(message),
      },
    );
    expect(asked.map(({ region, from }) => `${region} ${from}`)).toEqual([
      "eu-west-1 new@acme.example",
      "eu-west-1 ok@acme.example",
      "eu-west-1 boom@acme.example",
    ]);
    expect(warnings).toEqual([
      "WARNING (SES, unverified) triage/SendEmail, deal-stage/SendPropertyEmail send from new@acme.example: new@acme.example is not an SES identity",
      "WARNING (SES, unknown) alerts/NotifyFailure send from boom@acme.example: the SES check failed: Error: no credentials",
    ]);
    expect(printed).toEqual(warnings);
  });
});

describe("finding 8: the stage's event bus", () => {
  it.each([
    ["test", test, 30],
    [RETAINED_STAGE, retained, 365],
  ] as const)("keeps every event in an archive for replay (%s: %i days)", (_stage, app, days) => {
    const [bus] = app.resources("AWS::Events::EventBus");
    const archives = app.resources("AWS::Events::Archive");
    expect(archives).toHaveLength(1);
    const properties = archives[0]?.resource.Properties ?? {};
    expect(app.render(properties.SourceArn)).toBe(`<${bus?.id.replace(/[0-9A-F]{8}$/, "")}.Arn>`);
    expect(properties.RetentionDays).toBe(days);
    expect(properties.EventPattern).toEqual({ account: ["my-account"] });
  });
});

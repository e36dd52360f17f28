import { configuredDefinition } from "@leadrelay/functions/flow-spec";
import { describe, expect, it } from "vitest";
import {
  definitionWithWait,
  EMAIL_AFTER_SLACK_ERROR_STATE,
  EMAIL_STATE,
  SLACK_ERROR_CHOICE,
  withEmailAnnouncement,
} from "../src/definition";
import { DeploySettingsError } from "../src/deploy-settings";
import { announceFlow } from "../src/flow";

const OWNERS = { OWNER_BASE_URL: "https://owners.example.com/leads" };
const deploy = (env: Record<string, string>) =>
  announceFlow.deploySettings?.({ ...OWNERS, ...env }, { stage: "prod", mode: "deploy", offline: false }) ??
  {};

describe("the email announcement's deploy settings", () => {
  it("are baked in only when ANNOUNCE_EMAIL_TO is set", () => {
    expect(Object.keys(deploy({})).sort()).toEqual([
      "LEAD_WAIT_SECONDS",
      "NOTIFY_UNASSIGNED",
      "OWNER_BASE_URL",
    ]);
    expect(
      deploy({
        ANNOUNCE_EMAIL_TO: " sales@example.com ",
        EMAIL_FROM: "leads@example.com",
        EMAIL_PROVIDER: "ses",
      }),
    ).toMatchObject({
      ANNOUNCE_EMAIL_TO: "sales@example.com",
      EMAIL_FROM: "leads@example.com",
      EMAIL_PROVIDER: "ses",
    });
  });

  it("stop a deploy with a recipient but no sender, or with a malformed address", () => {
    expect(() => deploy({ ANNOUNCE_EMAIL_TO: "sales@example.com" })).toThrow(DeploySettingsError);
    expect(() => deploy({ ANNOUNCE_EMAIL_TO: "sales@example.com" })).toThrow(/EMAIL_FROM is not/);
    expect(() => deploy({ ANNOUNCE_EMAIL_TO: "sales", EMAIL_FROM: "leads@example.com" })).toThrow(
      /ANNOUNCE_EMAIL_TO must be one email address/,
    );
    expect(() =>
      deploy({ ANNOUNCE_EMAIL_TO: "a@example.com,b@example.com", EMAIL_FROM: "leads@example.com" }),
    ).toThrow(/one email address/);
    expect(() =>
      deploy({
        ANNOUNCE_EMAIL_TO: "sales@example.com",
        EMAIL_FROM: "leads@example.com",
        EMAIL_PROVIDER: "smtp",
      }),
    ).toThrow(/EMAIL_PROVIDER must be brevo or ses/);
  });
});

describe("the definition announce deploys", () => {
  it("retries the email's rate limits no sooner than their interval (no full jitter below a reset)", () => {
    const withEmail = withEmailAnnouncement(definitionWithWait());
    for (const name of [EMAIL_STATE, EMAIL_AFTER_SLACK_ERROR_STATE]) {
      const limited = (withEmail.States[name]?.Retry ?? []).filter((retrier) =>
        retrier.ErrorEquals.some((error) => /RateLimited$/.test(error)),
      );
      expect(limited.length, name).toBeGreaterThan(0);
      for (const retrier of limited) expect(retrier.JitterStrategy, name).not.toBe("FULL");
    }
  });

  it("is the ASL file as it is without ANNOUNCE_EMAIL_TO", () => {
    expect(configuredDefinition(announceFlow, {})).toEqual(definitionWithWait());
    expect(configuredDefinition(announceFlow, { ANNOUNCE_EMAIL_TO: "" })).toEqual(definitionWithWait());
    expect(configuredDefinition(announceFlow, { LEAD_WAIT_SECONDS: "60" })).toEqual(definitionWithWait(60));
  });

  it("adds the email after NotifySlack with ANNOUNCE_EMAIL_TO, the rest unchanged", () => {
    const plain = definitionWithWait(60);
    const withEmail = configuredDefinition(announceFlow, {
      LEAD_WAIT_SECONDS: "60",
      ANNOUNCE_EMAIL_TO: "s@x.io",
      // A stand-in's URL: no default Brevo budget applies, so the email stays a Lambda Task here
      // (a budgeted Task's rewrite is tested with the vendor budgets).
      BREVO_BASE_URL: "http://127.0.0.1:4010/brevo",
    });
    expect(withEmail).toEqual(withEmailAnnouncement(plain));
    const added = Object.keys(withEmail.States).filter((name) => !(name in plain.States));
    expect(added.sort()).toEqual(
      [
        EMAIL_STATE,
        EMAIL_AFTER_SLACK_ERROR_STATE,
        SLACK_ERROR_CHOICE,
        "AnnouncementEmailFailedHasCause",
        "AnnouncementEmailFailed",
        "AnnouncementEmailFailedWithoutCause",
      ].sort(),
    );
    for (const name of Object.keys(plain.States).filter((name) => name !== "NotifySlack")) {
      expect(withEmail.States[name], name).toEqual(plain.States[name]);
    }
    const notify = withEmail.States.NotifySlack;
    expect(notify?.Next).toBe(EMAIL_STATE);
    expect(notify?.End).toBeUndefined();
    expect(notify?.Retry).toEqual(plain.States.NotifySlack?.Retry);
    expect(notify?.Catch?.map((catcher) => catcher.Next)).toEqual(
      plain.States.NotifySlack?.Catch?.map(() => EMAIL_AFTER_SLACK_ERROR_STATE),
    );
  });

  it("ends a Slack error where NotifySlack's own Catch ended it (through each Fail's cause guard)", () => {
    const choice = withEmailAnnouncement(definitionWithWait()).States[SLACK_ERROR_CHOICE];
    expect(choice).toMatchObject({
      Type: "Choice",
      Default: "PipelineFailedHasCause",
      Choices: [
        { Variable: "$.error.Error", StringEquals: "SlackRejected", Next: "SlackRejectedHasCause" },
        {
          Or: [
            { Variable: "$.error.Error", StringEquals: "SlackRateLimited" },
            { Variable: "$.error.Error", StringEquals: "SlackUnavailable" },
          ],
          Next: "SlackUnavailableHasCause",
        },
        {
          Variable: "$.error.Error",
          StringEquals: "NotificationUncertain",
          Next: "NotificationUncertainHasCause",
        },
      ],
    });
  });
});

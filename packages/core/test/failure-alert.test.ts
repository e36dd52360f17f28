import { describe, expect, it } from "vitest";
import {
  alertMarkerKey,
  buildFailureAlert,
  causeSummary,
  type ExecutionFailure,
  executionConsoleUrl,
  isAlertedStatus,
} from "../src/failure-alert";

const ARN = "arn:aws:states:eu-west-1:123456789012:execution:prod-leadrelay-announce:lead_Abc123";
const FAILURE: ExecutionFailure = {
  flow: "announce",
  executionArn: ARN,
  name: "lead_Abc123",
  status: "FAILED",
  error: "SlackRejected",
  cause: JSON.stringify({
    errorType: "SlackRejected",
    errorMessage: "Slack rejected the post with HTTP 404: no_service",
    trace: ["SlackRejected: …", "    at post (file.mjs:1:1)"],
  }),
  link: executionConsoleUrl(ARN),
};

const text = (value: unknown) => JSON.stringify(value);

describe("the failure alert", () => {
  it("names the flow, the business key, the status, the error and the cause, and links the execution", () => {
    const alert = buildFailureAlert(FAILURE);
    expect(alert.businessKey).toBe("lead_Abc123");
    expect(alert.slack.text).toBe("leadrelay: announce failed: lead_Abc123 (SlackRejected)");
    const blocks = text(alert.slack.blocks);
    for (const field of [
      "*Flow*\\nannounce",
      "*Business key*\\nlead_Abc123",
      "*Status*\\nFAILED",
      "*Error*\\nSlackRejected",
      "*Cause*\\nSlack rejected the post with HTTP 404: no_service",
      `<https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${ARN}|Open the execution>`,
    ]) {
      expect(blocks).toContain(field);
    }
    // The Lambda's trace is in the history, not in the alert.
    expect(blocks).not.toContain("at post");
    expect(alert.email.subject).toBe("[leadrelay] announce failed: lead_Abc123 (SlackRejected)");
    expect(alert.email.text).toContain("Business key: lead_Abc123\n");
    expect(alert.email.text).toContain(`Open the execution: ${executionConsoleUrl(ARN)}`);
    expect(alert.email.html).toContain(`<a href="${executionConsoleUrl(ARN)}">Open the execution</a>`);
  });

  it("takes the business key from a replay's name and shows the replay", () => {
    const alert = buildFailureAlert({ ...FAILURE, name: "lead_Abc123-replay-mabc12" });
    expect(alert.businessKey).toBe("lead_Abc123");
    expect(text(alert.slack.blocks)).toContain("*Execution*\\nlead_Abc123-replay-mabc12");
  });

  it("says a timeout and a stop in words, and a redriven execution's run", () => {
    const timedOut = buildFailureAlert({ ...FAILURE, status: "TIMED_OUT", error: null, cause: null });
    expect(timedOut.slack.text).toBe("leadrelay: announce timed out: lead_Abc123 (States.Timeout)");
    expect(text(timedOut.slack.blocks)).toContain("*Cause*\\n—");
    const stopped = buildFailureAlert({ ...FAILURE, status: "ABORTED", error: null, redriveCount: 2 });
    expect(stopped.slack.text).toBe("leadrelay: announce was stopped: lead_Abc123 (—)");
    expect(text(stopped.slack.blocks)).toContain("*Status*\\nABORTED (after redrive 2)");
  });

  it("escapes a hostile cause for Slack and HTML, on one line, cut", () => {
    const cause = `<!channel> <https://evil.example|click> & "x"\n*Status*\nSUCCEEDED ${"x".repeat(900)}`;
    const alert = buildFailureAlert({ ...FAILURE, error: "<b>Err</b>", cause });
    const slack = text(alert.slack);
    expect(slack).not.toContain("<!channel>");
    expect(slack).not.toContain("<https://evil");
    expect(slack).toContain("&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp;");
    expect(slack).not.toContain("\\n*Status*\\nSUCCEEDED");
    const section = alert.slack.blocks[2] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(alert.email.html).not.toMatch(/<b>|<!channel>/);
    expect(alert.email.html).toContain("&lt;b&gt;Err&lt;/b&gt;");
    expect(alert.email.subject).not.toMatch(/[\r\n]/);
    expect(causeSummary(cause)?.length).toBe(cause.length);
  });

  it("is marked per execution end: a redrive's failure is a new alert, the email a marker of its own", () => {
    const key = alertMarkerKey(ARN);
    expect(key).toMatch(/^alerts\/[0-9a-f]{64}\.json$/);
    expect(alertMarkerKey(ARN, 0)).toBe(key);
    expect(alertMarkerKey(ARN, 1)).toBe(key.replace(/\.json$/, ".redrive-1.json"));
    expect(alertMarkerKey(ARN, 0, "email")).toBe(key.replace(/\.json$/, ".email.json"));
    expect(alertMarkerKey(`${ARN}x`)).not.toBe(key);
  });

  it("is sent for failed, timed-out and stopped executions only", () => {
    expect(["FAILED", "TIMED_OUT", "ABORTED"].every(isAlertedStatus)).toBe(true);
    expect(["RUNNING", "SUCCEEDED", "PENDING_REDRIVE", undefined].some(isAlertedStatus)).toBe(false);
  });

  it("reads a Lambda's JSON cause; any other cause as it is", () => {
    expect(causeSummary('{"errorType":"X","errorMessage":"it broke"}')).toBe("it broke");
    expect(causeSummary("plain words")).toBe("plain words");
    expect(causeSummary('{"no":"message"}')).toBe('{"no":"message"}');
    expect(causeSummary("  ")).toBeUndefined();
  });
});

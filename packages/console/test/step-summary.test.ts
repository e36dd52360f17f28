import { describe, expect, it } from "vitest";
import { isLoopbackHost } from "../src/request-guard";
import { summarizeInput, summarizeOutput } from "../src/step-summary";

describe("state input/output summaries", () => {
  it("lists the input's keys and what the state added to it", () => {
    const input = JSON.stringify({ leadId: "lead_1", rawKey: "crm_event_lead_1.json" });
    const output = JSON.stringify({
      leadId: "lead_1",
      rawKey: "crm_event_lead_1.json",
      owner: {
        lead_id: "lead_1",
        lead_owner: "Priya Raman",
        funnel: "Inbound Demo",
        display_name: "Acme",
        lead_email: null,
      },
    });
    expect(summarizeInput(input)).toBe("leadId, rawKey");
    expect(summarizeOutput(input, output)).toBe(
      'owner = {display_name: "Acme", lead_owner: "Priya Raman", funnel: "Inbound Demo"}',
    );
    expect(summarizeOutput(input, input)).toBe("unchanged");
  });

  it("clips long values", () => {
    const output = JSON.stringify({ note: "x".repeat(500) });
    expect(summarizeOutput("{}", output)?.length).toBeLessThanOrEqual(240);
  });
});

describe("loopback hosts", () => {
  it("accepts loopback names on the server's port only", () => {
    expect(isLoopbackHost("127.0.0.1:3001", 3001)).toBe(true);
    expect(isLoopbackHost("localhost:3001", 3001)).toBe(true);
    expect(isLoopbackHost("[::1]:3001", 3001)).toBe(true);
    expect(isLoopbackHost("127.0.0.1:3002", 3001)).toBe(false);
    expect(isLoopbackHost("evil.example:3001", 3001)).toBe(false);
    expect(isLoopbackHost("127.0.0.1.evil.example", 3001)).toBe(false);
    expect(isLoopbackHost(undefined, 3001)).toBe(false);
  });
});

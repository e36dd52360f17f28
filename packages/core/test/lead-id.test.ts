import { describe, expect, it } from "vitest";
import { replayExecutionName } from "../src/execution-name";
import {
  enrichedKey,
  isValidLeadId,
  LEAD_ID_MAX_LENGTH,
  leadIdOfExecutionName,
  notifiedKey,
  rawEventKey,
  unassignedNoticeKey,
} from "../src/lead-id";
import { LEAD_IDS } from "./fixture-files";

describe("isValidLeadId", () => {
  it("accepts Close's own lead ids", () => {
    for (const leadId of Object.values(LEAD_IDS)) expect(isValidLeadId(leadId)).toBe(true);
    expect(isValidLeadId(`lead_${"x".repeat(LEAD_ID_MAX_LENGTH - 5)}`)).toBe(true);
  });

  it.each([
    ["../", "../"],
    ["a traversal after the prefix", "lead_../x"],
    ["200 characters", `lead_${"a".repeat(195)}`],
    ["one character too many", `lead_${"a".repeat(LEAD_ID_MAX_LENGTH - 4)}`],
    ["a control character", "lead_a\u0007b"],
    ["a DEL", "lead_a\u007fb"],
    ["a space", "lead_a b"],
    ["a tab", "lead_a\tb"],
    ["a trailing newline", "lead_ab\n"],
    ["an underscore after the prefix", "lead_a_b"],
    ["upper-case prefix", "LEAD_ab"],
    ["no prefix", "abc"],
    ["empty", ""],
  ])("refuses %s", (_label, value) => {
    expect(isValidLeadId(value)).toBe(false);
  });

  it("refuses values that are not strings", () => {
    for (const value of [undefined, null, 42, {}, ["lead_a"]]) expect(isValidLeadId(value)).toBe(false);
  });
});

describe("storage keys and execution names", () => {
  const leadId = LEAD_IDS["lead-created.json"];

  it("follow the storage layout", () => {
    expect(rawEventKey(leadId)).toBe(`crm_event_${leadId}.json`);
    expect(enrichedKey(leadId)).toBe(`enriched/crm_event_${leadId}.json`);
    expect(notifiedKey(leadId)).toBe(`notified/${leadId}.json`);
    expect(unassignedNoticeKey(leadId)).toBe(`notified/${leadId}.unassigned.json`);
    expect(unassignedNoticeKey(leadId)).not.toBe(notifiedKey(leadId));
  });

  it("replay names stay within Step Functions' 80 characters and lead back to the lead id", () => {
    const longest = `lead_${"a".repeat(LEAD_ID_MAX_LENGTH - 5)}`;
    // Base-36 milliseconds stay 8 characters until 2059: 64 + "-replay-" + 8 = 80.
    const name = replayExecutionName(longest, Date.parse("2058-12-31T23:59:59Z"));
    expect(name.length).toBeLessThanOrEqual(80);
    expect(replayExecutionName(longest, Date.parse("2026-11-20T14:05:00Z")).length).toBeLessThanOrEqual(80);
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(leadIdOfExecutionName(name)).toBe(longest);
    expect(leadIdOfExecutionName(leadId)).toBe(leadId);
  });
});

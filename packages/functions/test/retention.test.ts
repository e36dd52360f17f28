import { describe, expect, it } from "vitest";
import { DEFAULT_RETENTION_DAYS, LONGEST_REDELIVERY_MS, retentionDays, retentionMs } from "../src/retention";

describe("LEADRELAY_RETENTION_DAYS", () => {
  it("defaults to Step Functions' 90 days and refuses what is not a positive number, naming the variable", () => {
    expect(retentionDays({})).toBe(DEFAULT_RETENTION_DAYS);
    expect(retentionDays({ LEADRELAY_RETENTION_DAYS: "30" })).toBe(30);
    for (const bad of ["0", "-1", "ninety", "Infinity"])
      expect(() => retentionDays({ LEADRELAY_RETENTION_DAYS: bad })).toThrow(/LEADRELAY_RETENTION_DAYS/);
  });

  it("never goes under the longest redelivery window a source documents (Close: 72 h)", () => {
    expect(LONGEST_REDELIVERY_MS).toBe(72 * 3600 * 1000);
    expect(retentionMs(1)).toBe(LONGEST_REDELIVERY_MS);
    expect(retentionMs(90)).toBe(90 * 86_400_000);
  });
});

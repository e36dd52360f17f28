import { describe, expect, it } from "vitest";
import { logRetentionDays } from "../log-retention";

describe("function logs expire", () => {
  it("LOG_RETENTION_DAYS: 30 by default, a year for prod, only CloudWatch's values", () => {
    expect(logRetentionDays("dev", {})).toBe(30);
    expect(logRetentionDays("prod", {})).toBe(365);
    expect(logRetentionDays("dev", { LOG_RETENTION_DAYS: "90" })).toBe(90);
    expect(() => logRetentionDays("dev", { LOG_RETENTION_DAYS: "45" })).toThrow(
      /LOG_RETENTION_DAYS must be one of/,
    );
  });
});

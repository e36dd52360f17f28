import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { formatCount, formatUtc } from "../src/date-format";

const PACKAGE = fileURLToPath(new URL("../", import.meta.url));

/** Every console source the server or the browser runs. */
function sources(): string[] {
  const files: string[] = [];
  for (const dir of ["src", "public"]) {
    for (const file of readdirSync(join(PACKAGE, dir))) {
      if (/\.(ts|js)$/.test(file)) files.push(join(dir, file));
    }
  }
  return files;
}

interface BrowserTimeFormat {
  formatUtc(value: unknown, options?: { seconds?: boolean }): string;
  humanDate(value: unknown): string;
  clockTime(value: unknown): string;
  ago(ms: number, now: number): string;
  formatCount(value: number): string;
}

const browser = (await import(
  pathToFileURL(join(PACKAGE, "public", "time-format.js")).href
)) as BrowserTimeFormat;

describe("one date format in the console", () => {
  it("writes dates as 20 Nov 2026, 14:03:05 UTC, whatever the machine's time zone", () => {
    const at = Date.parse("2026-11-20T14:03:05.250Z");
    expect(formatUtc(at)).toBe("20 Nov 2026, 14:03:05 UTC");
    expect(formatUtc(at, { seconds: false })).toBe("20 Nov 2026, 14:03 UTC");
    // Close's own shapes: microseconds with an offset, and UTC without one.
    expect(formatUtc("2026-11-20T14:03:11.198000+00:00")).toBe("20 Nov 2026, 14:03:11 UTC");
    expect(formatUtc("2026-12-01T01:52:41.123456")).toBe("1 Dec 2026, 01:52:41 UTC");
    expect(formatUtc(undefined)).toBe("—");
    expect(formatUtc("not a date")).toBe("not a date");
    expect(formatCount(1000)).toBe("1,000");
    expect(formatCount(1234567)).toBe("1,234,567");
  });

  it("the browser's copy writes exactly what the server's does", () => {
    const samples: unknown[] = [
      Date.parse("2026-11-20T14:03:05Z"),
      Date.parse("2027-01-02T03:04:05.999Z"),
      "2026-11-20T14:03:11.198000+00:00",
      "2026-12-01T01:52:41.123456",
      "2026-11-20",
      "garbage",
      null,
      "",
    ];
    for (const sample of samples) {
      const value = sample as string | number | null;
      expect(browser.formatUtc(value)).toBe(formatUtc(value));
      expect(browser.formatUtc(value, { seconds: false })).toBe(formatUtc(value, { seconds: false }));
      expect(browser.humanDate(value)).toBe(formatUtc(value, { seconds: false }));
      expect(browser.clockTime(value)).toBe(formatUtc(value));
    }
    const now = Date.parse("2026-11-22T10:00:00Z");
    expect(browser.ago(now - 3 * 86_400_000, now)).toBe("19 Nov 2026, 10:00 UTC");
    expect(browser.formatCount(12345)).toBe(formatCount(12345));
  });

  it("has no locale-dependent date or number rendering anywhere in the console's sources", () => {
    const offenders: string[] = [];
    for (const file of sources()) {
      const text = readFileSync(join(PACKAGE, file), "utf8");
      text.split("\n").forEach((line, index) => {
        if (/toLocale(?:String|DateString|TimeString)\s*\(/.test(line))
          offenders.push(`${file}:${index + 1}: ${line.trim()}`);
      });
    }
    expect(sources().length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});

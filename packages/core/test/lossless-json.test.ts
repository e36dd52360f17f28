import { describe, expect, it } from "vitest";
import { digitsOf, parseJsonKeepingLargeIntegers } from "../src/lossless-json";

describe("parseJsonKeepingLargeIntegers", () => {
  it("keeps the exact digits of integers beyond Number.MAX_SAFE_INTEGER", () => {
    // As numbers, these two ids are the same value: 12345678901234568.
    expect(Number("12345678901234567")).toBe(Number("12345678901234568"));
    const parsed = parseJsonKeepingLargeIntegers(
      '{"a":12345678901234567,"b":[12345678901234568,{"c":-99999999999999999}]}',
    );
    expect(parsed).toEqual({ a: "12345678901234567", b: ["12345678901234568", { c: "-99999999999999999" }] });
  });

  it("leaves safe numbers, fractions, exponents and strings as JSON.parse does", () => {
    const text = '{"small":123123123123,"max":9007199254740991,"pi":3.14,"big":1e21,"s":"12345678901234567"}';
    expect(parseJsonKeepingLargeIntegers(text)).toEqual(JSON.parse(text));
  });

  it("throws SyntaxError on invalid JSON, as JSON.parse", () => {
    expect(() => parseJsonKeepingLargeIntegers('{"a":')).toThrow(SyntaxError);
  });
});

describe("digitsOf", () => {
  it("reads ids from digit strings and exact integers only", () => {
    expect(digitsOf("12345678901234567")).toBe("12345678901234567");
    expect(digitsOf(123123123123)).toBe("123123123123");
    expect(digitsOf(Number("12345678901234567"))).toBeUndefined();
    expect(digitsOf(-1)).toBeUndefined();
    expect(digitsOf(1.5)).toBeUndefined();
    expect(digitsOf("12a")).toBeUndefined();
    expect(digitsOf("")).toBeUndefined();
    expect(digitsOf("1".repeat(21))).toBeUndefined();
    expect(digitsOf(null)).toBeUndefined();
  });
});

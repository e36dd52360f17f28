import { describe, expect, it } from "vitest";
import {
  hashedUserData,
  normaliseEmail,
  normaliseExternalId,
  normaliseName,
  normalisePhone,
  sha256Hex,
} from "../src/domain/meta-user-data";

/** Meta's published examples (customer-information-parameters), recomputed locally with sha256sum. */
const VECTORS = {
  email: ["John_Smith@gmail.com", "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"],
  phone: ["(650)555-1212", "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"],
  name: ["Mary", "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"],
  accented: ["Valéry", "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"],
} as const;

describe("Meta's published hashing vectors", () => {
  it("email: trimmed and lower-cased, then SHA-256", () => {
    expect(hashedUserData({ email: VECTORS.email[0] }).em).toBe(VECTORS.email[1]);
    expect(hashedUserData({ email: `  ${VECTORS.email[0].toUpperCase()} ` }).em).toBe(VECTORS.email[1]);
  });

  it("phone: digits only with the country code ((650)555-1212 in the US → 16505551212)", () => {
    expect(hashedUserData({ phoneNumber: VECTORS.phone[0] }, "1").ph).toBe(VECTORS.phone[1]);
    expect(hashedUserData({ phoneNumber: "+1 (650) 555-1212" }).ph).toBe(VECTORS.phone[1]);
    expect(hashedUserData({ phoneNumber: "001 650 555 1212" }).ph).toBe(VECTORS.phone[1]);
  });

  it("first and last names: lower-cased, UTF-8 kept (Valéry → valéry)", () => {
    expect(hashedUserData({ firstName: VECTORS.name[0] }).fn).toBe(VECTORS.name[1]);
    expect(hashedUserData({ lastName: VECTORS.accented[0] }).ln).toBe(VECTORS.accented[1]);
    // "é" typed as e + combining accent is the same name.
    expect(hashedUserData({ lastName: "Vale\u0301ry" }).ln).toBe(VECTORS.accented[1]);
  });

  it("hashes are lowercase hex SHA-256 of the UTF-8 string", () => {
    expect(sha256Hex("valéry")).toBe(VECTORS.accented[1]);
    expect(sha256Hex("mary")).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("normalisation", () => {
  it("email: empty after trimming is left out", () => {
    expect(normaliseEmail("   ")).toBeUndefined();
    expect(normaliseEmail(" A@B.co ")).toBe("a@b.co");
  });

  it("names: punctuation, symbols and spaces go; letters of any script stay", () => {
    expect(normaliseName("O'Connor-Smith")).toBe("oconnorsmith");
    expect(normaliseName(" Mary Ann ")).toBe("maryann");
    expect(normaliseName("Łukasz")).toBe("łukasz");
    expect(normaliseName("...")).toBeUndefined();
  });

  it("phone: '+' or '00' carries the country code; a national number gets the default, trunk zeros dropped", () => {
    expect(normalisePhone("+44 20 7946 0958")).toBe("442079460958");
    expect(normalisePhone("0044 20 7946 0958")).toBe("442079460958");
    expect(normalisePhone("020 7946 0958", "44")).toBe("442079460958");
    expect(normalisePhone("(503) 555-0147", "1")).toBe("15035550147");
  });

  it("phone: a national number without a default country code is left out, not guessed", () => {
    expect(normalisePhone("(503) 555-0147")).toBeUndefined();
    expect(normalisePhone("+12")).toBeUndefined();
    expect(normalisePhone("call me")).toBeUndefined();
  });

  it("user_data keeps only the fields that have a value; external_id is the contact id as Meta normalises it", () => {
    const data = hashedUserData({ email: "a@b.co", contactId: " C-55012 ", firstName: "" });
    expect(Object.keys(data).sort()).toEqual(["em", "external_id"]);
    expect(data.external_id).toBe(sha256Hex("c-55012"));
    expect(JSON.stringify(data)).not.toContain("a@b.co");
  });
});

/**
 * Meta's own external_id normaliser, facebook/capi-param-builder `getNormalizedExternalID`
 * (https://github.com/facebook/capi-param-builder, php/capi-param-builder/tests/ExternalIDUtilsTest.php
 * and the JS tests of `utils/piiUtil/stringUtil.js`): every whitespace removed, lower-cased, the rest kept.
 * These pairs are taken from those tests.
 */
describe("external_id: Meta's capi-param-builder normalisation", () => {
  const CASES: Array<[string, string]> = [
    ["  12345", "12345"],
    ["abc-12345 ", "abc-12345"],
    ["USER456", "user456"],
    ["Customer_789", "customer_789"],
    ["ID.2023.ABC", "id.2023.abc"],
    ["\tUSER456\n", "user456"],
    ["user 123 id", "user123id"],
    ["ID\t2023\nABC", "id2023abc"],
    ["F47AC10B-58CC-4372-A567-0E02B2C3D479", "f47ac10b-58cc-4372-a567-0e02b2c3d479"],
    ["Müller789", "müller789"],
  ];
  it.each(CASES)("%j → %j", (input, expected) => {
    expect(normaliseExternalId(input)).toBe(expected);
  });

  it("C-55012 hashes as Meta's tools hash it (c-55012); whitespace only is left out", () => {
    expect(hashedUserData({ contactId: "C-55012" }).external_id).toBe(sha256Hex("c-55012"));
    expect(normaliseExternalId(" \t ")).toBeUndefined();
  });
});

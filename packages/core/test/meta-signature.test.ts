import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signMetaPayload, verifyMetaSignature } from "../src/meta-signature";

const APP_SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
/** A leadgen body whose name is non-ASCII, with the `é` written raw (as Meta sends UTF-8). */
const NON_ASCII =
  '{"object":"page","entry":[{"changes":[{"field":"leadgen","value":{"leadgen_id":"1","note":"Łukasz Żółć, café"}}]}]}';

const check = (
  header: string | undefined,
  body: string | Uint8Array = NON_ASCII,
  secret: { appSecret: string | undefined } = { appSecret: APP_SECRET },
) =>
  verifyMetaSignature({
    appSecret: secret.appSecret,
    header,
    rawBody: typeof body === "string" ? Buffer.from(body, "utf8") : body,
  });

describe("signMetaPayload", () => {
  it("matches Meta's documented test vector: HMAC-SHA256(secret, test)", () => {
    expect(signMetaPayload("secret", "test")).toBe(
      "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
    );
  });

  it("signs the UTF-8 bytes of a non-ASCII body, as an independent HMAC computes them", () => {
    const bytes = Buffer.from(NON_ASCII, "utf8");
    expect(bytes.length).toBeGreaterThan(NON_ASCII.length);
    const independent = createHmac("sha256", APP_SECRET).update(bytes).digest("hex");
    expect(signMetaPayload(APP_SECRET, NON_ASCII)).toBe(`sha256=${independent}`);
    expect(signMetaPayload(APP_SECRET, bytes)).toBe(`sha256=${independent}`);
  });
});

describe("verifyMetaSignature", () => {
  it("accepts Meta's test vector", () => {
    expect(
      check("sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914", "test", {
        appSecret: "secret",
      }),
    ).toEqual({
      ok: true,
    });
  });

  it("accepts a non-ASCII body signed over its raw bytes", () => {
    expect(check(signMetaPayload(APP_SECRET, NON_ASCII))).toEqual({ ok: true });
  });

  it("refuses the same text re-serialised with \\u escapes (the bytes differ)", () => {
    const escaped = JSON.stringify(JSON.parse(NON_ASCII)).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
    expect(JSON.parse(escaped)).toEqual(JSON.parse(NON_ASCII));
    expect(check(signMetaPayload(APP_SECRET, NON_ASCII), escaped)).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("accepts upper-case hex and an upper-case prefix, and surrounding spaces", () => {
    const signature = signMetaPayload(APP_SECRET, NON_ASCII);
    expect(check(signature.toUpperCase())).toEqual({ ok: true });
    expect(check(` ${signature} `)).toEqual({ ok: true });
  });

  it("refuses a signature made with another secret, or over one changed byte", () => {
    expect(check(signMetaPayload("another-secret", NON_ASCII))).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    const bytes = Buffer.from(NON_ASCII, "utf8");
    const signature = signMetaPayload(APP_SECRET, bytes);
    bytes.writeUInt8((bytes.at(-3) ?? 0) ^ 1, bytes.length - 3);
    expect(check(signature, bytes)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("names a missing header, a malformed one and a missing app secret apart", () => {
    const hex = signMetaPayload(APP_SECRET, NON_ASCII).slice("sha256=".length);
    expect(check(undefined)).toEqual({ ok: false, reason: "missing-signature" });
    expect(check("")).toEqual({ ok: false, reason: "missing-signature" });
    expect(check(hex)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(check(`sha1=${hex}`)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(check(`sha256=${hex.slice(2)}`)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(check(`sha256=${hex}00`)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(check(`sha256=${"z".repeat(64)}`)).toEqual({ ok: false, reason: "malformed-signature" });
    expect(check(signMetaPayload("", NON_ASCII), NON_ASCII, { appSecret: "" })).toEqual({
      ok: false,
      reason: "no-app-secret",
    });
    expect(check(signMetaPayload(APP_SECRET, NON_ASCII), NON_ASCII, { appSecret: undefined })).toEqual({
      ok: false,
      reason: "no-app-secret",
    });
  });
});

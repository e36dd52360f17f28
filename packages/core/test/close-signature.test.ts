import { describe, expect, it } from "vitest";
import {
  isHexKey,
  SIGNATURE_TOLERANCE_SECONDS,
  type SignatureInput,
  signCloseWebhook,
  verifyCloseSignature,
} from "../src/close-signature";
import { closeFixture } from "./fixture-files";

const SECRET = "5f0c1d2e3a4b5c6d7e8f90112233445566778899aabbccddeeff001122334455";
const OTHER_SECRET = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NOW = Date.parse("2026-11-20T14:05:00Z");
const TIMESTAMP = String(NOW / 1000);
const BODY = closeFixture("lead-created.json");

function check(overrides: Partial<SignatureInput> = {}) {
  return verifyCloseSignature({
    secretHex: SECRET,
    signature: signCloseWebhook(SECRET, TIMESTAMP, BODY),
    timestamp: TIMESTAMP,
    rawBody: Buffer.from(BODY, "utf8"),
    now: NOW,
    ...overrides,
  });
}

describe("signCloseWebhook", () => {
  it("is hex HMAC-SHA256 of timestamp + body under the hex-decoded key", () => {
    const signature = signCloseWebhook(SECRET, TIMESTAMP, BODY);
    expect(signature).toMatch(/^[0-9a-f]{64}$/);
    // Same message split differently: the timestamp is simply prefixed to the body.
    expect(signCloseWebhook(SECRET, "", `${TIMESTAMP}${BODY}`)).toBe(signature);
    expect(signCloseWebhook(SECRET, TIMESTAMP, Buffer.from(BODY, "utf8"))).toBe(signature);
  });

  it("refuses a key that is not hex", () => {
    expect(isHexKey("not-hex")).toBe(false);
    expect(isHexKey("abc")).toBe(false);
    expect(() => signCloseWebhook("not-hex", TIMESTAMP, BODY)).toThrow(/hex/);
  });
});

describe("verifyCloseSignature accepts", () => {
  it("a correct signature within the window", () => {
    expect(check()).toEqual({ ok: true });
  });

  it("an upper-case hex signature", () => {
    expect(check({ signature: signCloseWebhook(SECRET, TIMESTAMP, BODY).toUpperCase() })).toEqual({
      ok: true,
    });
  });

  it("timestamps exactly at the edge of the window, past and future", () => {
    for (const skew of [-SIGNATURE_TOLERANCE_SECONDS, SIGNATURE_TOLERANCE_SECONDS]) {
      const timestamp = String(NOW / 1000 + skew);
      expect(check({ timestamp, signature: signCloseWebhook(SECRET, timestamp, BODY) })).toEqual({
        ok: true,
      });
    }
  });
});

describe("verifyCloseSignature refuses", () => {
  it("a tampered body", () => {
    const tampered = BODY.replace("Harbor & Pine", "Harbour & Pine");
    expect(tampered).not.toBe(BODY);
    expect(check({ rawBody: Buffer.from(tampered, "utf8") })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("a signature made with another key", () => {
    expect(check({ signature: signCloseWebhook(OTHER_SECRET, TIMESTAMP, BODY) })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("a signature for another timestamp", () => {
    const other = String(NOW / 1000 - 1);
    expect(check({ signature: signCloseWebhook(SECRET, other, BODY) })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("a stale timestamp, more than 5 minutes in the past or the future, even when correctly signed", () => {
    for (const skew of [
      -(SIGNATURE_TOLERANCE_SECONDS + 1),
      SIGNATURE_TOLERANCE_SECONDS + 1,
      -86_400,
      86_400,
    ]) {
      const timestamp = String(NOW / 1000 + skew);
      expect(check({ timestamp, signature: signCloseWebhook(SECRET, timestamp, BODY) })).toEqual({
        ok: false,
        reason: "stale-timestamp",
      });
    }
  });

  it("missing headers", () => {
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: "missing-signature" });
    expect(check({ signature: "" })).toEqual({ ok: false, reason: "missing-signature" });
    expect(check({ timestamp: undefined })).toEqual({ ok: false, reason: "missing-timestamp" });
    expect(check({ timestamp: "" })).toEqual({ ok: false, reason: "missing-timestamp" });
  });

  it("a timestamp that is not whole seconds", () => {
    for (const timestamp of [
      "1795183500.5",
      "-1795183500",
      "1795183500abc",
      " 1795183500",
      "1e9",
      "9".repeat(13),
    ]) {
      expect(check({ timestamp }), timestamp).toEqual({ ok: false, reason: "bad-timestamp" });
    }
  });

  it("a signature that is not hex", () => {
    const good = signCloseWebhook(SECRET, TIMESTAMP, BODY);
    for (const signature of ["z".repeat(64), `${good.slice(0, 63)}g`, `sha256=${good}`, ` ${good}`, "0x12"]) {
      expect(check({ signature }), signature).toEqual({ ok: false, reason: "bad-signature" });
    }
  });

  it("a signature of the wrong length", () => {
    const good = signCloseWebhook(SECRET, TIMESTAMP, BODY);
    for (const signature of [good.slice(0, 62), `${good}00`, good.slice(0, 2), `${good}${good}`, "a"]) {
      expect(check({ signature }), signature).toEqual({ ok: false, reason: "bad-signature" });
    }
  });
});

describe("verification is on the raw bytes", () => {
  it("accepts a body with unicode when the bytes are the UTF-8 that was signed", () => {
    const body = closeFixture("lead-created-data-id-only.json");
    expect(body).toContain("Łukasz Żółć");
    const signature = signCloseWebhook(SECRET, TIMESTAMP, body);
    expect(check({ signature, rawBody: Buffer.from(body, "utf8") })).toEqual({ ok: true });
    // The same text in another encoding is other bytes.
    expect(check({ signature, rawBody: Buffer.from(body, "latin1") })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("refuses the same JSON re-serialised with different spacing", () => {
    const signature = signCloseWebhook(SECRET, TIMESTAMP, BODY);
    const compact = JSON.stringify(JSON.parse(BODY));
    const spaced = JSON.stringify(JSON.parse(BODY), null, 4);
    expect(JSON.parse(compact)).toEqual(JSON.parse(BODY));
    expect(check({ signature, rawBody: Buffer.from(compact, "utf8") })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(check({ signature, rawBody: Buffer.from(spaced, "utf8") })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(check({ signature, rawBody: Buffer.from(`${BODY}\n`, "utf8") })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });
});

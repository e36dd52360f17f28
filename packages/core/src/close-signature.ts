import { createHmac, timingSafeEqual } from "node:crypto";

/** Close's header names (lower case, as API Gateway v2 and node:http deliver them). */
export const SIGNATURE_HEADER = "close-sig-hash";
export const TIMESTAMP_HEADER = "close-sig-timestamp";
/** A signature older or newer than this is refused: it bounds how long a captured request can be replayed. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

export function isHexKey(value: string): boolean {
  return HEX.test(value);
}

/** hex HMAC-SHA256 with key = hex-decoded signature key, message = timestamp + raw body. */
export function signCloseWebhook(secretHex: string, timestamp: string, rawBody: string | Uint8Array): string {
  if (!isHexKey(secretHex)) throw new Error("The Close signature key must be hex");
  return createHmac("sha256", Buffer.from(secretHex, "hex"))
    .update(timestamp)
    .update(typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody)
    .digest("hex");
}

export type SignatureCheck =
  | { ok: true }
  | {
      ok: false;
      reason:
        | "missing-signature"
        | "missing-timestamp"
        | "bad-timestamp"
        | "stale-timestamp"
        | "bad-signature";
    };

export interface SignatureInput {
  secretHex: string;
  signature: string | undefined;
  timestamp: string | undefined;
  rawBody: Uint8Array;
  /** Current time in milliseconds. */
  now: number;
  toleranceSeconds?: number;
}

/** Verifies on the raw bytes, in constant time for well-formed signatures. */
export function verifyCloseSignature(input: SignatureInput): SignatureCheck {
  const { signature, timestamp } = input;
  if (!signature) return { ok: false, reason: "missing-signature" };
  if (!timestamp) return { ok: false, reason: "missing-timestamp" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "bad-timestamp" };
  const tolerance = input.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS;
  if (Math.abs(input.now / 1000 - Number(timestamp)) > tolerance)
    return { ok: false, reason: "stale-timestamp" };
  const expected = Buffer.from(signCloseWebhook(input.secretHex, timestamp, input.rawBody), "hex");
  const given = HEX.test(signature) ? Buffer.from(signature, "hex") : Buffer.alloc(0);
  // timingSafeEqual needs equal lengths: a wrong-length signature is compared with `expected` itself
  // (same work, same time) and then refused on its length.
  const sameLength = given.length === expected.length;
  const same = timingSafeEqual(sameLength ? given : expected, expected) && sameLength;
  return same ? { ok: true } : { ok: false, reason: "bad-signature" };
}

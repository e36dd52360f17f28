import { createHmac, timingSafeEqual } from "node:crypto";

/** Meta's signature header, lower case as API Gateway v2 and node:http deliver it. */
export const META_SIGNATURE_HEADER = "x-hub-signature-256";
const PREFIX = "sha256=";
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;

/**
 * `sha256=<hex>`: HMAC-SHA256 of the raw bytes with the app secret. Over the bytes as received:
 * re-serialised JSON would change escapes (`\u00e9` vs `é`) and break the signature.
 */
export function signMetaPayload(appSecret: string, rawBody: string | Uint8Array): string {
  const bytes = typeof rawBody === "string" ? Buffer.from(rawBody, "utf8") : rawBody;
  return `${PREFIX}${createHmac("sha256", Buffer.from(appSecret, "utf8")).update(bytes).digest("hex")}`;
}

export type MetaSignatureCheck =
  | { ok: true }
  | { ok: false; reason: "no-app-secret" | "missing-signature" | "malformed-signature" | "bad-signature" };

/**
 * Verifies `X-Hub-Signature-256` on the raw bytes. The digests are compared in constant time; a
 * malformed header is compared against the expected digest itself (same work) before it is refused,
 * so its shape does not show in the timing either.
 */
export function verifyMetaSignature(input: {
  appSecret: string | undefined;
  header: string | undefined;
  rawBody: Uint8Array;
}): MetaSignatureCheck {
  if (!input.appSecret) return { ok: false, reason: "no-app-secret" };
  const header = input.header?.trim();
  if (!header) return { ok: false, reason: "missing-signature" };
  const expected = Buffer.from(signMetaPayload(input.appSecret, input.rawBody).slice(PREFIX.length), "hex");
  const hex = header.slice(0, PREFIX.length).toLowerCase() === PREFIX ? header.slice(PREFIX.length) : "";
  const wellFormed = HEX_DIGEST.test(hex);
  const given = wellFormed ? Buffer.from(hex, "hex") : expected;
  const same = timingSafeEqual(given, expected);
  if (!wellFormed) return { ok: false, reason: "malformed-signature" };
  return same ? { ok: true } : { ok: false, reason: "bad-signature" };
}

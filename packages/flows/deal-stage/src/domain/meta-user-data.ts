import { createHash } from "node:crypto";

/**
 * Customer information for the Conversions API: normalised the way Meta documents, then SHA-256
 * (lowercase hex of the UTF-8 string). Meta matches people on these hashes, so a normalisation
 * that differs from Meta's by one character is a missed match, silently: the published test
 * vectors are in the tests.
 */

export interface MetaUserData {
  em?: string;
  ph?: string;
  fn?: string;
  ln?: string;
  external_id?: string;
}

export const sha256Hex = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");

/** Email: trimmed, lower-cased. */
export function normaliseEmail(email: string): string | undefined {
  const value = email.trim().toLowerCase();
  return value === "" ? undefined : value;
}

/**
 * Names: lower-cased, punctuation and spaces removed, letters of any script kept (NFC, so "é"
 * typed either way hashes the same).
 */
export function normaliseName(name: string): string | undefined {
  const value = name
    .normalize("NFC")
    .toLowerCase()
    .replace(/[\p{P}\p{S}\p{Z}\p{Cc}\s]+/gu, "");
  return value === "" ? undefined : value;
}

/**
 * Phone: digits only, with the country code and no leading zeros. A number written with "+" or
 * "00" carries its country code; any other is national: its trunk zeros go and the default
 * country code is put in front. Without a default, a national number is left out (Meta would
 * hash it as another country's number).
 */
export function normalisePhone(phone: string, defaultCountryCode?: string): string | undefined {
  const trimmed = phone.trim();
  const international = trimmed.startsWith("+") || /^00[1-9]/.test(trimmed.replace(/[^\d+]/g, ""));
  const digits = trimmed.replace(/\D/g, "");
  if (international) {
    const value = digits.replace(/^0+/, "");
    return value.length >= 7 ? value : undefined;
  }
  const national = digits.replace(/^0+/, "");
  if (!defaultCountryCode || national.length < 4) return undefined;
  return `${defaultCountryCode}${national}`;
}

/**
 * External id: the CRM contact id with every whitespace removed and lower-cased, as Meta's own
 * normaliser does before hashing (facebook/capi-param-builder `getNormalizedExternalID`: "USER456"
 * → "user456", "user 123 id" → "user123id"), so our hash matches the one Meta's pixel and tools send.
 */
export function normaliseExternalId(id: string): string | undefined {
  const value = id.replace(/\s+/g, "").toLowerCase();
  return value === "" ? undefined : value;
}

export interface CustomerIdentity {
  email?: string;
  phoneNumber?: string;
  firstName?: string;
  lastName?: string;
  contactId?: string;
}

/** The hashed `user_data` of one person; fields without a usable value are left out. */
export function hashedUserData(customer: CustomerIdentity, defaultCountryCode?: string): MetaUserData {
  const normalised: Record<keyof MetaUserData, string | undefined> = {
    em: customer.email === undefined ? undefined : normaliseEmail(customer.email),
    ph:
      customer.phoneNumber === undefined
        ? undefined
        : normalisePhone(customer.phoneNumber, defaultCountryCode),
    fn: customer.firstName === undefined ? undefined : normaliseName(customer.firstName),
    ln: customer.lastName === undefined ? undefined : normaliseName(customer.lastName),
    external_id: customer.contactId === undefined ? undefined : normaliseExternalId(customer.contactId),
  };
  const out: MetaUserData = {};
  for (const [key, value] of Object.entries(normalised) as Array<[keyof MetaUserData, string | undefined]>) {
    if (value !== undefined) out[key] = sha256Hex(value);
  }
  return out;
}

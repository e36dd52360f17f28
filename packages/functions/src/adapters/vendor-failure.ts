import type { OutboundFailure } from "@leadrelay/core";

/**
 * Helpers for the vendor classifiers: the HTTP client's failure reads `METHOD /path: <detail>`;
 * a vendor's rules replace the detail with the vendor's own message and code, and append what
 * the vendor said about its limits, so the execution history shows why without a log dive.
 */

/** The failure with the vendor's message (and code) after the client's `METHOD /path`. */
export function vendorFailure(
  failure: OutboundFailure,
  message: string | undefined,
  code?: string | number,
): OutboundFailure {
  const cut = failure.detail.indexOf(": ");
  const where = cut === -1 ? failure.detail : failure.detail.slice(0, cut);
  const detail = message?.replace(/\s+/g, " ").trim().slice(0, 300);
  return {
    ...failure,
    ...(code === undefined || code === null || code === "" ? {} : { code: String(code) }),
    detail: detail ? `${where}: ${detail}` : failure.detail,
  };
}

/** ` (name: value; …)` for the headers that are present, or "" when none is. */
export function headerNote(headers: Headers, names: readonly string[]): string {
  const present = names
    .map((name) => [name, headers.get(name)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== null && entry[1] !== "")
    .map(([name, value]) => `${name}: ${value.slice(0, 120)}`);
  return present.length === 0 ? "" : ` (${present.join("; ")})`;
}

/** With `note` appended to the detail (a header note, a hint for the operator). */
export function withNote(failure: OutboundFailure, note: string): OutboundFailure {
  return note === "" ? failure : { ...failure, detail: `${failure.detail}${note}` };
}

/**
 * The membership directory: `GET {MEMBERS_BASE_URL}/members?email=<email>` → 200 `{ status }` or
 * 404. The email travels in the query string only; errors never carry it.
 */
export type MemberLookup = { found: false } | { found: true; status: string };

/** Throws ServiceRateLimited / ServiceUnavailable / ServiceRejected (never with the email in the message). */
export interface MemberDirectory {
  lookup(email: string): Promise<MemberLookup>;
}

import type { MemberLookup } from "@leadrelay/core";

/**
 * The three categories a lead is sorted into, each published as its own detail-type
 * (`meta-lead.<category>`) so each can have its own subscribers.
 */
export const CATEGORIES = ["pending", "terminated", "already_subscribed"] as const;
export type Category = (typeof CATEGORIES)[number];

/**
 * What the membership directory said: its status (lower case), or why it was not asked.
 * `not_found`: no member has the email; `no_email`: the lead gave none; `unchecked`: the directory is
 * not configured (MEMBERS_BASE_URL unset).
 */
export type Membership = string;

const ENDED = new Set(["terminated", "cancelled", "canceled"]);

/** active → already subscribed; terminated or cancelled → terminated; not found or anything else → pending. */
export function categoryOf(lookup: MemberLookup): Category {
  if (!lookup.found) return "pending";
  const status = lookup.status.trim().toLowerCase();
  if (status === "active") return "already_subscribed";
  if (ENDED.has(status)) return "terminated";
  return "pending";
}

/** The directory's word for the history and the event: a status is kept only as a short plain token. */
export function membershipOf(lookup: MemberLookup): Membership {
  if (!lookup.found) return "not_found";
  const status = lookup.status.trim().toLowerCase();
  return /^[a-z0-9_-]{1,40}$/.test(status) ? status : "other";
}

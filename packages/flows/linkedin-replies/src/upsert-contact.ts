import { businessKeyOfExecutionName, type Clock, type HubSpotCrm, type ObjectStore } from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { contactProperties } from "./domain/contact-properties";
import { ReplyWithoutIdentity } from "./domain/errors";
import { LINKEDIN_URL_PROPERTY } from "./domain/hubspot-properties";
import { linkedinContactKey } from "./domain/keys";
import type { ReplySummary } from "./domain/reply";
import { parseClaim } from "./domain/write-claim";
import { hubspotFromEnv } from "./hubspot-from-env";
import { type Skipped, UpsertContactInput } from "./task-input";
import { writeOnce } from "./write-once";

export type UpsertContactResult =
  | {
      status: "created" | "updated";
      contactId: string;
      /** What found the contact: its email (HubSpot's unique key) or its LinkedIn profile. */
      matchedBy: "email" | "linkedin";
      /** Set when the profile's contact and the email's contact were two: the email's won. */
      note?: string;
    }
  | Skipped;

/**
 * Search is eventually consistent (a contact created seconds ago may not be found), so a claim
 * on a LinkedIn-only contact is taken over only after this long without HubSpot showing it.
 */
export const LINKEDIN_CLAIM_STALE_MS = 120_000;

export interface UpsertContactDeps {
  store: ObjectStore;
  crm?: HubSpotCrm;
  skipReason?: string;
  clock?: Clock;
}

/**
 * The reply's contact, up to date (names, LinkedIn URL, last reply time):
 * - with an email: HubSpot's batch upsert keyed by email, one call and no search; if this flow
 *   already made a contact for the profile (from a reply without an email), that contact gets the
 *   email instead — and if HubSpot answers 409 "Existing ID" (the email is someone's already),
 *   that existing contact is the one updated and remembered for the profile;
 * - with only a LinkedIn URL: the contact this flow remembered for the profile, else a search on
 *   `leadrelay_linkedin_url` (contacts made by hand), else one created under a claim, so that
 *   retries, redrives and concurrent replies make it at most once however late search catches up.
 */
export function createUpsertContact(deps: UpsertContactDeps) {
  const clock = deps.clock ?? Date.now;
  const { store } = deps;

  async function remembered(key: string | undefined): Promise<string | undefined> {
    if (key === undefined) return undefined;
    const claim = parseClaim(await store.get(key));
    return claim?.status === "written" ? claim.id : undefined;
  }
  /** Profile → contact, as a confirmed claim (what `writeOnce` leaves after a create). */
  const confirmed = (id: string, owner: string) =>
    JSON.stringify({ status: "written", at: new Date(clock()).toISOString(), by: owner, id });
  const remember = (key: string, id: string, owner: string) => store.put(key, confirmed(id, owner));

  async function byEmail(crm: HubSpotCrm, reply: ReplySummary, email: string, owner: string) {
    const profileKey = reply.linkedinUrl ? linkedinContactKey(reply.linkedinUrl) : undefined;
    const mapped = await remembered(profileKey);
    if (mapped !== undefined && profileKey !== undefined) {
      const updated = await crm.updateContact(mapped, contactProperties(reply, { withEmail: true }));
      if (updated.status === "updated") {
        return { status: "updated" as const, contactId: updated.id, matchedBy: "linkedin" as const };
      }
      if (updated.status === "conflict") {
        // The email is another contact's: HubSpot's unique key wins, the profile now points there.
        const existing = await crm.updateContact(
          updated.existingId,
          contactProperties(reply, { withEmail: false }),
        );
        const contactId = existing.status === "updated" ? existing.id : updated.existingId;
        await remember(profileKey, contactId, owner);
        return {
          status: "updated" as const,
          contactId,
          matchedBy: "email" as const,
          note: `contact ${mapped} (same LinkedIn profile, no email) is left as is: merge it into ${contactId} in HubSpot`,
        };
      }
      // Deleted or merged away in HubSpot: fall through to the email.
    }
    const { id, created } = await crm.upsertContactByEmail(
      email,
      contactProperties(reply, { withEmail: false }),
    );
    if (profileKey !== undefined && mapped !== id) {
      // Not over a claim another reply holds for a LinkedIn-only create: that one completes it.
      if (mapped === undefined) await store.putIfAbsent(profileKey, confirmed(id, owner));
      else await remember(profileKey, id, owner);
    }
    return {
      status: created ? ("created" as const) : ("updated" as const),
      contactId: id,
      matchedBy: "email" as const,
    };
  }

  async function byProfile(crm: HubSpotCrm, reply: ReplySummary, linkedinUrl: string, owner: string) {
    const key = linkedinContactKey(linkedinUrl);
    const properties = contactProperties(reply, { withEmail: false });
    const mapped = await remembered(key);
    if (mapped !== undefined) {
      const updated = await crm.updateContact(mapped, properties);
      if (updated.status === "updated") {
        return { status: "updated" as const, contactId: updated.id, matchedBy: "linkedin" as const };
      }
      // Gone from HubSpot: forget it and find or make the contact again.
      await store.delete(key);
    }
    const search = async () =>
      (await crm.searchContacts(LINKEDIN_URL_PROPERTY, linkedinUrl, [LINKEDIN_URL_PROPERTY]))[0]?.id;
    const found = await search();
    if (found !== undefined) {
      await crm.updateContact(found, properties);
      await remember(key, found, owner);
      return { status: "updated" as const, contactId: found, matchedBy: "linkedin" as const };
    }
    const result = await writeOnce({
      store,
      key,
      owner,
      what: `the contact of ${linkedinUrl}`,
      find: search,
      consistentLookup: false,
      staleAfterMs: LINKEDIN_CLAIM_STALE_MS,
      clock,
      async write() {
        const created = await crm.createContact(properties);
        return created.status === "created" ? created.id : created.existingId;
      },
    });
    if (result.status !== "written") await crm.updateContact(result.id, properties);
    return {
      status: result.status === "written" ? ("created" as const) : ("updated" as const),
      contactId: result.id,
      matchedBy: "linkedin" as const,
    };
  }

  return async (event: unknown): Promise<UpsertContactResult> => {
    const { reply, execution } = UpsertContactInput.parse(event);
    if (!deps.crm) return { status: "skipped", reason: deps.skipReason ?? "HUBSPOT_TOKEN is not set" };
    const owner = businessKeyOfExecutionName(execution);
    if (reply.email) return byEmail(deps.crm, reply, reply.email, owner);
    if (reply.linkedinUrl) return byProfile(deps.crm, reply, reply.linkedinUrl, owner);
    throw new ReplyWithoutIdentity(reply.replyRef);
  };
}

export const build: HandlerBuild = (env, kit) => {
  const hubspot = hubspotFromEnv(env);
  return createUpsertContact({
    store: storeFromEnv(env, kit),
    ...(hubspot.crm ? { crm: hubspot.crm } : { skipReason: hubspot.skipReason }),
  });
};
export const handler = taskHandler("upsert-contact", build);

import { type HubSpotCrm, ServiceUnavailable } from "@leadrelay/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MemoryStore } from "../../../functions/test/fakes";
import { createAddNote } from "../src/add-note";
import { LAST_REPLY_PROPERTY, LINKEDIN_URL_PROPERTY } from "../src/domain/hubspot-properties";
import { dealMarkerKey, linkedinContactKey, noteMarkerKey } from "../src/domain/keys";
import type { ReplySummary } from "../src/domain/reply";
import { createEnsureDeal, DEAL_CLAIM_STALE_MS } from "../src/ensure-deal";
import { createUpsertContact, LINKEDIN_CLAIM_STALE_MS } from "../src/upsert-contact";
import { associationPairs, type HubSpotLoopback, hubspotLoopback, summary } from "./support";

let hubspot: HubSpotLoopback;
let store: MemoryStore;

// Each test its own CRM (a loopback server starts in a few ms) and its own bucket.
beforeEach(async () => {
  hubspot = await hubspotLoopback();
  store = new MemoryStore();
});
afterEach(async () => {
  await hubspot.close();
});

/** A CRM whose next create reaches HubSpot but whose answer is lost (a timeout after the write). */
function losingAnswer(crm: HubSpotCrm, method: "createContact" | "createObject"): HubSpotCrm {
  let lose = true;
  const lost = () => new ServiceUnavailable({ service: "hubspot", detail: "POST: no answer within 8000 ms" });
  return {
    ...crm,
    async createContact(properties) {
      const result = await crm.createContact(properties);
      if (method === "createContact" && lose) {
        lose = false;
        throw lost();
      }
      return result;
    },
    async createObject(type, properties, associations) {
      const result = await crm.createObject(type, properties, associations);
      if (method === "createObject" && lose) {
        lose = false;
        throw lost();
      }
      return result;
    },
  };
}

const upsert = (crm: HubSpotCrm = hubspot.crm) => createUpsertContact({ store, crm, clock: hubspot.clock });
const ensureDeal = (crm: HubSpotCrm = hubspot.crm) =>
  createEnsureDeal({ store, crm, pipeline: "default", stage: "appointmentscheduled", clock: hubspot.clock });
const addNote = (crm: HubSpotCrm = hubspot.crm) => createAddNote({ store, crm, clock: hubspot.clock });
const run = (reply: ReplySummary, execution = reply.replyRef) => ({ reply, execution });

describe("UpsertContact", () => {
  it("is skipped without HUBSPOT_TOKEN", async () => {
    const skipped = await createUpsertContact({ store, skipReason: "HUBSPOT_TOKEN is not set" })(
      run(summary()),
    );
    expect(skipped).toEqual({ status: "skipped", reason: "HUBSPOT_TOKEN is not set" });
  });

  it("creates by email, then updates the same contact: names, profile, last reply", async () => {
    const first = await upsert()(run(summary()));
    expect(first).toEqual({ status: "created", contactId: expect.any(String), matchedBy: "email" });
    const second = await upsert()(
      run(summary({ lastname: "King", sentAt: "2026-11-21T09:00:00.000Z", replyRef: "lgm-conv1-msg2" })),
    );
    expect(second).toMatchObject({
      status: "updated",
      contactId: first.status === "skipped" ? "" : first.contactId,
    });
    const { contacts } = await hubspot.state();
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.properties).toMatchObject({
      email: "ada@example.com",
      firstname: "Ada",
      lastname: "King",
      [LINKEDIN_URL_PROPERTY]: "https://www.linkedin.com/in/ada",
      [LAST_REPLY_PROPERTY]: "2026-11-21T09:00:00.000Z",
    });
  });

  it("matches a reply without email on the LinkedIn profile it remembered, however late search is", async () => {
    await hubspot.setSearchLag(3_600_000);
    const reply = summary({ email: undefined });
    const first = await upsert()(run(reply));
    const second = await upsert()(run({ ...reply, replyRef: "lgm-conv1-msg2", firstname: "Augusta" }));
    expect(first).toMatchObject({ status: "created", matchedBy: "linkedin" });
    expect(second).toMatchObject({ status: "updated", matchedBy: "linkedin" });
    const { contacts } = await hubspot.state();
    expect(contacts.map((c) => c.properties.firstname)).toEqual(["Augusta"]);
  });

  it("finds a contact made by hand through search on the LinkedIn property", async () => {
    const made = await hubspot.crm.createContact({
      firstname: "Ada",
      [LINKEDIN_URL_PROPERTY]: "https://www.linkedin.com/in/ada",
    });
    const result = await upsert()(run(summary({ email: undefined })));
    expect(result).toEqual({
      status: "updated",
      contactId: made.status === "created" ? made.id : "",
      matchedBy: "linkedin",
    });
    expect((await hubspot.state()).contacts).toHaveLength(1);
    expect(store.text(linkedinContactKey("https://www.linkedin.com/in/ada"))).toContain('"status":"written"');
  });

  it("409 recovery: the profile's contact gets the email, unless it is someone's already — then that one wins", async () => {
    const linkedinOnly = await upsert()(run(summary({ email: undefined })));
    const byHand = await hubspot.crm.createContact({ email: "ada@example.com", firstname: "A." });
    if (linkedinOnly.status === "skipped" || byHand.status !== "created") throw new Error("setup");
    const result = await upsert()(run(summary({ replyRef: "lgm-conv1-msg2" })));
    expect(result).toMatchObject({ status: "updated", contactId: byHand.id, matchedBy: "email" });
    expect(result.status !== "skipped" && result.note).toContain(`contact ${linkedinOnly.contactId}`);
    const { contacts } = await hubspot.state();
    const winner = contacts.find((c) => c.id === byHand.id);
    expect(winner?.properties).toMatchObject({
      email: "ada@example.com",
      firstname: "Ada",
      [LINKEDIN_URL_PROPERTY]: "https://www.linkedin.com/in/ada",
    });
    expect(contacts.find((c) => c.id === linkedinOnly.contactId)?.properties.email).toBeUndefined();
    // The profile now points at the email's contact.
    const later = await upsert()(run(summary({ email: undefined, replyRef: "lgm-conv1-msg3" })));
    expect(later).toMatchObject({ contactId: byHand.id, matchedBy: "linkedin" });
    expect(hubspot.requests().filter((r) => r.status === 409)).toHaveLength(1);
  });

  it("adds the email to the contact it made for the profile instead of making a second one", async () => {
    const linkedinOnly = await upsert()(run(summary({ email: undefined })));
    const withEmail = await upsert()(run(summary({ replyRef: "lgm-conv1-msg2" })));
    expect(withEmail).toMatchObject({ status: "updated", matchedBy: "linkedin" });
    expect(linkedinOnly.status !== "skipped" && withEmail.status !== "skipped" && withEmail.contactId).toBe(
      linkedinOnly.status !== "skipped" && linkedinOnly.contactId,
    );
    const { contacts } = await hubspot.state();
    expect(contacts.map((c) => c.properties.email)).toEqual(["ada@example.com"]);
  });

  it("creates a LinkedIn-only contact at most once when the answer to the create is lost", async () => {
    const reply = summary({ email: undefined });
    const lossy = losingAnswer(hubspot.crm, "createContact");
    await expect(upsert(lossy)(run(reply))).rejects.toThrow(ServiceUnavailable);
    const retried = await upsert(lossy)(run(reply));
    expect(retried).toMatchObject({ status: "updated", matchedBy: "linkedin" });
    expect((await hubspot.state()).contacts).toHaveLength(1);
  });

  it("waits while another reply's create is unconfirmed and search shows nothing, takes over once stale", async () => {
    await hubspot.setSearchLag(3_600_000);
    const key = linkedinContactKey("https://www.linkedin.com/in/ada");
    store.objects.set(
      key,
      Buffer.from(
        JSON.stringify({ status: "writing", at: new Date(hubspot.clock()).toISOString(), by: "lgm-other" }),
      ),
    );
    await expect(upsert()(run(summary({ email: undefined })))).rejects.toMatchObject({
      name: "HubSpotWritePending",
    });
    expect((await hubspot.state()).contacts).toHaveLength(0);
    hubspot.advance(LINKEDIN_CLAIM_STALE_MS + 1);
    expect(await upsert()(run(summary({ email: undefined })))).toMatchObject({ status: "created" });
    expect((await hubspot.state()).contacts).toHaveLength(1);
  });

  it("refuses a reply with neither email nor profile", async () => {
    await expect(upsert()(run(summary({ email: undefined, linkedinUrl: undefined })))).rejects.toMatchObject({
      name: "ReplyWithoutIdentity",
    });
  });

  it("fails as HubSpot does when the custom properties were never created", async () => {
    await hubspot.close();
    hubspot = await hubspotLoopback({ setUp: false });
    await expect(upsert()(run(summary()))).rejects.toMatchObject({
      name: "ServiceRejected",
      message: expect.stringContaining("pnpm leadrelay hubspot setup"),
    });
  });
});

async function contactOf(reply = summary()): Promise<string> {
  const result = await upsert()(run(reply));
  if (result.status === "skipped") throw new Error("skipped");
  return result.contactId;
}

describe("EnsureDeal", () => {
  it("creates the deal in the pipeline and stage, associated to the contact, then reuses it without a call", async () => {
    const contactId = await contactOf();
    const created = await ensureDeal()({ ...run(summary()), contactId });
    expect(created).toEqual({ status: "created", dealId: expect.any(String) });
    const calls = hubspot.requests().length;
    const reused = await ensureDeal()({ ...run(summary({ replyRef: "lgm-conv1-msg2" })), contactId });
    expect(reused).toEqual({
      status: "reused",
      dealId: created.status === "skipped" ? "" : created.dealId,
      foundBy: "record",
    });
    expect(hubspot.requests().length).toBe(calls);
    const state = await hubspot.state();
    expect(state.deals).toHaveLength(1);
    expect(state.deals[0]?.properties).toMatchObject({
      dealname: "Ada Lovelace — Q4 Founders",
      pipeline: "default",
      dealstage: "appointmentscheduled",
      leadrelay_lgm_campaign: "Q4 Founders",
    });
    expect(associationPairs(state)).toEqual([`deals:${state.deals[0]?.id}→contacts:${contactId}#3`]);
  });

  it("reuses the contact's open deal for the campaign found through its associations", async () => {
    const contactId = await contactOf();
    const open = await hubspot.crm.createObject(
      "deals",
      { dealname: "Ada — Q4 Founders", pipeline: "default", dealstage: "qualifiedtobuy" },
      [{ toId: contactId, typeId: 3 }],
    );
    expect(await ensureDeal()({ ...run(summary()), contactId })).toEqual({
      status: "reused",
      dealId: open.id,
      foundBy: "associations",
    });
    expect((await hubspot.state()).deals).toHaveLength(1);
  });

  it("makes a new deal when the campaign's deal is closed, or for another campaign", async () => {
    const contactId = await contactOf();
    await hubspot.crm.createObject(
      "deals",
      { dealname: "Ada — Q4 Founders", pipeline: "default", dealstage: "closedlost" },
      [{ toId: contactId, typeId: 3 }],
    );
    expect(await ensureDeal()({ ...run(summary()), contactId })).toMatchObject({ status: "created" });
    expect(await ensureDeal()({ ...run(summary({ campaign: "Other" })), contactId })).toMatchObject({
      status: "created",
    });
    expect((await hubspot.state()).deals).toHaveLength(3);
  });

  it("creates at most once when the answer to the create is lost: the retry finds it through the associations", async () => {
    const contactId = await contactOf();
    const lossy = losingAnswer(hubspot.crm, "createObject");
    await expect(ensureDeal(lossy)({ ...run(summary()), contactId })).rejects.toThrow(ServiceUnavailable);
    expect(await ensureDeal(lossy)({ ...run(summary()), contactId })).toMatchObject({ status: "recovered" });
    expect((await hubspot.state()).deals).toHaveLength(1);
  });

  it("retries a create HubSpot refused (the claim is released), and waits on another reply's fresh claim", async () => {
    const contactId = await contactOf();
    await hubspot.fail({
      status: 400,
      method: "POST",
      path: "/crm/v3/objects/deals",
      body: { status: "error", message: "bad" },
    });
    await expect(ensureDeal()({ ...run(summary()), contactId })).rejects.toMatchObject({
      name: "ServiceRejected",
    });
    expect(store.text(dealMarkerKey(contactId, "q4 founders"))).toBeUndefined();

    store.objects.set(
      dealMarkerKey(contactId, "q4 founders"),
      Buffer.from(
        JSON.stringify({ status: "writing", at: new Date(hubspot.clock()).toISOString(), by: "lgm-other" }),
      ),
    );
    await expect(ensureDeal()({ ...run(summary()), contactId })).rejects.toMatchObject({
      name: "HubSpotWritePending",
    });
    hubspot.advance(DEAL_CLAIM_STALE_MS + 1);
    expect(await ensureDeal()({ ...run(summary()), contactId })).toMatchObject({ status: "created" });
    expect((await hubspot.state()).deals).toHaveLength(1);
  });
});

describe("AddNote", () => {
  async function prepared(text = "Hi <b>there</b>") {
    const reply = summary();
    store.objects.set(reply.replyKey, Buffer.from(JSON.stringify({ ...reply, text })));
    const contactId = await contactOf(reply);
    const deal = await ensureDeal()({ ...run(reply), contactId });
    if (deal.status === "skipped") throw new Error("skipped");
    return { reply, contactId, dealId: deal.dealId };
  }

  it("writes the reply once, on the contact (202) and the deal (214), at the message's time", async () => {
    const { reply, contactId, dealId } = await prepared();
    const first = await addNote()({ ...run(reply), contactId, dealId });
    expect(first).toEqual({ status: "created", noteId: expect.any(String), dealId });
    expect(
      await addNote()({ ...run(reply, `${reply.replyRef}-replay-abc`), contactId, dealId }),
    ).toMatchObject({
      status: "already-created",
    });
    const state = await hubspot.state();
    expect(state.notes).toHaveLength(1);
    expect(state.notes[0]?.properties.hs_timestamp).toBe("2026-11-20T14:00:00.000Z");
    expect(state.notes[0]?.properties.hs_note_body).toContain("Hi &lt;b&gt;there&lt;/b&gt;");
    const noteId = state.notes[0]?.id;
    expect(associationPairs(state)).toContain(`notes:${noteId}→contacts:${contactId}#202`);
    expect(associationPairs(state)).toContain(`notes:${noteId}→deals:${dealId}#214`);
  });

  it("recovers a note whose create answer was lost, from the deal's notes", async () => {
    const { reply, contactId, dealId } = await prepared();
    const lossy = losingAnswer(hubspot.crm, "createObject");
    await expect(addNote(lossy)({ ...run(reply), contactId, dealId })).rejects.toThrow(ServiceUnavailable);
    expect(store.text(noteMarkerKey("conv1", "msg1"))).toContain('"writing"');
    expect(await addNote(lossy)({ ...run(reply), contactId, dealId })).toMatchObject({ status: "recovered" });
    expect((await hubspot.state()).notes).toHaveLength(1);
  });

  it("writes again after a 5xx that wrote nothing (its own claim, a consistent lookup)", async () => {
    const { reply, contactId, dealId } = await prepared();
    await hubspot.fail({ status: 503, method: "POST", path: "/crm/v3/objects/notes" });
    await expect(addNote()({ ...run(reply), contactId, dealId })).rejects.toMatchObject({
      name: "ServiceUnavailable",
    });
    expect(await addNote()({ ...run(reply), contactId, dealId })).toMatchObject({ status: "created" });
    expect((await hubspot.state()).notes).toHaveLength(1);
  });

  it("refuses when the settled reply is gone", async () => {
    const { reply, contactId, dealId } = await prepared();
    store.objects.delete(reply.replyKey);
    await expect(addNote()({ ...run(reply), contactId, dealId })).rejects.toMatchObject({
      name: "ReplyUnreadable",
    });
  });
});

import { valueAt } from "@leadrelay/functions/flow-outcome";
import type { FlowView } from "@leadrelay/functions/flow-spec";

const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value : undefined);

/** linkedin-replies as a person reads it: who replied (and in which campaign), and the HubSpot records. */
export const linkedinRepliesView: FlowView = {
  keyNoun: "LinkedIn reply",
  title: ({ state }) => {
    const name = [text(valueAt(state, "$.reply.firstname")), text(valueAt(state, "$.reply.lastname"))]
      .filter(Boolean)
      .join(" ");
    const campaign = text(valueAt(state, "$.reply.campaign"));
    const who = name || text(valueAt(state, "$.reply.email"));
    return who && campaign ? `${who} — ${campaign}` : who;
  },
  outcome: ({ state }) => {
    const contact = text(valueAt(state, "$.contact.contactId"));
    const deal = text(valueAt(state, "$.deal.dealId"));
    const note = text(valueAt(state, "$.note.noteId"));
    const parts = [
      contact && `HubSpot contact ${contact}`,
      deal && `deal ${deal}`,
      note && "note added",
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(" · ") : undefined;
  },
};

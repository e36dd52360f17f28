import {
  businessKeyOfExecutionName,
  type Clock,
  HubSpotAssociation,
  type HubSpotCrm,
  type ObjectStore,
} from "@leadrelay/core";
import { storeFromEnv } from "@leadrelay/functions/adapters/s3-store";
import type { HandlerBuild } from "@leadrelay/functions/lambda";
import { taskHandler } from "@leadrelay/functions/task-handler";
import { ReplyUnreadable } from "./domain/errors";
import { noteMarkerKey } from "./domain/keys";
import { escapeHtml, noteBody, replyRefLine } from "./domain/note-body";
import { StoredReply } from "./domain/reply";
import { hubspotFromEnv } from "./hubspot-from-env";
import { AddNoteInput, type Skipped } from "./task-input";
import { writeOnce } from "./write-once";

export type AddNoteResult =
  | { status: "created" | "already-created" | "recovered"; noteId: string; dealId: string }
  | Skipped;

/** A note claim of another execution of the same reply (a replay) is taken over after this long. */
export const NOTE_CLAIM_STALE_MS = 60_000;

export interface AddNoteDeps {
  store: ObjectStore;
  crm?: HubSpotCrm;
  skipReason?: string;
  clock?: Clock;
}

/**
 * The reply as a note on the contact (association 202) and the deal (214), `hs_timestamp` the
 * time the lead sent it. At most once per reply: a claim before the create; a claim left "writing"
 * is first looked for among the deal's notes (each note carries its reply key).
 */
export function createAddNote(deps: AddNoteDeps) {
  const clock = deps.clock ?? Date.now;
  return async (event: unknown): Promise<AddNoteResult> => {
    const { reply, contactId, dealId, execution } = AddNoteInput.parse(event);
    const { crm } = deps;
    if (!crm) return { status: "skipped", reason: deps.skipReason ?? "HUBSPOT_TOKEN is not set" };
    const text = await deps.store.get(reply.replyKey);
    if (text === undefined) throw new ReplyUnreadable(reply.replyKey, "the settled reply is not in storage");
    const parsed = StoredReply.safeParse(JSON.parse(text));
    if (!parsed.success) throw new ReplyUnreadable(reply.replyKey, "the settled reply has the wrong shape");
    const stored = parsed.data;
    const marker = escapeHtml(replyRefLine(stored.replyRef));

    const result = await writeOnce({
      store: deps.store,
      key: noteMarkerKey(reply.conversationKey, reply.messageKey),
      owner: businessKeyOfExecutionName(execution),
      what: `the note of reply ${stored.replyRef}`,
      async find() {
        const ids = await crm.associatedIds("deals", dealId, "notes");
        if (ids.length === 0) return undefined;
        const notes = await crm.readBatch("notes", ids, ["hs_note_body"]);
        return notes.find((note) => note.properties.hs_note_body?.includes(marker))?.id;
      },
      consistentLookup: true,
      staleAfterMs: NOTE_CLAIM_STALE_MS,
      clock,
      write: async () =>
        (
          await crm.createObject("notes", { hs_timestamp: stored.sentAt, hs_note_body: noteBody(stored) }, [
            { toId: contactId, typeId: HubSpotAssociation.noteToContact },
            { toId: dealId, typeId: HubSpotAssociation.noteToDeal },
          ])
        ).id,
    });
    const status =
      result.status === "written"
        ? "created"
        : result.status === "recovered"
          ? "recovered"
          : "already-created";
    return { status, noteId: result.id, dealId };
  };
}

export const build: HandlerBuild = (env, kit) => {
  const hubspot = hubspotFromEnv(env);
  return createAddNote({
    store: storeFromEnv(env, kit),
    ...(hubspot.crm ? { crm: hubspot.crm } : { skipReason: hubspot.skipReason }),
  });
};
export const handler = taskHandler("add-note", build);

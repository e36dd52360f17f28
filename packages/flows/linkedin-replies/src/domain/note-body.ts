import { escapeHtml } from "@leadrelay/core";
import { displayName } from "./contact-identity";
import type { StoredReply } from "./reply";

/** HubSpot stores at most 65,536 characters of `hs_note_body`; the frame around the text takes < 2,000. */
export const NOTE_BODY_MAX = 65_536;
const TEXT_BUDGET = 60_000;

/** The lead's words are hostile input: escaped, never interpreted as markup by the CRM. */
export { escapeHtml };

/** Escaped, newlines as `<br>`, cut (whole characters) so that the escaped text fits `budget`. */
export function textAsHtml(text: string, budget = TEXT_BUDGET): string {
  let out = "";
  for (const char of text) {
    const piece = char === "\n" ? "<br>" : escapeHtml(char);
    if (out.length + piece.length > budget) return `${out}…`;
    out += piece;
  }
  return out;
}

/** The marker written into every note: how a retry recognises a note an earlier attempt created. */
export const replyRefLine = (replyRef: string) => `Reply key: ${replyRef}`;

/** `hs_note_body`: the reply, then where it came from. */
export function noteBody(reply: StoredReply): string {
  const who = escapeHtml(displayName(reply));
  const channel = reply.channel === "EMAIL" ? "email" : "LinkedIn";
  const lines = [
    reply.campaign ? `Campaign: ${escapeHtml(reply.campaign)}` : undefined,
    reply.linkedinUrl
      ? `LinkedIn: <a href="${escapeHtml(reply.linkedinUrl)}">${escapeHtml(reply.linkedinUrl)}</a>`
      : undefined,
    reply.conversationId ? `LGM conversation: ${escapeHtml(reply.conversationId)}` : undefined,
    escapeHtml(replyRefLine(reply.replyRef)),
  ].filter((line) => line !== undefined);
  const text = reply.text === "" ? "<em>(no text)</em>" : textAsHtml(reply.text);
  return [
    `<p><strong>${channel === "email" ? "Email" : "LinkedIn"} reply from ${who}</strong> (La Growth Machine)</p>`,
    `<p>${text}</p>`,
    `<p>${lines.join("<br>")}</p>`,
  ].join("");
}

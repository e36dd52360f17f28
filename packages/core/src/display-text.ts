/** How a missing value is shown, in Slack, emails and alerts alike. */
export const MISSING = "—";

/** Longest value shown, in characters (code points): escaped (≤ 5× longer) it stays under Slack's 2,000 per field. */
export const MAX_SHOWN_CHARACTERS = 300;

/**
 * Text from outside (a lead's name, a vendor's error) as emails and alerts show it. The same rules
 * as Slack's values (slack-message.ts) without Slack's escaping: each channel escapes for itself.
 */

/** One line, control and bidi-override characters gone, at most `maxCharacters` code points; "—" when empty. */
export function displayLine(value: string | null | undefined, maxCharacters = MAX_SHOWN_CHARACTERS): string {
  if (value === null || value === undefined || value.trim() === "") return MISSING;
  // A line break could fake another field of the message; bidi overrides could reorder what is shown.
  const flat = value
    .replace(/[\r\n\t]+/g, " ")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
    .replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, "")
    .trim();
  if (flat === "") return MISSING;
  // Code points, not UTF-16 units: a cut never leaves half an emoji.
  const characters = Array.from(flat);
  return characters.length > maxCharacters ? `${characters.slice(0, maxCharacters).join("")}…` : flat;
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text as HTML element content or a quoted attribute value: nothing in it can become markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

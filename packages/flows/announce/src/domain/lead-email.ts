import {
  displayLine,
  escapeHtml,
  humanDate,
  type MergedLead,
  MISSING,
  notifiedKey,
  slackValue,
} from "@leadrelay/core";

/**
 * The announcement as an email: the seven fields of the Slack message (same labels, same order),
 * each value cleaned like Slack's (one line, no control or bidi characters, cut) and escaped for
 * HTML. A lead's fields are hostile input: nothing in them can become markup or a header.
 */

/** `notified/{lead}.email.json`: under `notified/*.json`, the prefix announce may write. */
export const emailNoticeKey = (leadId: string) => notifiedKey(`${leadId}.email`);

/** The Fail state's error when the email could not be sent (Slack went out). */
export const ANNOUNCEMENT_EMAIL_FAILED = "AnnouncementEmailFailed";

export interface LeadEmail {
  subject: string;
  text: string;
  html: string;
}

/** Close's date as Slack shows it ("20 Nov 2026, 14:03 UTC"); a value that is no date, as it is. */
function shownDate(value: string | null): string {
  const human = humanDate(value);
  // humanDate falls back to Slack's escaped value when it cannot read a date.
  return human === slackValue(value) ? displayLine(value) : human;
}

/** Label and plain value, in Slack's order (a test holds the labels to slackFields'). */
export function leadEmailFields(lead: MergedLead): Array<[label: string, value: string]> {
  return [
    ["Lead", displayLine(lead.name)],
    ["Lead ID", displayLine(lead.leadId)],
    ["Created", shownDate(lead.createdAt)],
    ["Status", displayLine(lead.statusLabel)],
    ["Email", displayLine(lead.email)],
    ["Owner", displayLine(lead.owner)],
    ["Funnel", displayLine(lead.funnel)],
  ];
}

/** Only Close's own https address is linked; anything else stays text. */
const closeLink = (url: string) => (/^https:\/\/app\.close\.com\//.test(url) ? url : undefined);

export function leadAnnouncementEmail(lead: MergedLead): LeadEmail {
  const fields = leadEmailFields(lead);
  const link = closeLink(lead.closeUrl);
  const name = displayLine(lead.name, 80);
  const rows = fields.map(([label, value]) => {
    const shown =
      label === "Lead" && link && value !== MISSING
        ? `<a href="${escapeHtml(link)}">${escapeHtml(value)}</a>`
        : escapeHtml(value);
    return `<tr><th align="left">${escapeHtml(label)}</th><td>${shown}</td></tr>`;
  });
  return {
    subject: `New lead: ${name} (${displayLine(lead.leadId, 80)})`,
    text: [
      "New lead",
      "",
      ...fields.map(([label, value]) => `${label}: ${value}`),
      ...(link ? ["", `Open in Close: ${link}`] : []),
      "",
    ].join("\n"),
    html: ["<h2>New lead</h2>", "<table>", ...rows, "</table>"].join("\n"),
  };
}

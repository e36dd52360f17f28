import { displayLine, MAX_SHOWN_CHARACTERS, MISSING } from "./display-text";
import type { MergedLead } from "./lead";

export { MAX_SHOWN_CHARACTERS, MISSING };

/** Slack's own escaping: `&`, `<`, `>` are control characters in mrkdwn (links, mentions). */
export function escapeSlack(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A value as Slack shows it: `displayLine`'s rules (one line, no control or bidi characters, cut), then escaped. */
export function slackValue(value: string | null | undefined): string {
  const line = displayLine(value);
  return line === MISSING ? MISSING : escapeSlack(line);
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "20 Nov 2026, 14:03 UTC"; the value as given when it is not a date. */
export function humanDate(value: string | null | undefined): string {
  if (value === null || value === undefined || value.trim() === "") return MISSING;
  // Close sends microseconds ("…11.198000+00:00"); trim to milliseconds for Date.
  const trimmed = value.replace(/(\.\d{3})\d+/, "$1");
  // Close also writes UTC timestamps without an offset; JavaScript would read those in the host's time zone.
  const date = new Date(/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(trimmed) ? `${trimmed}Z` : trimmed);
  if (Number.isNaN(date.getTime())) return slackValue(value);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/** The seven fields a rep needs, in a fixed order. */
export function slackFields(lead: MergedLead): Array<[label: string, value: string]> {
  return [
    ["Lead", lead.name === null ? MISSING : `<${lead.closeUrl}|${slackValue(lead.name)}>`],
    ["Lead ID", slackValue(lead.leadId)],
    ["Created", humanDate(lead.createdAt)],
    ["Status", slackValue(lead.statusLabel)],
    ["Email", slackValue(lead.email)],
    ["Owner", slackValue(lead.owner)],
    ["Funnel", slackValue(lead.funnel)],
  ];
}

export function buildLeadMessage(lead: MergedLead): SlackMessage {
  const fields = slackFields(lead);
  return {
    text: `New lead ${slackValue(lead.name)} (${slackValue(lead.leadId)}), owner ${slackValue(lead.owner)}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "New lead", emoji: false } },
      {
        type: "section",
        fields: fields.map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
      },
    ],
  };
}

export function buildUnassignedMessage(
  lead: { leadId: string; name: string | null },
  minutes: number,
): SlackMessage {
  const text = `Lead ${slackValue(lead.name)} (${slackValue(lead.leadId)}) still has no owner after ${Math.round(minutes)} minutes`;
  return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text: `:warning: ${text}` } }] };
}

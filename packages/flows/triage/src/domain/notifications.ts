import { crmLeadRef, escapeHtml, escapeSlack, type SlackMessage, slackValue } from "@leadrelay/core";
import type { ActionResult, CaughtError, TriageAction } from "./actions";
import type { TriageLead } from "./triage-lead";

/** Two GSM segments: an on-call phone shows it whole, and it costs at most two messages. */
export const MAX_SMS_LENGTH = 320;

/** Code-point-safe cut with an ellipsis. */
export function cut(text: string, max: number): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : `${characters.slice(0, Math.max(0, max - 1)).join("")}…`;
}

const firstName = (lead: TriageLead) => (lead.name ?? "").split(/\s+/)[0] || "there";

/** "URGENT lead Jane Doe (Acme) "We need a quote…" https://app.close.com/lead/…/" — never more than 320 characters. */
export function urgentSms(lead: TriageLead): string {
  const company = companyBesides(lead);
  const who = [lead.name, company ? `(${company})` : null].filter(Boolean).join(" ");
  const head = cut(`URGENT lead ${who || lead.leadId}`, 120);
  const tail = ` ${lead.closeUrl}`;
  const room = MAX_SMS_LENGTH - Array.from(head).length - Array.from(tail).length - 3;
  const snippet = lead.message === "" || room < 10 ? "" : ` "${cut(lead.message, room)}"`;
  return `${head}${snippet}${tail}`;
}

/**
 * The company as said next to the person: a Close lead is named after its company, often "Person —
 * Company" by web forms, or the person alone when there is no company; neither repeats the name.
 */
export function companyBesides(lead: Pick<TriageLead, "name" | "company">): string | null {
  const { name, company } = lead;
  if (company === null || name === null) return company;
  if (company.trim().toLowerCase() === name.trim().toLowerCase()) return null;
  const prefix = company.slice(0, name.length);
  if (prefix.toLowerCase() !== name.toLowerCase()) return company;
  const rest = /^\s*(?:—|–|-|\||\/|,|:)\s*(.+)$/.exec(company.slice(name.length))?.[1]?.trim();
  return rest || company;
}

export function urgentSlackMessage(lead: TriageLead, classifier: string): SlackMessage {
  const name = lead.name === null ? "—" : `<${lead.closeUrl}|${slackValue(lead.name)}>`;
  const company = companyBesides(lead);
  const fields: Array<[string, string]> = [
    ["Lead", name],
    ["Company", slackValue(company)],
    ["Email", slackValue(lead.email)],
    ["Phone", slackValue(lead.phone)],
    ["Lead ID", slackValue(lead.leadId)],
    ["Classified by", slackValue(classifier)],
  ];
  const text = `Urgent buyer: ${slackValue(lead.name)}${company ? ` (${slackValue(company)})` : ""} wants to buy now`;
  return {
    text,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Urgent buyer", emoji: false } },
      {
        type: "section",
        fields: fields.map(([label, value]) => ({ type: "mrkdwn", text: `*${label}*\n${value}` })),
      },
      { type: "section", text: { type: "mrkdwn", text: `*Message*\n>${slackValue(lead.message)}` } },
    ],
  };
}

export interface LeadEmailContent {
  subject: string;
  text: string;
  html: string;
}

/** A reply to a lead who is looking around: their words, a calendar link, stories of teams like theirs. */
export function tireKickerEmail(
  lead: TriageLead,
  options: { calendarUrl?: string; caseStudyUrls: readonly string[]; sender: string },
): LeadEmailContent {
  const topic = lead.message === "" ? null : cut(lead.message, 140);
  const lines: string[] = [`Hi ${firstName(lead)},`, ""];
  lines.push(
    topic
      ? `Thanks for getting in touch about “${topic}”. Happy to help you find out whether we are a fit.`
      : "Thanks for getting in touch. Happy to help you find out whether we are a fit.",
  );
  if (options.calendarUrl)
    lines.push("", `If a short call helps, pick a time that suits you: ${options.calendarUrl}`);
  if (options.caseStudyUrls.length > 0) {
    lines.push("", "How teams like yours use us:", ...options.caseStudyUrls.map((url) => `- ${url}`));
  }
  lines.push("", "Best regards,", options.sender);
  const paragraphs = lines.join("\n").split("\n\n");
  const html = paragraphs
    .map((paragraph) => {
      const escaped = escapeHtml(paragraph).replaceAll("\n", "<br>");
      // Links only from our own settings, never from the lead's text (it is escaped above, not linked).
      return `<p>${escaped.replace(/(https?:\/\/[^\s<]+)/g, (url) =>
        [options.calendarUrl, ...options.caseStudyUrls].some((own) => own && escapeHtml(own) === url)
          ? `<a href="${url}">${url}</a>`
          : url,
      )}</p>`;
    })
    .join("\n");
  return {
    subject: cut(`Thanks for reaching out, ${firstName(lead)}`, 120),
    text: lines.join("\n"),
    html,
  };
}

export function supportTicket(lead: TriageLead, classifier: string) {
  return {
    subject: cut(
      `Support request from ${lead.name ?? lead.leadId}${lead.company ? ` (${lead.company})` : ""}`,
      150,
    ),
    body: [
      lead.message || "(no message)",
      "",
      `${crmLeadRef(lead.leadId).crm === "hubspot" ? "HubSpot" : "Close"}: ${lead.closeUrl}`,
      `Opened by leadrelay triage (${classifier}).`,
    ].join("\n"),
  };
}

const ACTION_NAMES: Record<TriageAction, string> = {
  sms: "SMS to on-call",
  slack: "Slack alert",
  email: "Email to the lead",
  ticket: "Zendesk ticket",
  crm: "Close record",
};

function describeResult(result: ActionResult | CaughtError): { line: string; failed: boolean } {
  if ("Error" in result) {
    return { line: `FAILED (${result.Error}: ${cut(result.Cause ?? "", 200)})`, failed: true };
  }
  switch (result.status) {
    case "sent":
      return { line: `done${result.id ? ` (${result.id})` : ""}`, failed: false };
    case "already-sent":
      return { line: `done earlier${result.id ? ` (${result.id})` : ""}`, failed: false };
    case "uncertain":
      return {
        line: `UNCERTAIN: started ${result.since} and never confirmed; not repeated, please check`,
        failed: false,
      };
    case "skipped":
      return { line: `skipped: ${result.reason}`, failed: false };
  }
}

/** The note a rep reads in Close: the verdict, and exactly what was done, skipped or failed. */
export function outcomeNote(
  triage: { label: string; classifier: string },
  actions: ReadonlyArray<[TriageAction, ActionResult | CaughtError]>,
): { note: string; failed: TriageAction[] } {
  const failed: TriageAction[] = [];
  const lines = [`leadrelay triage: ${triage.label} (${triage.classifier} classifier).`];
  if (actions.length === 0) lines.push("Nothing was sent (spam).");
  for (const [action, result] of actions) {
    const described = describeResult(result);
    if (described.failed) failed.push(action);
    lines.push(`- ${ACTION_NAMES[action]}: ${described.line}`);
  }
  return { note: lines.join("\n"), failed };
}

export { escapeSlack };

import {
  enrichedKey,
  notifiedKey,
  type ObjectStore,
  rawEventKey,
  unassignedNoticeKey,
} from "@leadrelay/core";
import type { ReceivedSlackMessage } from "./console-deps";
import { emptyFacts, factsFromEnriched, factsFromRaw, type LeadFacts } from "./lead-record";

/** Longest stored text sent to the page as is (the raw body is kept byte for byte in S3). */
const MAX_TEXT = 64 * 1024;

export interface StoredText {
  key: string;
  /** undefined: the object does not exist. */
  text?: string;
  truncated?: boolean;
}

export interface NotificationMarkerView {
  key: string;
  status?: string;
  at?: string;
  message?: { text?: string; blocks?: unknown[] };
}

/** What the console knows of a Close lead besides its executions: its facts, stored records and Slack message. */
export interface LeadExtras {
  leadId: string;
  lead: LeadFacts;
  records: {
    raw: StoredText;
    enriched: StoredText;
    notification: NotificationMarkerView;
    unassignedNotice: NotificationMarkerView;
  };
  /** Local runtime only: what the Slack stand-in received for this lead. */
  slackSink?: ReceivedSlackMessage[];
  links: { close: string };
}

function clipText(key: string, text: string | undefined): StoredText {
  if (text === undefined) return { key };
  return text.length > MAX_TEXT ? { key, text: text.slice(0, MAX_TEXT), truncated: true } : { key, text };
}

function marker(key: string, text: string | undefined): NotificationMarkerView {
  if (text === undefined) return { key };
  try {
    const value = JSON.parse(text) as {
      status?: unknown;
      at?: unknown;
      message?: { text?: unknown; blocks?: unknown };
    };
    return {
      key,
      status: typeof value.status === "string" ? value.status : undefined,
      at: typeof value.at === "string" ? value.at : undefined,
      message: {
        text: typeof value.message?.text === "string" ? value.message.text : undefined,
        blocks: Array.isArray(value.message?.blocks) ? value.message.blocks : undefined,
      },
    };
  } catch {
    return { key, status: "unreadable" };
  }
}

/** The lead's S3 objects (raw webhook, announce's merged record and Slack markers) and the Slack stand-in's log. */
export async function loadLeadExtras(
  store: ObjectStore,
  leadId: string,
  slackMessages?: () => ReceivedSlackMessage[],
): Promise<LeadExtras> {
  const [rawText, enrichedText, notifiedText, unassignedText] = await Promise.all([
    store.get(rawEventKey(leadId)),
    store.get(enrichedKey(leadId)),
    store.get(notifiedKey(leadId)),
    store.get(unassignedNoticeKey(leadId)),
  ]);
  const lead =
    (enrichedText === undefined ? undefined : factsFromEnriched(leadId, enrichedText)) ??
    (rawText === undefined ? undefined : factsFromRaw(leadId, rawText)) ??
    emptyFacts(leadId);
  return {
    leadId,
    lead,
    records: {
      raw: clipText(rawEventKey(leadId), rawText),
      enriched: clipText(enrichedKey(leadId), enrichedText),
      notification: marker(notifiedKey(leadId), notifiedText),
      unassignedNotice: marker(unassignedNoticeKey(leadId), unassignedText),
    },
    // Every message that names the lead (announce's text, triage's urgent post's fields and link).
    slackSink: slackMessages?.().filter((entry) => JSON.stringify(entry.message).includes(leadId)),
    // Built from the id, never from stored text, so the page cannot link elsewhere.
    links: { close: lead.closeUrl },
  };
}

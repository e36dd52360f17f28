import type { Direction, LgmReplyFields } from "./lgm-payload";

export type ApiMessage = LgmReplyFields & { direction: Direction };

/**
 * The message of the conversation that the delivery announced: the same id, or — when the
 * delivery had none — the same text sent at the same time (or, lacking a time, the same text from
 * the lead). `undefined` when LGM does not list it.
 */
export function findMessage(
  messages: readonly ApiMessage[],
  delivered: LgmReplyFields,
): ApiMessage | undefined {
  if (delivered.messageId !== undefined) {
    return messages.find((message) => message.messageId === delivered.messageId);
  }
  const sameText = messages.filter((message) => message.text !== "" && message.text === delivered.text);
  return (
    sameText.find((message) => delivered.sentAt !== undefined && message.sentAt === delivered.sentAt) ??
    (delivered.sentAt === undefined ? sameText.find((message) => message.direction === "inbound") : undefined)
  );
}

/**
 * The reply with LGM's canonical data over the delivery's: the message's text and time, the lead's
 * identity and name. What LGM does not say, the delivery keeps; keys never change (the execution is
 * named after them). `notes` say what LGM's answer lacked, for the execution history.
 */
export function mergeCanonical(
  delivered: LgmReplyFields,
  message: ApiMessage | undefined,
  lead: LgmReplyFields | undefined,
): { fields: LgmReplyFields; notes: string[] } {
  const notes: string[] = [];
  if (delivered.conversationId !== undefined && message === undefined) {
    notes.push("LGM does not list this message in the conversation: the delivered text is kept");
  }
  if (lead === undefined) notes.push("LGM found no lead: the delivered identity is kept");
  const fields: LgmReplyFields = {
    ...delivered,
    text: message?.text || delivered.text,
    sentAt: message?.sentAt ?? delivered.sentAt,
    channel: message?.channel ?? delivered.channel,
    leadId: delivered.leadId ?? lead?.leadId,
    email: lead?.email ?? delivered.email,
    linkedinUrl: lead?.linkedinUrl ?? delivered.linkedinUrl,
    firstname: lead?.firstname ?? delivered.firstname,
    lastname: lead?.lastname ?? delivered.lastname,
    campaign: delivered.campaign ?? lead?.campaign,
    campaignId: delivered.campaignId ?? lead?.campaignId,
  };
  return {
    fields: Object.fromEntries(
      Object.entries(fields).filter(([, value]) => value !== undefined),
    ) as unknown as LgmReplyFields,
    notes,
  };
}

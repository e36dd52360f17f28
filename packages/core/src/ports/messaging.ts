/**
 * The outbound messages a flow sends: an SMS, an email, a support ticket. Adapters (Twilio, Brevo
 * or Amazon SES, Zendesk) implement these and throw the outbound errors of `outbound-errors.ts`,
 * so a handler and its ASL never depend on which vendor is behind them.
 */

export interface SmsMessage {
  /** E.164, e.g. +14155550123. */
  to: string;
  from: string;
  body: string;
}

export interface SmsSent {
  sid: string;
  /** The vendor's delivery status at acceptance (`queued`, `accepted`…). */
  status: string;
}

/** SMS has no idempotency key (Twilio has none on create): callers guard with a marker before sending. */
export interface SmsSender {
  send(message: SmsMessage): Promise<SmsSent>;
}

export interface EmailAddress {
  email: string;
  name?: string;
}

export interface OutboundEmail {
  from: EmailAddress;
  to: EmailAddress;
  subject: string;
  text: string;
  html: string;
  tags?: string[];
  /** A Brevo template (its content wins over `text`/`html`); SES ignores it and sends `text`/`html`. */
  templateId?: number;
  params?: Record<string, unknown>;
}

export type EmailProvider = "brevo" | "ses";

export interface EmailSent {
  messageId: string;
  /** The vendor had already accepted this idempotency key: the email went out before, not now. */
  duplicate?: boolean;
}

export interface EmailSender {
  readonly provider: EmailProvider;
  /** `idempotencyKey` is the same for every attempt of one business effect (e.g. `triage-email-{leadId}`). */
  send(message: OutboundEmail, idempotencyKey: string): Promise<EmailSent>;
}

export interface TicketRequest {
  subject: string;
  body: string;
  requester: EmailAddress;
  tags?: string[];
}

export interface TicketCreated {
  ticketId: string;
  url?: string;
  /** The vendor answered from its idempotency record: the ticket was created by an earlier attempt. */
  duplicate?: boolean;
}

export interface TicketDesk {
  /** `idempotencyKey`: at most 255 characters, the same for every attempt of one business effect. */
  create(ticket: TicketRequest, idempotencyKey: string): Promise<TicketCreated>;
}

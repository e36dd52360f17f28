import { jsonDepth } from "@leadrelay/core";
import * as z from "zod/mini";

/**
 * The CRM's deal webhook body. Only what the flow reads is checked; every other field passes
 * through (the raw body is stored as received anyway). A field that is present must have the
 * right type, so a Task never meets a surprise after ingest accepted the delivery.
 */

/** Deal ids become execution names, S3 keys and Meta event ids: a closed alphabet keeps them injective. */
export const DEAL_ID_PATTERN = /^[A-Za-z0-9_-]{1,48}$/;
const MAX_TEXT = 256;
const MAX_DEPTH = 16;

const text = (max = MAX_TEXT) => z.optional(z.nullable(z.string().check(z.maxLength(max))));
const idLike = z.union([
  z.string().check(z.regex(DEAL_ID_PATTERN, "must be 1-48 letters, digits, - or _")),
  z.number().check(z.int(), z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
]);
/** CRMs send amounts as numbers or as decimal strings ("450000.00"). */
const amount = z.union([
  z.number().check(z.gte(0), z.lte(1e12)),
  z.string().check(z.regex(/^\d{1,12}(\.\d{1,4})?$/, "must be a decimal amount")),
]);

export const Customer = z.looseObject({
  contactId: z.optional(z.nullable(z.union([z.string().check(z.maxLength(MAX_TEXT)), z.number()]))),
  firstName: text(),
  lastName: text(),
  email: text(254),
  phoneNumber: text(40),
});
export type Customer = z.infer<typeof Customer>;

export const DealDetails = z.looseObject({
  dealName: text(),
  dealValue: z.optional(z.nullable(amount)),
  currency: text(8),
  status: z.string().check(z.minLength(1), z.maxLength(64)),
  closingDate: text(64),
});

export const PropertyInformation = z.looseObject({
  propertyId: z.optional(z.nullable(z.union([z.string().check(z.maxLength(MAX_TEXT)), z.number()]))),
  address: text(500),
  city: text(),
  state: text(),
  zipCode: text(32),
  propertyType: text(),
  squareFootage: z.optional(z.nullable(amount)),
});
export type PropertyInformation = z.infer<typeof PropertyInformation>;

export const DealWebhook = z.looseObject({
  data: z.looseObject({
    dealId: idLike,
    customer: z.optional(z.nullable(Customer)),
    dealDetails: DealDetails,
    propertyInformation: z.optional(z.nullable(PropertyInformation)),
  }),
});
export type DealWebhook = z.infer<typeof DealWebhook>;

/** The deal as the flow uses it: ids as strings, the status normalised, amounts as numbers. */
export interface Deal {
  dealId: string;
  /** Trimmed and lower-cased: the CRM's "Committed", "committed " and "COMMITTED" are one stage. */
  status: string;
  dealName?: string;
  value?: number;
  /** ISO 4217, upper case. */
  currency?: string;
  customer: {
    contactId?: string;
    firstName?: string;
    lastName?: string;
    email?: string;
    phoneNumber?: string;
  };
  property?: {
    propertyId?: string;
    address?: string;
    city?: string;
    state?: string;
    zipCode?: string;
    propertyType?: string;
    squareFootage?: number;
  };
}

export type DealVerdict = { ok: true; deal: Deal } | { ok: false; reason: string };

/** The branches of the flow; any other status is recorded as "no action". */
export type DealStage = "qualified" | "committed" | "other";

export function normaliseStatus(status: string): string {
  return status.trim().toLowerCase();
}

export function stageOf(status: string): DealStage {
  const normalised = normaliseStatus(status);
  return normalised === "qualified" || normalised === "committed" ? normalised : "other";
}

const EMAIL = /^[^\s@<>(),;:"\\]+@[^\s@<>(),;:"\\]+\.[^\s@<>(),;:"\\]+$/;
const KNOWN_CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

/** The first problem, as a short reason that names the field and never echoes the value. */
function describe(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "does not match the deal shape";
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`.slice(0, 200);
}

const present = (value: string | null | undefined) => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};
const asString = (value: string | number | null | undefined) =>
  value === null || value === undefined ? undefined : present(String(value));
const asNumber = (value: string | number | null | undefined) =>
  value === null || value === undefined ? undefined : Number(value);

/**
 * A parsed JSON body → the deal, or why it cannot be used. What a stage's actions need is
 * required for that stage only: Qualified needs something to match the person on (email or
 * phone), Committed needs the email, the value with its currency and the property's address.
 */
export function parseDeal(json: unknown): DealVerdict {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { ok: false, reason: "body must be a JSON object" };
  }
  if (jsonDepth(json, MAX_DEPTH) > MAX_DEPTH) return { ok: false, reason: "body is nested too deeply" };
  const parsed = DealWebhook.safeParse(json);
  if (!parsed.success) return { ok: false, reason: describe(parsed.error) };
  const { data } = parsed.data;
  const customer = data.customer ?? {};
  const property = data.propertyInformation ?? undefined;
  const status = normaliseStatus(data.dealDetails.status);
  if (status === "") return { ok: false, reason: "data.dealDetails.status: must not be blank" };
  const currency = present(data.dealDetails.currency)?.toUpperCase();
  const deal: Deal = {
    dealId: String(data.dealId),
    status,
    dealName: present(data.dealDetails.dealName),
    value: asNumber(data.dealDetails.dealValue),
    currency,
    customer: {
      contactId: asString(customer.contactId),
      firstName: present(customer.firstName),
      lastName: present(customer.lastName),
      email: present(customer.email),
      phoneNumber: present(customer.phoneNumber),
    },
    property: property
      ? {
          propertyId: asString(property.propertyId),
          address: present(property.address),
          city: present(property.city),
          state: present(property.state),
          zipCode: present(property.zipCode),
          propertyType: present(property.propertyType),
          squareFootage: asNumber(property.squareFootage),
        }
      : undefined,
  };
  if (deal.customer.email !== undefined && !EMAIL.test(deal.customer.email)) {
    return { ok: false, reason: "data.customer.email: must be an email address" };
  }
  if (deal.currency !== undefined && !KNOWN_CURRENCIES.has(deal.currency)) {
    return { ok: false, reason: "data.dealDetails.currency: must be an ISO 4217 currency code" };
  }
  const stage = stageOf(status);
  if (stage === "qualified" && !deal.customer.email && !deal.customer.phoneNumber) {
    return { ok: false, reason: "a Qualified deal needs data.customer.email or data.customer.phoneNumber" };
  }
  if (stage === "committed") {
    if (!deal.customer.email) return { ok: false, reason: "a Committed deal needs data.customer.email" };
    if (deal.value === undefined || deal.currency === undefined) {
      return {
        ok: false,
        reason: "a Committed deal needs data.dealDetails.dealValue and data.dealDetails.currency",
      };
    }
    if (!deal.property?.address) {
      return { ok: false, reason: "a Committed deal needs data.propertyInformation.address" };
    }
  }
  return { ok: true, deal };
}

/** The raw body → the deal (what ingest and the Tasks both run). */
export function parseDealBody(raw: string): DealVerdict | { ok: false; reason: string; notJson: true } {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, reason: "body is not valid JSON", notJson: true };
  }
  return parseDeal(json);
}

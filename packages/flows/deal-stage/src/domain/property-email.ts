import { escapeHtml } from "@leadrelay/core";
import type { Deal } from "./deal";

/**
 * The property-details email a buyer gets when the deal is committed. Every value comes from the
 * CRM, i.e. from outside: control characters go (no header or layout tricks), lengths are capped,
 * and the HTML part escapes everything it shows.
 */

export interface PropertyEmail {
  to: { email: string; name?: string };
  subject: string;
  text: string;
  html: string;
  /** For a Brevo template (`{{ params.address }}`…): the same facts, already formatted. */
  params: Record<string, string>;
}

const LOCALE = "en-US";

/** Control and bidi-override characters: they could reorder or hide what the buyer reads. */
const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

function clean(value: string | undefined, max = 200): string | undefined {
  if (value === undefined) return undefined;
  const folded = value.replace(UNSAFE, " ").replace(/\s+/g, " ").trim();
  if (folded === "") return undefined;
  const chars = [...folded];
  return chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : folded;
}

/** The deal value in its currency, with the currency's own minor digits ($450,000.00, ¥450,000). */
export function formatMoney(value: number, currency: string, locale = LOCALE): string {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(value);
}

export function formatArea(squareFeet: number, locale = LOCALE): string {
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(squareFeet)} sq ft`;
}

/** "12 Harbor Lane, Portland, OR 97201": the parts that are there, in postal order. */
export function formatAddress(property: NonNullable<Deal["property"]>): string | undefined {
  const region = [clean(property.state, 60), clean(property.zipCode, 20)].filter(Boolean).join(" ");
  const parts = [clean(property.address, 300), clean(property.city, 100), region || undefined].filter(
    (part): part is string => part !== undefined,
  );
  return parts.length > 0 ? parts.join(", ") : undefined;
}

export function propertyEmail(deal: Deal): PropertyEmail {
  const email = deal.customer.email;
  if (!email) throw new Error(`deal ${deal.dealId} has no customer email`);
  const property = deal.property ?? {};
  const firstName = clean(deal.customer.firstName, 100);
  const fullName = clean([deal.customer.firstName, deal.customer.lastName].filter(Boolean).join(" "), 200);
  const address = formatAddress(property) ?? "your property";
  const facts: Array<[string, string | undefined]> = [
    ["Address", address],
    ["Property type", clean(property.propertyType, 100)],
    ["Size", property.squareFootage === undefined ? undefined : formatArea(property.squareFootage)],
    [
      "Deal value",
      deal.value === undefined || deal.currency === undefined
        ? undefined
        : formatMoney(deal.value, deal.currency),
    ],
    ["Deal", clean(deal.dealName, 200)],
  ];
  const shown = facts.filter((fact): fact is [string, string] => fact[1] !== undefined);
  const greeting = firstName ? `Hello ${firstName},` : "Hello,";
  const intro = "Thank you for committing to this property. Here are its details:";
  const text = [
    greeting,
    "",
    intro,
    "",
    ...shown.map(([label, value]) => `${label}: ${value}`),
    "",
    "Reply to this email if anything is not as you expect.",
  ].join("\n");
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(intro)}</p>`,
    "<table>",
    ...shown.map(
      ([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`,
    ),
    "</table>",
    "<p>Reply to this email if anything is not as you expect.</p>",
  ].join("\n");
  const params: Record<string, string> = { dealId: deal.dealId, address };
  if (firstName) params.firstName = firstName;
  for (const [label, value] of shown) params[paramName(label)] = value;
  return {
    to: fullName ? { email, name: fullName } : { email },
    subject: clean(`Your property: ${address}`, 150) ?? "Your property",
    text,
    html,
    params,
  };
}

/** "Property type" → "propertyType". */
const paramName = (label: string) =>
  label.toLowerCase().replace(/\s+(\w)/g, (_match, letter: string) => letter.toUpperCase());

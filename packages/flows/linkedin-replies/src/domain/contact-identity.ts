/**
 * Who a reply is from, in the form HubSpot matches on. Email is HubSpot's own unique key for
 * contacts; a LinkedIn URL is matched on the custom property `leadrelay_linkedin_url`, so it is
 * written in one canonical form (the same profile pasted three ways must be one contact).
 */

const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** Lower-cased and trimmed; `undefined` when it is not an address HubSpot would take. */
export function normalizeEmail(value: string): string | undefined {
  const email = value.trim().toLowerCase();
  return email.length <= 254 && EMAIL.test(email) ? email : undefined;
}

/**
 * `https://www.linkedin.com/in/<slug>` for a profile (any host of linkedin.com, with or without
 * scheme, query, fragment or trailing slash; the slug lower-cased, as LinkedIn resolves it);
 * other linkedin.com paths (Sales Navigator leads) keep their path. Anything else: `undefined`.
 */
export function normalizeLinkedinUrl(value: string): string | undefined {
  const text = value.trim();
  if (text === "" || text.length > 500 || /\s/.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(/^https?:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  if (host !== "linkedin.com" && !host.endsWith(".linkedin.com")) return undefined;
  if (url.username !== "" || url.password !== "" || (url.port !== "" && url.port !== "443")) return undefined;
  const segments = url.pathname.split("/").filter(Boolean);
  if (segments.length === 0) return undefined;
  let decoded: string[];
  try {
    decoded = segments.map((segment) => decodeURIComponent(segment));
  } catch {
    return undefined;
  }
  if (decoded.some((segment) => segment === "." || segment === ".." || /[\s/\\<>"']/.test(segment)))
    return undefined;
  const [kind, slug] = decoded;
  const path =
    kind?.toLowerCase() === "in" && slug !== undefined
      ? ["in", slug.toLowerCase()]
      : decoded.map((segment, i) => (i === 0 ? segment.toLowerCase() : segment));
  const canonical = `https://www.linkedin.com/${path.map((segment) => encodeURIComponent(segment)).join("/")}`;
  return canonical.length <= 300 ? canonical : undefined;
}

/** C0/C1 controls and bidi overrides: a name is shown in the CRM and in deal names. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** A first or last name: printable, one line, at most 100 characters. */
export function cleanName(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const name = value.replace(UNPRINTABLE, " ").replace(/\s+/g, " ").trim().slice(0, 100).trim();
  return name === "" ? undefined : name;
}

export interface ContactIdentity {
  email?: string;
  linkedinUrl?: string;
  firstname?: string;
  lastname?: string;
}

/** How the contact is named in a deal name and a note: its name, else its address or profile. */
export function displayName(identity: ContactIdentity): string {
  const name = [identity.firstname, identity.lastname].filter(Boolean).join(" ");
  if (name !== "") return name;
  if (identity.email) return identity.email;
  const slug = identity.linkedinUrl?.split("/").at(-1);
  return slug ? decodeURIComponent(slug) : "LinkedIn lead";
}

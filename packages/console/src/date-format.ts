/**
 * The one way the console and the CLI write a date: "20 Nov 2026, 14:03:05 UTC" — the style of
 * the Slack message (core's `humanDate`), in UTC so two operators in two time zones read the same
 * text, with seconds where they matter (execution events) and without for a lead's creation date.
 * `public/time-format.js` is the browser's copy; a test holds the two to the same output.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export const NO_DATE = "—";

function toDate(value: number | string | Date): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  // Close sends microseconds ("…11.198000+00:00"); trim to milliseconds for Date.
  const trimmed = value.replace(/(\.\d{3})\d+/, "$1");
  // Close also writes UTC timestamps without an offset; JavaScript would read those in the host's time zone.
  return new Date(/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(trimmed) ? `${trimmed}Z` : trimmed);
}

/** "20 Nov 2026, 14:03:05 UTC" (or "…, 14:03 UTC" without seconds); the text as given when it is not a date. */
export function formatUtc(
  value: number | string | Date | null | undefined,
  options: { seconds?: boolean } = {},
): string {
  if (value === null || value === undefined || value === "" || value === 0) return NO_DATE;
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}${options.seconds === false ? "" : `:${pad(date.getUTCSeconds())}`}`;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${time} UTC`;
}

/** 1234567 → "1,234,567", the same on every machine (no locale). */
export function formatCount(value: number): string {
  const [whole = "0", fraction] = String(value).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/**
 * Times as the console shows them. Dates: one format everywhere, "20 Nov 2026, 14:03:05 UTC"
 * (the Slack message's style, in UTC so every operator reads the same text) — the browser's copy of
 * src/date-format.ts, held to the same output by a test. Durations match @leadrelay/core formatDuration.
 */

export function formatDuration(ms) {
  if (ms === undefined || ms === null) return "…";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  const minutes = seconds / 60;
  return minutes < 120 ? `${minutes.toFixed(1)} min` : `${(minutes / 60).toFixed(1)} h`;
}

/** "4:07 left", "1 h 02 min left", "any moment now". */
export function countdown(ms) {
  if (ms <= 0) return "any moment now";
  const total = Math.ceil(ms / 1000);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours} h ${String(minutes).padStart(2, "0")} min left`;
  return `${minutes}:${String(seconds).padStart(2, "0")} left`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function toDate(value) {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  // Close sends microseconds and UTC times without an offset (a browser would read those as local time).
  const trimmed = String(value).replace(/(\.\d{3})\d+/, "$1");
  return new Date(/T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/.test(trimmed) ? `${trimmed}Z` : trimmed);
}

/** "20 Nov 2026, 14:03:05 UTC" (`seconds: false`: "…, 14:03 UTC"); the text as given when it is not a date. */
export function formatUtc(value, { seconds = true } = {}) {
  if (value === null || value === undefined || value === "" || value === 0) return "—";
  const date = toDate(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}${seconds ? `:${pad(date.getUTCSeconds())}` : ""}`;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${time} UTC`;
}

/** A lead's creation date as the Slack message shows it: "20 Nov 2026, 14:03 UTC". */
export function humanDate(value) {
  return formatUtc(value, { seconds: false });
}

/** An event's time: "20 Nov 2026, 14:03:05 UTC". */
export function clockTime(ms) {
  return formatUtc(ms);
}

/** 1234567 → "1,234,567", the same on every machine. */
export function formatCount(value) {
  const [whole = "0", fraction] = String(value).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** "12 s ago", "3 min ago", "2 h ago", then the date. */
export function ago(ms, now = Date.now()) {
  if (!ms) return "—";
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return formatUtc(ms, { seconds: false });
}

export function isoOf(ms) {
  return ms ? new Date(ms).toISOString() : "";
}

/** `--since`: an ISO time ("2026-11-20T14:00Z", "2026-11-20") or an age ("90s", "30m", "2h", "7d") before `now`. */
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export class BadSince extends Error {
  override readonly name = "BadSince";
}

export function parseSince(text: string, now: number): number {
  const age = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim());
  if (age) return now - Number(age[1]) * (UNITS[age[2] ?? "s"] ?? 1000);
  // Only ISO shapes: Date.parse would also take "12/1/2026", read in this machine's time zone.
  if (/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const trimmed = text.trim();
    // A time without an offset is UTC, as every time the CLI prints is.
    const at = Date.parse(/T[\d:.]+$/.test(trimmed) ? `${trimmed}Z` : trimmed);
    if (!Number.isNaN(at)) return at;
  }
  throw new BadSince(
    `--since takes an ISO time (2026-11-20T14:00Z) or an age (90s, 30m, 2h, 7d), not "${text}"`,
  );
}

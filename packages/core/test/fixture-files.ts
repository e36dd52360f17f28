import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The sample payloads. Tests read the in-repo copies under `fixtures/` so that they do not
 * depend on the sibling `shared/` folder; `fixtures.test.ts` checks that the copies still
 * match `../shared/fixtures` (relative to the repo root) wherever that folder is present.
 */
export const FIXTURES_DIR = fileURLToPath(new URL("./fixtures/", import.meta.url));
export const SHARED_FIXTURES_DIR = fileURLToPath(new URL("../../../../shared/fixtures/", import.meta.url));

export const CLOSE_FIXTURES = [
  "lead-created.json",
  "lead-created-data-id-only.json",
  "lead-created-no-contact.json",
  "lead-updated.json",
  "note-created.json",
] as const;
export type CloseFixture = (typeof CLOSE_FIXTURES)[number];

/** Lead ids of the three lead.created fixtures (each has an owner file). */
export const LEAD_IDS = {
  "lead-created.json": "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q",
  "lead-created-data-id-only.json": "lead_2PqW7xN4kZ9bT1mR6vL3sY8cH0dF5gJ2eA7uI4oK1nQ",
  "lead-created-no-contact.json": "lead_6Fz1Yq8Xm3Kb5Wn2Tr9Lc4Hp7Jd0Gs6Ea3Ui8Ko5Nw1",
} as const;
export const OWNER_FIXTURES = Object.values(LEAD_IDS).map((leadId) => `${leadId}.json`);

/** The webhook body exactly as stored in the file (the bytes Close would send). */
export function closeFixture(name: CloseFixture): string {
  return readFileSync(`${FIXTURES_DIR}close/${name}`, "utf8");
}

export function closeFixtureJson(
  name: CloseFixture,
): Record<string, unknown> & { event: Record<string, unknown> } {
  return JSON.parse(closeFixture(name));
}

export function ownerFixtureText(leadId: string): string {
  return readFileSync(`${FIXTURES_DIR}owners/${leadId}.json`, "utf8");
}

export function ownerFixture(leadId: string): Record<string, string | null> {
  return JSON.parse(ownerFixtureText(leadId));
}

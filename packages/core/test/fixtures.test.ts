import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CLOSE_FIXTURES, FIXTURES_DIR, OWNER_FIXTURES, SHARED_FIXTURES_DIR } from "./fixture-files";

describe("in-repo fixture copies", () => {
  it("holds every fixture the tests use", () => {
    expect(readdirSync(`${FIXTURES_DIR}close`).sort()).toEqual([...CLOSE_FIXTURES].sort());
    expect(readdirSync(`${FIXTURES_DIR}owners`).sort()).toEqual([...OWNER_FIXTURES].sort());
  });

  // CI lays shared/ beside the clone; where it is absent the copies are the only truth.
  it.skipIf(!existsSync(SHARED_FIXTURES_DIR))("are byte-identical to ../shared/fixtures", () => {
    for (const [folder, names] of [
      ["close", CLOSE_FIXTURES],
      ["owners", OWNER_FIXTURES],
    ] as const) {
      for (const name of names) {
        const copy = readFileSync(`${FIXTURES_DIR}${folder}/${name}`);
        const shared = readFileSync(`${SHARED_FIXTURES_DIR}${folder}/${name}`);
        expect(copy.equals(shared), `${folder}/${name}`).toBe(true);
      }
    }
  });
});

import { describe, expect, it } from "vitest";
import { KeyIndex } from "../src/key-index";

/** What a listing returned before the index: every key filtered and sorted. */
const naive = (keys: Set<string>, prefix: string, after: string, limit: number) =>
  [...keys]
    .filter((key) => key.startsWith(prefix) && key > after)
    .sort()
    .slice(0, limit);

describe("the embedded S3's key index", () => {
  it("pages a prefix from any continuation point exactly as a filter and sort of every key", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const parts = ["flows/", "sources/", "raw/", "a", "b", "ü", "lead_", "0", "9", "/"];
    const word = () =>
      Array.from(
        { length: 1 + Math.floor(random() * 5) },
        () => parts[Math.floor(random() * parts.length)],
      ).join("");
    const keys = new Set<string>();
    const index = new KeyIndex(["seeded/one", "seeded/two"]);
    keys.add("seeded/one");
    keys.add("seeded/two");
    for (let i = 0; i < 3000; i++) {
      const key = word();
      if (random() < 0.2) {
        keys.delete(key);
        index.delete(key);
      } else {
        keys.add(key);
        index.add(key);
      }
      expect(index.size).toBe(keys.size);
      if (i % 50 === 0) {
        const prefix = random() < 0.3 ? "" : word().slice(0, 1 + Math.floor(random() * 4));
        const after = random() < 0.5 ? "" : word();
        const limit = 1 + Math.floor(random() * 20);
        expect(index.page(prefix, after, limit)).toEqual(naive(keys, prefix, after, limit));
      }
    }
    // A whole prefix, page by page, from each page's last key.
    const all: string[] = [];
    let after = "";
    for (;;) {
      const page = index.page("flows/", after, 7);
      all.push(...page);
      if (page.length < 7) break;
      after = page.at(-1) as string;
    }
    expect(all).toEqual(naive(keys, "flows/", "", keys.size));
    expect(index.has("seeded/one")).toBe(true);
  });
});

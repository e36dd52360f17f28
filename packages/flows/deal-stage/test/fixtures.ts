import { readFileSync } from "node:fs";

export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** A fixture as the CRM would send it: compact JSON, one line. */
export function fixtureBody(name: "deal-committed" | "deal-qualified" | "deal-prospecting"): string {
  return JSON.stringify(JSON.parse(readFileSync(`${FIXTURES}${name}.json`, "utf8")));
}

/** A fixture's JSON with `change` applied to its `data` (for variants of one deal). */
export function dealBody(
  name: "deal-committed" | "deal-qualified" | "deal-prospecting",
  // biome-ignore lint/suspicious/noExplicitAny: tests reshape the fixture freely, hostile shapes included
  change: (data: Record<string, any>) => void = () => {},
): string {
  const body = JSON.parse(fixtureBody(name));
  change(body.data);
  return JSON.stringify(body);
}

import { describe, expect, it } from "vitest";
import { parseLocalEnv } from "../src/env";

describe("the local runtime's settings", () => {
  it("names each unknown flow id of LEADRELAY_FLOWS, and the flows there are", () => {
    expect(() => parseLocalEnv({ LEADRELAY_FLOWS: "announce, nope,triage,also-not" })).toThrow(
      /LEADRELAY_FLOWS: names unknown flows nope, also-not; the flows are announce, triage, deal-stage/,
    );
    expect(parseLocalEnv({ LEADRELAY_FLOWS: "announce,triage" }).LEADRELAY_FLOWS).toBe("announce,triage");
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { selectFlows } from "../../../flows/registry";
import { fillSourceSecrets } from "../../src/runtime/secrets";
import { tempDir } from "../harness";

describe("the sources' secrets", () => {
  it("generates each unset secret of the chosen flows' sources once, and keeps it for the next start", () => {
    const dataDir = tempDir();
    const flows = selectFlows("announce,meta-leads", "all");
    const settings: Record<string, string | undefined> = {};
    const generated = fillSourceSecrets(flows, settings, dataDir);
    expect(Object.keys(generated).sort()).toEqual([
      "CLOSE_WEBHOOK_SECRET",
      "META_APP_SECRET",
      "META_VERIFY_TOKEN",
    ]);
    expect(settings).toEqual(generated);
    expect(generated.CLOSE_WEBHOOK_SECRET).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(join(dataDir, "webhook-secret"), "utf8").trim()).toBe(generated.CLOSE_WEBHOOK_SECRET);

    const again: Record<string, string | undefined> = {};
    expect(fillSourceSecrets(flows, again, dataDir)).toEqual(generated);
  });

  it("leaves a given secret alone and generates none for a flow not chosen", () => {
    const settings: Record<string, string | undefined> = { CLOSE_WEBHOOK_SECRET: "abcd" };
    const generated = fillSourceSecrets(selectFlows("announce", "all"), settings, tempDir());
    expect(generated).toEqual({});
    expect(settings).toEqual({ CLOSE_WEBHOOK_SECRET: "abcd" });
  });
});

import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { FUNCTION_DEFAULTS } from "../function-defaults";
import { type Synthesized, synthesized } from "./synth";

/** #14 findings 1 and 6: what every deployed function carries and where it logs. */

let synth: Synthesized;
beforeAll(async () => {
  synth = await synthesized();
});

const codeOf = (bundleDir: string) =>
  (readdirSync(bundleDir, { recursive: true, encoding: "utf8" }) as string[])
    .filter((file) => file.endsWith(".mjs") && !file.includes("node_modules"))
    .map((file) => readFileSync(path.join(bundleDir, file), "utf8"))
    .join("\n");

describe("the AWS SDK goes with the code, pinned by the lockfile (finding 1)", () => {
  it("marks no @aws-sdk package external: the nodejs22.x runtime's own SDK (≤ 3.633 drops IfNoneMatch) is never used", () => {
    const external =
      (FUNCTION_DEFAULTS.nodejs?.esbuild as { external?: string[] } | undefined)?.external ?? [];
    expect(external.filter((name) => name.startsWith("@aws-sdk"))).toEqual([]);
  });

  it("every bundle that writes S3 markers sends If-None-Match itself (the serializer is in the bundle)", () => {
    const writers = Object.entries(synth.bundles).filter(([, dir]) =>
      /\bPutObjectCommand\b/.test(codeOf(dir)),
    );
    expect(writers.length).toBeGreaterThanOrEqual(8);
    for (const [id, dir] of writers) {
      const code = codeOf(dir);
      expect(code, `${id} bundles the S3 client`).toMatch(/\bS3Client\b/);
      expect(code, `${id} serializes IfNoneMatch`).toMatch(/If-None-Match/i);
      expect(code, `${id} imports no SDK from the runtime`).not.toMatch(/from\s*"@aws-sdk\//);
    }
  });
});

describe("function logs expire (finding 6)", () => {
  it("every Lambda of every stack logs to its own group with the stage's retention (30 days on the test stage), named by CloudFormation", () => {
    let functions = 0;
    for (const template of Object.values(synth.test)) {
      const resources = template.Resources ?? {};
      for (const [id, resource] of Object.entries(resources)) {
        if (resource.Type !== "AWS::Lambda::Function") continue;
        const config = resource.Properties?.LoggingConfig as { LogGroup?: { Ref?: string } } | undefined;
        // CDK's and SST's own helpers (the bucket's auto-delete, SST's stack-metadata custom resource)
        // are not functions of ours; they log to Lambda's default group.
        if (!config && /CustomS3AutoDeleteObjects|CustomCDK|CustomResourceHandler/.test(id)) continue;
        functions++;
        const group = resources[config?.LogGroup?.Ref ?? ""];
        expect(group?.Type, `${id} logs to a group of its stack`).toBe("AWS::Logs::LogGroup");
        expect(group?.Properties?.RetentionInDays, id).toBe(30);
        expect(group?.Properties?.LogGroupName, `${id}'s group is named by CloudFormation`).toBeUndefined();
      }
    }
    expect(functions).toBeGreaterThanOrEqual(25);
  });
});

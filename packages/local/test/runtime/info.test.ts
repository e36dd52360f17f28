import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runtimeInfo, writeRuntimeInfo } from "../../src/runtime/info";
import { tempDir } from "../harness";

const url = "http://127.0.0.1:3000";
const endpoints = { url, s3Endpoint: `${url}/_aws/s3`, sfnEndpoint: `${url}/_aws/sfn` };
const flow = (id: string, source: string) => ({
  id,
  title: id,
  source,
  stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${id}`,
});

describe("where a runtime can be reached (runtime.json)", () => {
  it("names Close's webhook and the first flow's machine for the tools that predate flows", () => {
    const info = runtimeInfo({
      ...endpoints,
      webhooks: { crm: `${url}/webhook/crm`, close: `${url}/webhook/close` },
      flows: [flow("triage", "close"), flow("deal-stage", "crm")],
    });
    expect(info).toEqual({
      pid: process.pid,
      url,
      webhookUrl: `${url}/webhook/close`,
      webhooks: { crm: `${url}/webhook/crm`, close: `${url}/webhook/close` },
      consoleUrl: `${url}/console`,
      s3Endpoint: `${url}/_aws/s3`,
      sfnEndpoint: `${url}/_aws/sfn`,
      bucket: "leadrelay-local",
      stateMachineArn: flow("triage", "close").stateMachineArn,
      flows: [flow("triage", "close"), flow("deal-stage", "crm")],
      region: "us-east-1",
    });
  });

  it("names the first source's webhook when no flow listens to Close", () => {
    const info = runtimeInfo({
      ...endpoints,
      webhooks: { meta: `${url}/webhook/meta`, lgm: `${url}/webhook/lgm/{token}` },
      flows: [flow("meta-leads", "meta")],
    });
    expect(info.webhookUrl).toBe(`${url}/webhook/meta`);
  });

  it("is written to the data folder as JSON", () => {
    const dataDir = tempDir();
    const info = runtimeInfo({ ...endpoints, webhooks: {}, flows: [flow("announce", "close")] });
    writeRuntimeInfo(dataDir, info);
    expect(JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8"))).toEqual(info);
  });
});

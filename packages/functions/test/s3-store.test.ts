import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Client, createS3Store } from "../src/adapters/s3-store";
import { AWS_REQUEST_TIMEOUTS } from "../src/aws-clients";
import { type LoopbackServer, startLoopbackServer } from "./fakes";

/** S3's XML error for a status, as the SDK parses it. */
const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>r1</RequestId></Error>`;

let server: LoopbackServer;
let next: { status: number; body: string; delayMs?: number };

beforeAll(async () => {
  server = await startLoopbackServer(async (_request, response) => {
    if (next.delayMs) await new Promise((resolve) => setTimeout(resolve, next.delayMs));
    response.writeHead(next.status, { "content-type": "application/xml" }).end(next.body);
  });
});
afterAll(() => server.close());

const store = (requestTimeout?: number) =>
  createS3Store(
    createS3Client({
      endpoint: server.url,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
      requestHandler: { ...AWS_REQUEST_TIMEOUTS, ...(requestTimeout ? { requestTimeout } : {}) },
    }),
    "bucket",
  );

describe("conditional create against S3's answers", () => {
  it("412 PreconditionFailed: the object exists", async () => {
    next = {
      status: 412,
      body: s3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
    };
    await expect(store().putIfAbsent("k", "v")).resolves.toBe("exists");
  });

  it("409 ConditionalRequestConflict is not 'exists' (AWS says retry it): StorageUnavailable", async () => {
    next = {
      status: 409,
      body: s3Error(
        "ConditionalRequestConflict",
        "A conflicting conditional operation is currently in progress",
      ),
    };
    await expect(store().putIfAbsent("k", "v")).rejects.toMatchObject({ name: "StorageUnavailable" });
  });

  it("a hung S3 fails within the client's request timeout as StorageUnavailable", async () => {
    next = { status: 200, body: "", delayMs: 2_000 };
    const started = Date.now();
    await expect(store(300).get("k")).rejects.toMatchObject({ name: "StorageUnavailable" });
    expect(Date.now() - started).toBeLessThan(1_800);
  });

  it("every Lambda's AWS clients connect and answer within bounds well inside the Lambda timeout", () => {
    expect(AWS_REQUEST_TIMEOUTS.connectionTimeout).toBeLessThanOrEqual(5_000);
    expect(AWS_REQUEST_TIMEOUTS.requestTimeout).toBeLessThan(20_000);
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createEventPublisher } from "../../src/adapters/event-publisher";
import type { AwsClientConfig } from "../../src/aws-clients";
import { unusedUrl } from "../fakes";
import { failureOf, header, startVendorServer, type VendorAnswer, type VendorServer } from "./vendor-server";

const BUS = "test-leadrelay-events";
const EVENT = {
  source: "leadrelay.meta-leads",
  detailType: "meta-lead.pending",
  detail: { leadgenId: "12345678901234567", category: "pending", lead: { fullName: "Łukasz Żółć" } },
};
const JSON_11 = "application/x-amz-json-1.1";

const awsConfig = (endpoint: string, timeoutMs = 300): AwsClientConfig => ({
  endpoint,
  region: "eu-west-1",
  credentials: { accessKeyId: "AKIDLOCALTEST", secretAccessKey: "local-secret" },
  requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
});

/** EventBridge's AWS JSON 1.1 error: `__type` and `message` in the body. */
const awsError = (status: number, type: string, message: string): VendorAnswer => ({
  status,
  headers: { "content-type": JSON_11 },
  text: JSON.stringify({ __type: type, message }),
});
const putResult = (entries: unknown[], failed = 0): VendorAnswer => ({
  status: 200,
  headers: { "content-type": JSON_11 },
  text: JSON.stringify({ FailedEntryCount: failed, Entries: entries }),
});

let events: VendorServer;
const publisher = () => createEventPublisher(BUS, awsConfig(events.url));

beforeAll(async () => {
  events = await startVendorServer(() => putResult([{ EventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" }]));
});
afterAll(async () => {
  await events.close();
});
beforeEach(() => events.reset());

describe("event publisher: PutEvents over AWS JSON 1.1", () => {
  it("sends one entry on the stage's bus with the detail as JSON text, one SDK attempt", async () => {
    expect(await publisher().publish(EVENT)).toEqual({ eventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" });

    const request = events.only();
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/");
    expect(header(request.headers, "x-amz-target")).toBe("AWSEvents.PutEvents");
    expect(header(request.headers, "content-type")).toBe(JSON_11);
    expect(header(request.headers, "authorization")).toMatch(
      /^AWS4-HMAC-SHA256 .*\/eu-west-1\/events\/aws4_request/,
    );
    expect(header(request.headers, "amz-sdk-request")).toMatch(/max=1/);
    const body = JSON.parse(request.body) as { Entries: Array<Record<string, string>> };
    expect(body.Entries).toEqual([
      {
        EventBusName: BUS,
        Source: EVENT.source,
        DetailType: EVENT.detailType,
        Detail: JSON.stringify(EVENT.detail),
      },
    ]);
    expect(JSON.parse(body.Entries[0]?.Detail ?? "")).toEqual(EVENT.detail);
  });

  it("ThrottlingException → ServiceRateLimited", async () => {
    events.next(awsError(400, "ThrottlingException", "Rate exceeded"));
    const error = await failureOf(publisher().publish(EVENT));
    expect(error.name).toBe("ServiceRateLimited");
    expect(error.code).toBe("ThrottlingException");
  });

  it("InternalException (500) → ServiceUnavailable, answered", async () => {
    events.next(awsError(500, "InternalException", "Internal error"));
    const error = await failureOf(publisher().publish(EVENT));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.unanswered).toBe(false);
  });

  it("a missing bus or no permission → ServiceRejected", async () => {
    events.next(
      awsError(400, "ResourceNotFoundException", `Event bus ${BUS} does not exist.`),
      awsError(400, "AccessDeniedException", "User is not authorized to perform: events:PutEvents"),
    );
    for (const code of ["ResourceNotFoundException", "AccessDeniedException"]) {
      const error = await failureOf(publisher().publish(EVENT));
      expect(error.name).toBe("ServiceRejected");
      expect(error.code).toBe(code);
    }
  });

  it("a 200 with a failed entry is classified by the entry's ErrorCode", async () => {
    events.next(
      putResult([{ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }], 1),
      putResult([{ ErrorCode: "InternalFailure", ErrorMessage: "Internal failure" }], 1),
      putResult([{ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." }], 1),
    );
    const names = [];
    for (let i = 0; i < 3; i++) names.push((await failureOf(publisher().publish(EVENT))).name);
    expect(names).toEqual(["ServiceRateLimited", "ServiceUnavailable", "ServiceRejected"]);
  });

  it("no answer in time → ServiceUnavailable marked unanswered (the event may be on the bus)", async () => {
    events.next({ status: 200, hang: true });
    const error = await failureOf(publisher().publish(EVENT));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.unanswered).toBe(true);
  });

  it("a refused connection → ServiceUnavailable, not unanswered (nothing was sent)", async () => {
    const error = await failureOf(createEventPublisher(BUS, awsConfig(await unusedUrl())).publish(EVENT));
    expect(error.name).toBe("ServiceUnavailable");
    expect(error.unanswered).toBe(false);
  });
});

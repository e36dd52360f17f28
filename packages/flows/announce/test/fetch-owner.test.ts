import { createHttpOwnerDirectory } from "@leadrelay/functions/adapters/owner-directory";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { LEAD_IDS, ownerFixture } from "../../../core/test/fixture-files";
import { FakeOwnerServer, unusedUrl } from "../../../functions/test/fakes";
import { createFetchOwner } from "../src/fetch-owner";

const LEAD_ID = LEAD_IDS["lead-created.json"];
const input = {
  leadId: LEAD_ID,
  rawKey: `crm_event_${LEAD_ID}.json`,
  receivedAt: "2026-11-20T14:03:12.000Z",
};

let owners: FakeOwnerServer;
let fetchOwner: ReturnType<typeof createFetchOwner>;

beforeAll(async () => {
  owners = await new FakeOwnerServer().start();
});
afterAll(async () => {
  await owners.close();
});
beforeEach(() => {
  owners.reset();
  owners.files.set(LEAD_ID, ownerFixture(LEAD_ID));
  fetchOwner = createFetchOwner({ owners: createHttpOwnerDirectory(owners.url, { timeoutMs: 300 }) });
});

describe("fetch-owner over HTTP", () => {
  it("200: returns the owner record from GET {base}/{leadId}.json", async () => {
    await expect(fetchOwner(input)).resolves.toEqual(ownerFixture(LEAD_ID));
    const request = owners.requestsFor(LEAD_ID).at(-1);
    expect(request?.method).toBe("GET");
    expect(request?.headers.accept).toBe("application/json");
  });

  it.each([403, 404])(
    "%i: OwnerNotAssigned, which the state machine retries with a long backoff",
    async (status) => {
      owners.scripts.set(LEAD_ID, [status]);
      await expect(fetchOwner(input)).rejects.toMatchObject({
        name: "OwnerNotAssigned",
        leadId: LEAD_ID,
        status,
      });
    },
  );

  it.each([500, 502, 503])("%i: OwnerLookupUnavailable", async (status) => {
    owners.scripts.set(LEAD_ID, [status]);
    await expect(fetchOwner(input)).rejects.toMatchObject({
      name: "OwnerLookupUnavailable",
      message: expect.stringContaining(`HTTP ${status}`),
    });
  });

  it("timeout: OwnerLookupUnavailable", async () => {
    owners.scripts.set(LEAD_ID, ["hang"]);
    const started = Date.now();
    await expect(fetchOwner(input)).rejects.toMatchObject({
      name: "OwnerLookupUnavailable",
      message: expect.stringMatching(/Timeout|abort/i),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("nobody listening: OwnerLookupUnavailable", async () => {
    const offline = createFetchOwner({
      owners: createHttpOwnerDirectory(await unusedUrl(), { timeoutMs: 2_000 }),
    });
    await expect(offline(input)).rejects.toMatchObject({ name: "OwnerLookupUnavailable" });
  });

  it("bad JSON: OwnerRecordInvalid, not retried", async () => {
    owners.scripts.set(LEAD_ID, ["bad-json"]);
    await expect(fetchOwner(input)).rejects.toMatchObject({ name: "OwnerRecordInvalid" });
  });

  it.each([
    ["an array", []],
    ["a string", "Priya Raman"],
    ["a number for the owner", { lead_id: LEAD_ID, lead_owner: 42 }],
  ])("JSON that is not an owner record (%s): OwnerRecordInvalid", async (_label, json) => {
    owners.scripts.set(LEAD_ID, [{ json }]);
    await expect(fetchOwner(input)).rejects.toMatchObject({ name: "OwnerRecordInvalid" });
  });

  it("a file for another lead: OwnerRecordInvalid", async () => {
    owners.scripts.set(LEAD_ID, [{ json: { ...ownerFixture(LEAD_ID), lead_id: "lead_someoneElse" } }]);
    await expect(fetchOwner(input)).rejects.toMatchObject({
      name: "OwnerRecordInvalid",
      message: expect.stringContaining("lead_someoneElse"),
    });
  });

  it("a file whose fields are all null is a valid, empty record", async () => {
    const empty = { lead_id: null, display_name: null, lead_email: null, lead_owner: null, funnel: null };
    owners.scripts.set(LEAD_ID, [{ json: empty }]);
    await expect(fetchOwner(input)).resolves.toEqual(empty);
  });
});

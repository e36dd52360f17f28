import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createMemberDirectory } from "../../src/adapters/member-directory";
import { unusedUrl } from "../fakes";
import { failureOf, startVendorServer, type VendorServer } from "./vendor-server";

const EMAIL = "ada.lovelace+leads@example.org";

let members: VendorServer;
const directory = () => createMemberDirectory(`${members.url}/api/`, { timeoutMs: 300 });

beforeAll(async () => {
  members = await startVendorServer((request) => {
    const email = new URL(request.url, "http://members.local").searchParams.get("email");
    return email === EMAIL
      ? { status: 200, json: { status: "Active" } }
      : { status: 404, json: { error: "no member" } };
  });
});
afterAll(async () => {
  await members.close();
});
beforeEach(() => members.reset());

describe("member directory adapter", () => {
  it("GETs /members?email=<email>, the email URL-encoded in the query", async () => {
    expect(await directory().lookup(EMAIL)).toEqual({ found: true, status: "active" });
    const request = members.only();
    expect(request.method).toBe("GET");
    expect(request.url).toBe(`/api/members?email=${encodeURIComponent(EMAIL)}`);
    expect(new URL(request.url, "http://x").searchParams.get("email")).toBe(EMAIL);
  });

  it("404 is an answer: nobody has that email", async () => {
    expect(await directory().lookup("nobody@example.org")).toEqual({ found: false });
  });

  it("classifies 429 (with Retry-After), 5xx and other 4xx; no error ever carries the email or the body", async () => {
    const echo = { error: `no access for ${EMAIL}` };
    members.next(
      { status: 429, headers: { "retry-after": "12" }, json: echo },
      { status: 503, json: echo },
      { status: 401, json: echo },
      { status: 200, json: { member: EMAIL } },
    );
    const limited = await failureOf(directory().lookup(EMAIL));
    expect(limited.name).toBe("ServiceRateLimited");
    expect(limited.retryAfterSeconds).toBe(12);
    const unavailable = await failureOf(directory().lookup(EMAIL));
    expect(unavailable.name).toBe("ServiceUnavailable");
    const rejected = await failureOf(directory().lookup(EMAIL));
    expect(rejected.name).toBe("ServiceRejected");
    const shapeless = await failureOf(directory().lookup(EMAIL));
    expect(shapeless.name).toBe("ServiceRejected");
    expect(shapeless.message).toMatch(/no status/);
    for (const error of [limited, unavailable, rejected, shapeless]) {
      expect(error.message).toContain("GET /api/members");
      expect(error.message).not.toContain("ada.lovelace");
      expect(error.message).not.toContain("no access");
    }
  });

  it("no answer in time or nothing listening → ServiceUnavailable, without the email", async () => {
    members.next({ status: 200, hang: true });
    const hung = await failureOf(directory().lookup(EMAIL));
    expect(hung.name).toBe("ServiceUnavailable");
    const nowhere = createMemberDirectory(await unusedUrl());
    const refused = await failureOf(nowhere.lookup(EMAIL));
    expect(refused.name).toBe("ServiceUnavailable");
    for (const error of [hung, refused]) expect(error.message).not.toContain("ada.lovelace");
  });
});

import { describe, expect, it } from "vitest";
import {
  type CloseWebhook,
  classifyWebhook,
  jsonShapeProblem,
  leadIdOf,
  MAX_ARRAY_ITEMS,
} from "../src/close-webhook";
import { CLOSE_FIXTURES, type CloseFixture, closeFixture, closeFixtureJson, LEAD_IDS } from "./fixture-files";

function envelope(event: Record<string, unknown>): CloseWebhook {
  return {
    subscription_id: "whsub_1",
    event: { id: "ev_1", object_type: "lead", action: "created", ...event },
  };
}

/** A lead.created body built from the first fixture with `event` fields replaced. */
function leadCreatedWith(event: Record<string, unknown>): string {
  const webhook = closeFixtureJson("lead-created.json");
  return JSON.stringify({ ...webhook, event: { ...webhook.event, ...event } });
}

describe("classifyWebhook on the sample payloads", () => {
  it.each(Object.entries(LEAD_IDS))("%s is a lead to relay with lead id %s", (name, leadId) => {
    const verdict = classifyWebhook(closeFixture(name as CloseFixture));
    expect(verdict.kind).toBe("lead-created");
    if (verdict.kind !== "lead-created") return;
    expect(verdict.leadId).toBe(leadId);
    expect(verdict.eventId).toBe(closeFixtureJson(name as CloseFixture).event.id);
  });

  it("finds the lead id in data.id when event.lead_id is absent", () => {
    const webhook = closeFixtureJson("lead-created-data-id-only.json");
    expect(webhook.event).not.toHaveProperty("lead_id");
    const verdict = classifyWebhook(closeFixture("lead-created-data-id-only.json"));
    expect(verdict.kind === "lead-created" && verdict.leadId).toBe(
      LEAD_IDS["lead-created-data-id-only.json"],
    );
  });

  it("keeps custom fields and contacts of event.data", () => {
    const verdict = classifyWebhook(closeFixture("lead-created.json"));
    if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
    expect(verdict.data["custom.cf_Src9Zq2Xk5Lm8Wp1Tn4Yb7Hd0Jc3Fv6Ga9Ue2Oi5Rs8K"]).toBe("Website");
    expect(verdict.data.contact_ids).toEqual(["cont_3Rk9Wq1Zx5Lm8Np2Tb6Yc0Hv4Jd7Fs3Ga9Ue1Oi5Kw2"]);
    const noContact = classifyWebhook(closeFixture("lead-created-no-contact.json"));
    expect(noContact.kind === "lead-created" && noContact.data.contacts).toEqual([]);
  });

  it.each(["lead-updated.json", "note-created.json"] as const)("%s is acknowledged and ignored", (name) => {
    const verdict = classifyWebhook(closeFixture(name));
    expect(verdict).toMatchObject({ kind: "ignored", eventId: closeFixtureJson(name).event.id });
  });

  it("classifies every fixture", () => {
    const kinds = Object.fromEntries(
      CLOSE_FIXTURES.map((name) => [name, classifyWebhook(closeFixture(name)).kind]),
    );
    expect(kinds).toEqual({
      "lead-created.json": "lead-created",
      "lead-created-data-id-only.json": "lead-created",
      "lead-created-no-contact.json": "lead-created",
      "lead-updated.json": "ignored",
      "note-created.json": "ignored",
    });
  });
});

describe("leadIdOf", () => {
  it("prefers event.lead_id, then event.data.id, then event.object_id", () => {
    const all = envelope({ lead_id: "lead_A", object_id: "lead_C", data: { id: "lead_B" } });
    expect(leadIdOf(all)).toBe("lead_A");
    expect(leadIdOf(envelope({ object_id: "lead_C", data: { id: "lead_B" } }))).toBe("lead_B");
    expect(leadIdOf(envelope({ object_id: "lead_C", data: {} }))).toBe("lead_C");
    expect(leadIdOf(envelope({ object_id: "lead_C" }))).toBe("lead_C");
    expect(leadIdOf(envelope({ object_id: "lead_C", data: null }))).toBe("lead_C");
  });

  it("skips null values and a data.id that is not a string", () => {
    expect(leadIdOf(envelope({ lead_id: null, object_id: "lead_C", data: { id: "lead_B" } }))).toBe("lead_B");
    expect(leadIdOf(envelope({ object_id: "lead_C", data: { id: 42 } }))).toBe("lead_C");
  });

  it("is undefined when no field holds one", () => {
    expect(leadIdOf(envelope({}))).toBeUndefined();
    expect(leadIdOf(envelope({ lead_id: null, object_id: null, data: { id: null } }))).toBeUndefined();
  });
});

describe("classifyWebhook refuses", () => {
  it.each([
    ["path traversal", "lead_../../etc/passwd"],
    ["a bare ../", "../lead_abc"],
    ["200 characters", `lead_${"a".repeat(195)}`],
    ["65 characters", `lead_${"a".repeat(60)}`],
    ["a control character", "lead_abc\u0000def"],
    ["a newline", "lead_abc\ndef"],
    ["a space", "lead_abc def"],
    ["a trailing space", "lead_abc "],
    ["a slash", "lead_abc/def"],
    ["another prefix", "cont_abc"],
    ["an empty id", "lead_"],
    ["non-ASCII letters", "lead_Żółć"],
  ])("a lead id with %s", (_label, leadId) => {
    const verdict = classifyWebhook(leadCreatedWith({ lead_id: leadId }));
    expect(verdict).toMatchObject({ kind: "invalid", reason: expect.stringMatching(/lead id/) });
  });

  it("a lead id that is valid elsewhere does not rescue an invalid event.lead_id", () => {
    // Precedence is not a fallback: the first present field is the lead id.
    const verdict = classifyWebhook(leadCreatedWith({ lead_id: "../x", object_id: "lead_ok" }));
    expect(verdict.kind).toBe("invalid");
  });

  it("a lead.created without any lead id", () => {
    const verdict = classifyWebhook(
      leadCreatedWith({ lead_id: null, object_id: null, data: { display_name: "x" } }),
    );
    expect(verdict).toEqual({ kind: "invalid", reason: expect.stringMatching(/no lead id/) });
  });

  it("accepts a lead id of exactly 64 characters", () => {
    const leadId = `lead_${"a".repeat(59)}`;
    expect(leadId).toHaveLength(64);
    const verdict = classifyWebhook(leadCreatedWith({ lead_id: leadId, object_id: leadId }));
    expect(verdict.kind === "lead-created" && verdict.leadId).toBe(leadId);
  });

  it.each([
    ["not JSON", "{not json", /not valid JSON/],
    ["empty", "", /not valid JSON/],
    ["an array", "[]", /JSON object/],
    ["null", "null", /JSON object/],
    ["a string", '"lead_abc"', /JSON object/],
    ["no event", '{"subscription_id":"whsub_1"}', /event/],
    [
      "an event without id",
      '{"event":{"object_type":"lead","action":"created","lead_id":"lead_a"}}',
      /event\.id/,
    ],
  ])("a body that is %s", (_label, body, reason) => {
    expect(classifyWebhook(body)).toEqual({ kind: "invalid", reason: expect.stringMatching(reason) });
  });

  it("a body nested too deeply, without blowing the stack", () => {
    const depth = 100_000;
    const body = `{"event":${"[".repeat(depth)}${"]".repeat(depth)}}`;
    expect(classifyWebhook(body)).toEqual({ kind: "invalid", reason: "body is nested too deeply" });
  });

  // #22 finding 15: a signed ~300 KB body with 100,000 contact_ids used to be validated element by
  // element (one zod issue each, 30-60 MB of heap) before being refused.
  it("an array over the bound is refused by its length, before any element is validated", () => {
    const body = JSON.stringify({
      event: {
        id: "ev_1",
        object_type: "lead",
        action: "created",
        lead_id: "lead_Big1",
        data: { id: "lead_Big1", contact_ids: Array.from({ length: 100_000 }, (_, i) => i) },
      },
    });
    expect(classifyWebhook(body)).toEqual({
      kind: "invalid",
      reason: `body.event.data.contact_ids holds 100000 items (at most ${MAX_ARRAY_ITEMS})`,
    });
  });

  it("the shape check never reads an element of an array it refuses", () => {
    let reads = 0;
    const big = new Proxy(new Array(MAX_ARRAY_ITEMS + 1).fill("cont_x"), {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver);
      },
    });
    expect(
      jsonShapeProblem(
        { event: { data: { contact_ids: big } } },
        { maxDepth: 32, maxItems: MAX_ARRAY_ITEMS },
      ),
    ).toMatch(/contact_ids holds 1001 items/);
    expect(reads).toBe(0);
  });

  it("an array at the bound is validated as before", () => {
    const ids = Array.from({ length: MAX_ARRAY_ITEMS }, (_, i) => `cont_${i}`);
    const verdict = classifyWebhook(
      JSON.stringify({
        event: {
          id: "ev_1",
          object_type: "lead",
          action: "created",
          lead_id: "lead_Ok1",
          data: { id: "lead_Ok1", contact_ids: ids },
        },
      }),
    );
    expect(verdict).toMatchObject({ kind: "lead-created", leadId: "lead_Ok1" });
  });

  it("a body nested a little too deeply", () => {
    let nested: unknown = "x";
    for (let i = 0; i < 40; i++) nested = { a: nested };
    const body = JSON.stringify({
      event: { id: "ev_1", object_type: "lead", action: "created", data: nested },
    });
    expect(classifyWebhook(body)).toEqual({ kind: "invalid", reason: "body is nested too deeply" });
  });
});

import {
  classifyWebhook,
  type MergedLead,
  mergeLead,
  notifiedKey,
  summarizeLead,
  unassignedNoticeKey,
} from "@leadrelay/core";
import { createSlackPoster } from "@leadrelay/functions/adapters/slack-poster";
import { createLogger } from "@leadrelay/functions/log";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeFixture, LEAD_IDS, ownerFixture } from "../../../core/test/fixture-files";
import { clock, FakeSlack, MemoryStore, NOW, unusedUrl } from "../../../functions/test/fakes";
import { createNotifySlack, type NotificationMarker, type NotifyDeps } from "../src/notify-slack";

const LEAD_ID = LEAD_IDS["lead-created.json"];
const RECEIVED_AT = new Date(NOW - 190 * 60_000).toISOString();

function leadParts() {
  const verdict = classifyWebhook(closeFixture("lead-created.json"));
  if (verdict.kind !== "lead-created") throw new Error(verdict.kind);
  const lead = summarizeLead(LEAD_ID, verdict.data);
  const merged: MergedLead = mergeLead(lead, ownerFixture(LEAD_ID), RECEIVED_AT);
  return { lead, merged };
}
const { lead, merged } = leadParts();
const leadInput = { kind: "lead", leadId: LEAD_ID, merged };
const unassignedInput = { kind: "unassigned", leadId: LEAD_ID, lead, receivedAt: RECEIVED_AT };

let slack: FakeSlack;
let store: MemoryStore;

beforeAll(async () => {
  slack = await new FakeSlack().start();
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => {
  slack.reset();
  store = new MemoryStore();
});

function notifier(overrides: Partial<NotifyDeps> = {}) {
  return createNotifySlack({
    store,
    slack: createSlackPoster(slack.url, { timeoutMs: 2_000 }),
    clock,
    log: createLogger("notify-slack", { level: "silent" }),
    ...overrides,
  });
}

function marker(key: string): NotificationMarker | undefined {
  const text = store.text(key);
  return text === undefined ? undefined : (JSON.parse(text) as NotificationMarker);
}

describe("notify-slack: lead message", () => {
  it("posts the message once and records a sent marker", async () => {
    const result = await notifier()(leadInput);

    expect(result).toEqual({
      status: "sent",
      notifiedAt: new Date(NOW).toISOString(),
      markerKey: notifiedKey(LEAD_ID),
    });
    expect(slack.messages).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0])).toContain("Priya Raman");
    expect(slack.requests[0]?.headers["content-type"]).toMatch(/^application\/json/);
    expect(marker(notifiedKey(LEAD_ID))).toMatchObject({ status: "sent", message: slack.messages[0] });
  });

  it("a second invocation after success does not post again", async () => {
    const notify = notifier();
    await notify(leadInput);
    const again = await notify(leadInput);

    expect(again).toEqual({
      status: "already-sent",
      notifiedAt: new Date(NOW).toISOString(),
      markerKey: notifiedKey(LEAD_ID),
    });
    expect(slack.requests).toHaveLength(1);
    expect(slack.messages).toHaveLength(1);
  });

  it("429: SlackRateLimited with Retry-After, marker removed so the retry can post", async () => {
    slack.script = [429];
    slack.retryAfterSeconds = 7;
    const notify = notifier();

    await expect(notify(leadInput)).rejects.toMatchObject({ name: "SlackRateLimited", retryAfterSeconds: 7 });
    expect(marker(notifiedKey(LEAD_ID))).toBeUndefined();
    expect(slack.messages).toHaveLength(0);

    await expect(notify(leadInput)).resolves.toMatchObject({ status: "sent" });
    expect(slack.requests).toHaveLength(2);
    expect(slack.messages).toHaveLength(1);
  });

  it.each([500, 503])("%i: SlackUnavailable, marker removed", async (status) => {
    slack.script = [status];
    await expect(notifier()(leadInput)).rejects.toMatchObject({
      name: "SlackUnavailable",
      message: expect.stringContaining(String(status)),
    });
    expect(marker(notifiedKey(LEAD_ID))).toBeUndefined();
  });

  it("Slack unreachable: SlackUnavailable", async () => {
    const offline = notifier({ slack: createSlackPoster(await unusedUrl(), { timeoutMs: 2_000 }) });
    await expect(offline(leadInput)).rejects.toMatchObject({ name: "SlackUnavailable" });
    expect(marker(notifiedKey(LEAD_ID))).toBeUndefined();
  });

  it.each([400, 403, 404, 410])("%i: SlackRejected with the status and Slack's answer", async (status) => {
    slack.script = [status];
    const error = await notifier()(leadInput).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "SlackRejected", status });
    expect((error as Error).message).toContain(String(status));
    if (status === 410) expect(error).toMatchObject({ body: "no_service" });
    expect(slack.messages).toHaveLength(0);
  });

  it("a 'sending' marker left by a cut-off attempt: no second post, and NotificationUncertain, not a silent success", async () => {
    const since = "2026-11-20T14:07:00.000Z";
    const dangling: NotificationMarker = { status: "sending", at: since, message: { text: "x", blocks: [] } };
    await store.put(notifiedKey(LEAD_ID), JSON.stringify(dangling));

    await expect(notifier()(leadInput)).rejects.toMatchObject({
      name: "NotificationUncertain",
      since,
      markerKey: notifiedKey(LEAD_ID),
    });
    expect(slack.requests).toHaveLength(0);
    expect(marker(notifiedKey(LEAD_ID))).toEqual(dangling);
  });

  it("storage down before posting: StorageUnavailable and nothing posted", async () => {
    store.failing = new Set(["putIfAbsent"]);
    await expect(notifier()(leadInput)).rejects.toMatchObject({ name: "StorageUnavailable" });
    expect(slack.requests).toHaveLength(0);
  });
});

describe("notify-slack: unassigned notice", () => {
  it("posts how long the lead has waited, under its own marker", async () => {
    const result = await notifier()(unassignedInput);

    expect(result).toMatchObject({ status: "sent", markerKey: unassignedNoticeKey(LEAD_ID) });
    expect(slack.messages).toHaveLength(1);
    expect(slack.messages[0]?.text).toBe(
      `Lead Harbor &amp; Pine Logistics (${LEAD_ID}) still has no owner after 190 minutes`,
    );
    expect(marker(unassignedNoticeKey(LEAD_ID))?.status).toBe("sent");
    expect(marker(notifiedKey(LEAD_ID))).toBeUndefined();
    // A retried report does not post twice either.
    await expect(notifier()(unassignedInput)).resolves.toMatchObject({ status: "already-sent" });
    expect(slack.requests).toHaveLength(1);
  });

  it("is disabled by notifyUnassigned=false", async () => {
    const result = await notifier({ notifyUnassigned: false })(unassignedInput);
    expect(result).toEqual({ status: "disabled" });
    expect(slack.requests).toHaveLength(0);
    expect(store.keys()).toEqual([]);
  });

  it("notifyUnassigned=false does not silence the lead message", async () => {
    await expect(notifier({ notifyUnassigned: false })(leadInput)).resolves.toMatchObject({ status: "sent" });
    expect(slack.messages).toHaveLength(1);
  });

  it("refuses an unknown kind", async () => {
    await expect(notifier()({ ...leadInput, kind: "other" })).rejects.toThrow();
    expect(slack.requests).toHaveLength(0);
  });
});

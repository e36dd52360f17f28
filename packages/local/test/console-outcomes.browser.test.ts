import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole } from "@leadrelay/console";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHubSpotSetup } from "../../flows/linkedin-replies/src/hubspot-setup";
import { sendDealEvents, sendDemoEvents } from "../src/demo-events";
import { type Runtime, startRuntime } from "../src/runtime";
import { openBrowser, RESULTS_DIR } from "./console-helpers";

/**
 * What a sales-ops person sees of every flow, in Chromium, asserted on the VISIBLE text: one row per
 * business key with each flow's outcome, and a page per key that starts with what happened, what
 * needs a human and what was sent. One event of every flow (the demo's), Twilio refusing the urgent
 * lead's SMS; a second runtime whose Meta token is missing. Screenshots and page heights go to
 * test-results/.
 */

const URGENT = "lead_3UrgNt7Bq2Xw9Kd4Lm1Zs8Vc5Hp0Fy6Gj3Ta2Re7Q";
const HARBOR = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";
const DEAL = "deal-D-100234";
const META = "meta-12345678901234567";
const LGM = "lgm-65f1a2b3c4d5e6f708192a01-66a0b1c2d3e4f50617283901";
/** What must never be visible: a value the page failed to fill, or an entity shown as text. */
const LEAKS = /\bnull\b|\bundefined\b|\bNaN\b|&amp;|&lt;|&gt;|&quot;|&#/;

const heights: Record<string, number> = {};

async function shot(page: Page, name: string) {
  heights[name] = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: join(RESULTS_DIR, `outcomes-${name}.png`), fullPage: true });
}

/** What a person sees of an element: rendered text (hidden parts left out), not the DOM's text. */
function seen(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the visible text is what these tests assert
  return locator.innerText();
}

/**
 * The page's visible text once it has loaded its data: every text node whose element is rendered
 * (a closed "Input and output" holds raw JSON one click away, and is not on the screen).
 */
async function visibleText(page: Page, ready: string): Promise<string> {
  await page.waitForSelector(ready);
  return page.evaluate(() => {
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parts: string[] = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (element?.checkVisibility({ contentVisibilityAuto: true, visibilityProperty: true }))
        parts.push(node.textContent ?? "");
    }
    return parts.join("");
  });
}

/** Where a leak shows, with what surrounds it ("" when there is none). */
function leakIn(text: string): string {
  const match = LEAKS.exec(text);
  return match ? text.slice(Math.max(0, match.index - 80), match.index + 40) : "";
}

async function start(dataDirs: string[], env: Record<string, string> = {}, flows?: string) {
  const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-outcomes-"));
  dataDirs.push(dataDir);
  return startRuntime({
    port: 0,
    dataDir,
    waitSeconds: 0,
    retryIntervalMs: 20,
    secretHex: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
    env: { ...(flows ? { LEADRELAY_FLOWS: flows } : {}), ...env },
    console: (deps) => createConsole({ ...deps, pollSeconds: 1 }),
    print: () => {},
  });
}

async function settleAll(runtime: Runtime, sent: Awaited<ReturnType<typeof sendDemoEvents>>) {
  for (const event of sent)
    for (const flow of event.flowIds)
      for (const name of event.names) await runtime.engines[flow]?.settled(name).catch(() => undefined);
}

describe("console for sales ops, every flow, in a real browser", () => {
  let runtime: Runtime;
  let skippedRuntime: Runtime;
  let browser: BrowserContext;
  let page: Page;
  const temporary: string[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    ({ browser, page } = await openBrowser(temporary));
    runtime = await start(temporary);
    await runHubSpotSetup({}, runtime.url);
    // Twilio refuses the urgent lead's SMS (400: not retried); Slack takes the urgent post.
    const scripted = await fetch(`${runtime.url}/_local/twilio/_fail`, {
      method: "POST",
      body: JSON.stringify({ status: 400, body: { code: 21211, message: "Invalid 'To' Phone Number" } }),
    });
    expect(scripted.status).toBe(201);
    await settleAll(runtime, await sendDemoEvents(runtime));

    // A Graph base URL and pixel without the token: the deal's Conversions API events are skipped.
    skippedRuntime = await start(
      temporary,
      { META_GRAPH_BASE_URL: "http://127.0.0.1:9/graph", META_PIXEL_ID: "1234567890" },
      "deal-stage",
    );
    await settleAll(skippedRuntime, await sendDealEvents(skippedRuntime));
  }, 90_000);

  afterAll(async () => {
    writeFileSync(join(RESULTS_DIR, "outcomes-page-heights.json"), `${JSON.stringify(heights, null, 2)}\n`);
    await browser?.close();
    await runtime?.stop();
    await skippedRuntime?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("lists one row per key, each flow's status and outcome side by side, and filters skipped", async () => {
    await page.goto(`${runtime.url}/console`);
    const harbor = page.locator(`tr[data-key="${HARBOR}"]`);
    await expect.poll(() => seen(harbor), { timeout: 15_000 }).toContain("TIRE_KICKER → email");
    const harborText = await seen(harbor);
    expect(harborText).toContain("Harbor & Pine Logistics");
    expect(harborText).toMatch(/announce\s+✓ Notified\s+posted · Priya Raman · Inbound Demo/);
    const urgent = await seen(page.locator(`tr[data-key="${URGENT}"]`));
    expect(urgent).toMatch(/triage\s+✗ Failed\s+TriageActionFailed\s+URGENT_BUYER → Slack · SMS failed/);
    const deal = await seen(page.locator(`tr[data-key="${DEAL}"]`));
    expect(deal).toContain("Valéry O'Connor-Smith — Harbor Lane townhouse");
    expect(deal).toContain("Qualified → Lead reported to Meta");
    expect(deal).toContain("Committed → Purchase reported to Meta + property emailed");
    expect(await seen(page.locator(`tr[data-key="${META}"]`))).toContain("Ada Member");
    expect(await seen(page.locator(`tr[data-key="${LGM}"]`))).toMatch(/Élodie Marchand — Q4 Founders FR/);
    // One row per key: the demo's 6 leads, 1 deal, 1 Meta lead, 1 reply.
    expect(await page.locator("#rows tr").count()).toBe(9);
    const text = await visibleText(page, "#rows tr");
    expect(leakIn(text)).toBe("");
    await shot(page, "list");

    // The support lead has no email: its ticket was skipped, so triage shows "Succeeded · 1 skipped".
    await page.selectOption("#status", "skipped");
    await expect.poll(() => page.locator("#rows tr").count()).toBe(1);
    expect(await seen(page.locator("#rows tr"))).toMatch(/⚠ Succeeded · 1 skipped/);
  }, 60_000);

  it("a triage lead with Twilio refusing: the SMS failed, the urgent Slack post was done and is shown", async () => {
    await page.goto(`${runtime.url}/console/lead/${URGENT}`);
    const text = await visibleText(page, "#story");
    expect(await seen(page.locator("#title"))).toBe("Marta Ruiz — Ruiz Freight");
    expect(text).toMatch(/✗ Text the on-call rep: failed — ServiceRejected/);
    expect(text).toMatch(/✓ Post the urgent lead in Slack: done/);
    expect(text).toContain("URGENT_BUYER → Slack · SMS failed");
    // The history says the same, each Task in its own branch: TextOnCall failed, PostUrgentSlack done.
    const triageCard = page.locator(`article.execution[data-flow="triage"][data-execution="${URGENT}"]`);
    expect(await triageCard.locator('li.step[data-state="TextOnCall"]').getAttribute("class")).toContain(
      "step-failed",
    );
    expect(await triageCard.locator('li.step[data-state="PostUrgentSlack"]').getAttribute("class")).toContain(
      "step-done",
    );
    // Needs a human: the SMS, with Twilio's reason.
    expect(await seen(page.locator("#needs"))).toContain("Text the on-call rep failed");
    // Every Slack message the lead caused: announce's and the urgent post.
    const slack = await seen(page.locator("#slack"));
    expect(slack).toContain("Urgent buyer");
    expect(slack).toContain("New lead");
    // The urgent card as Slack draws it: the message a quote (no literal ">"), the company said once.
    const urgentCard = page.locator("#slack figure.slack-message", { hasText: "Urgent buyer" });
    const card = await seen(urgentCard);
    expect(card).not.toMatch(/^\s*>/m);
    expect(await urgentCard.locator("blockquote.slack-quote").count()).toBe(1);
    // The demo lead has no contact name: Close's lead name is the person and company both, said once.
    expect(card.split("Marta Ruiz — Ruiz Freight")).toHaveLength(2);
    expect(card).toMatch(/Company\s+—/);
    expect(leakIn(text)).toBe("");
    await shot(page, "lead-urgent");
  }, 30_000);

  it("a deal's page holds its Qualified and Committed executions, both Committed branches done", async () => {
    await page.goto(`${runtime.url}/console/key/${DEAL}`);
    const text = await visibleText(page, "#story");
    expect(await seen(page.locator("#title"))).toBe("Valéry O'Connor-Smith — Harbor Lane townhouse");
    expect(await page.locator("article.execution").count()).toBe(2);
    expect(text).toContain(`${DEAL}-qualified`);
    expect(text).toContain(`${DEAL}-committed`);
    expect(text).toMatch(/✓ Report a Lead to Meta: done/);
    expect(text).toMatch(/✓ Report a Purchase to Meta: done/);
    expect(text).toMatch(/✓ Email the buyer the property: done/);
    // Both Committed branches succeeded, each Task with its own result in the timeline.
    const committed = page.locator(`article.execution[data-execution="${DEAL}-committed"]`);
    for (const state of ["SendPurchase", "SendPropertyEmail"])
      expect(await committed.locator(`li.step[data-state="${state}"]`).getAttribute("class")).toContain(
        "step-done",
      );
    expect(leakIn(text)).toBe("");
    await shot(page, "deal");
    // Opened from one stage's name, the page is the deal's.
    await page.goto(`${runtime.url}/console/key/${DEAL}-qualified`);
    await visibleText(page, "#story");
    expect(await page.locator("article.execution").count()).toBe(2);
  }, 30_000);

  it("a deal whose Meta token is missing: Succeeded · 1 skipped, naming META_ACCESS_TOKEN", async () => {
    await page.goto(`${skippedRuntime.url}/console/key/${DEAL}`);
    const text = await visibleText(page, "#story");
    expect(text).toMatch(/Succeeded · 1 skipped/);
    expect(text).toMatch(/⚠ Report a Lead to Meta: skipped — META_ACCESS_TOKEN is not set/);
    expect(text).toMatch(/⚠ Report a Purchase to Meta: skipped — META_ACCESS_TOKEN is not set/);
    expect(text).toMatch(/✓ Email the buyer the property: done/);
    expect(await seen(page.locator("#needs"))).toContain("META_ACCESS_TOKEN");
    expect(leakIn(text)).toBe("");
    await shot(page, "deal-skipped");
  }, 30_000);

  it("a Meta lead's and a LinkedIn reply's pages: the person, the outcome, nothing unfilled", async () => {
    await page.goto(`${runtime.url}/console/key/${META}`);
    let text = await visibleText(page, "#story");
    expect(await seen(page.locator("#title"))).toBe("Ada Member");
    expect(text).toContain("already subscribed → published as meta-lead.already_subscribed");
    expect(leakIn(text)).toBe("");
    await shot(page, "meta");

    await page.goto(`${runtime.url}/console/key/${LGM}`);
    text = await visibleText(page, "#story");
    expect(await seen(page.locator("#title"))).toBe("Élodie Marchand — Q4 Founders FR");
    expect(text).toMatch(/HubSpot contact \S+ · deal \S+ · note added/);
    expect(leakIn(text)).toBe("");
    await shot(page, "reply");

    await page.goto(`${runtime.url}/console/lead/${HARBOR}`);
    text = await visibleText(page, "#story");
    expect(text).toContain("Harbor & Pine Logistics");
    expect(leakIn(text)).toBe("");
    await shot(page, "lead");

    await page.goto(`${runtime.url}/console/rejected`);
    await page.waitForSelector("#rejected[aria-busy='false']");
    expect(leakIn(await visibleText(page, "#rejected"))).toBe("");
    await shot(page, "rejected");
  }, 30_000);
});

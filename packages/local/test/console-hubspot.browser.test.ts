import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole } from "@leadrelay/console";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendHubSpotEvents } from "../src/demo-events";
import { type Runtime, startRuntime } from "../src/runtime";
import { openBrowser, RESULTS_DIR } from "./console-helpers";

/**
 * A HubSpot team's triage in the console, in Chromium, asserted on the VISIBLE text: the demo's
 * three HubSpot contacts (TRIAGE_SOURCES=close,hubspot, no keys), each row and each contact's page
 * with the contact's name, its label and every action done, skipped (Slack is left out of
 * TRIAGE_ACTIONS) or failed (Zendesk refuses the ticket). Screenshots go to test-results/.
 */

const LEAKS = /\bnull\b|\bundefined\b|\bNaN\b|&amp;|&lt;|&gt;|&quot;|&#/;

function seen(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the visible text is what these tests assert
  return locator.innerText();
}

describe("console for a HubSpot team's triage, in a real browser", () => {
  let runtime: Runtime;
  let browser: BrowserContext;
  let page: Page;
  let names: string[] = [];
  const temporary: string[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    ({ browser, page } = await openBrowser(temporary));
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-console-hubspot-"));
    temporary.push(dataDir);
    runtime = await startRuntime({
      port: 0,
      dataDir,
      waitSeconds: 0,
      retryIntervalMs: 20,
      secretHex: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
      env: {
        LEADRELAY_FLOWS: "triage",
        TRIAGE_SOURCES: "close,hubspot",
        TRIAGE_ACTIONS: "sms,email,ticket,crm",
      },
      console: (deps) => createConsole({ ...deps, pollSeconds: 1 }),
      print: () => {},
    });
    // Zendesk refuses the support contact's ticket (422: not retried).
    const scripted = await fetch(`${runtime.url}/_local/zendesk/_fail`, {
      method: "POST",
      body: JSON.stringify({
        status: 422,
        body: { error: "RecordInvalid", description: "Record validation errors" },
      }),
    });
    expect(scripted.status).toBe(201);
    const [sent] = await sendHubSpotEvents(runtime);
    expect(sent?.status).toBe(202);
    names = sent?.names ?? [];
    expect(names).toHaveLength(3);
    for (const name of names) await runtime.engines.triage?.settled(name);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("lists each contact by name with its label and what was done", async () => {
    const [urgent, kicker, support] = names;
    await page.goto(`${runtime.url}/console`);
    const row = page.locator(`tr[data-key="${urgent}"]`);
    await expect.poll(() => seen(row), { timeout: 15_000 }).toContain("URGENT_BUYER → SMS");
    expect(await seen(row)).toContain("Una Okafor — Northwind Logistics");
    expect(await seen(row)).toContain("HubSpot contact");
    expect(await seen(page.locator(`tr[data-key="${kicker}"]`))).toMatch(
      /Kim Larsen — Fjord Studio[\s\S]*TIRE_KICKER → email/,
    );
    expect(await seen(page.locator(`tr[data-key="${support}"]`))).toMatch(
      /Sam Ortiz — Harbor Dental[\s\S]*SUPPORT_REQUEST → nothing · ticket failed/,
    );
    expect(LEAKS.exec(await seen(page.locator("#rows")))).toBeNull();
    await page.screenshot({ path: join(RESULTS_DIR, "hubspot-list.png"), fullPage: true });
  }, 30_000);

  it("a contact's page: its name, its label, each action done or skipped, recorded in HubSpot", async () => {
    const [urgent] = names;
    await page.goto(`${runtime.url}/console/key/${urgent}`);
    await page.waitForSelector("#story");
    await expect
      .poll(() => seen(page.locator("#title")), { timeout: 15_000 })
      .toBe("Una Okafor — Northwind Logistics");
    const text = await seen(page.locator("main"));
    expect(text).toContain("URGENT_BUYER → SMS");
    expect(text).toMatch(/✓ Read the contact from HubSpot: done/);
    expect(text).toMatch(/✓ Text the on-call rep: done/);
    expect(text).toMatch(/Post the urgent lead in Slack: skipped — slack is not in TRIAGE_ACTIONS/);
    expect(text).toMatch(/✓ Record the outcome in HubSpot: done/);
    expect(text).not.toMatch(/from Close|in Close/);
    // The history: the branch to HubSpot's Tasks, each done.
    const card = page.locator(`article.execution[data-flow="triage"][data-execution="${urgent}"]`);
    for (const state of ["ByCrm", "FetchHubSpotContact", "TextOnCall", "RecordInHubSpot"])
      expect(await card.locator(`li.step[data-state="${state}"]`).getAttribute("class")).toContain(
        "step-done",
      );
    expect(LEAKS.exec(text)).toBeNull();
    await page.screenshot({ path: join(RESULTS_DIR, "hubspot-contact-urgent.png"), fullPage: true });
  }, 30_000);

  it("a contact whose ticket failed: the failure, with Zendesk's error, needs a human", async () => {
    const support = names[2];
    await page.goto(`${runtime.url}/console/key/${support}`);
    await page.waitForSelector("#story");
    await expect
      .poll(() => seen(page.locator("#title")), { timeout: 15_000 })
      .toBe("Sam Ortiz — Harbor Dental");
    const text = await seen(page.locator("main"));
    expect(text).toContain("SUPPORT_REQUEST");
    expect(text).toMatch(/✗ Open a support ticket: failed — ServiceRejected/);
    expect(text).toMatch(/✓ Record the outcome in HubSpot: done/);
    expect(await seen(page.locator("#needs"))).toContain("Open a support ticket failed");
    await page.screenshot({ path: join(RESULTS_DIR, "hubspot-contact-support.png"), fullPage: true });
  }, 30_000);
});

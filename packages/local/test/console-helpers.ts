import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import type { Runtime } from "../src/runtime";
import { closeHeaders } from "../src/sample-request";

/** Debian's package (installed by `apt-get install chromium`), never a browser downloaded by Playwright. */
export const CHROMIUM = "/usr/bin/chromium";
export const FIXTURES = new URL("../demo/close/", import.meta.url).pathname;
export const DEMO_OWNERS = new URL("../demo/owners/", import.meta.url).pathname;
/** Repository root: screenshots go to `test-results/` there (git-ignored). */
export const REPO_ROOT = new URL("../../../", import.meta.url).pathname;
export const RESULTS_DIR = join(REPO_ROOT, "test-results");

export const DEMO_LEADS = {
  harbor: { id: "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q", file: "lead-created.json" },
  acme: { id: "lead_6Fz1Yq8Xm3Kb5Wn2Tr9Lc4Hp7Jd0Gs6Ea3Ui8Ko5Nw1", file: "lead-created-no-contact.json" },
  nordlicht: {
    id: "lead_2PqW7xN4kZ9bT1mR6vL3sY8cH0dF5gJ2eA7uI4oK1nQ",
    file: "lead-created-data-id-only.json",
  },
} as const;

/**
 * A headless Chromium on a fresh profile that talks to nothing but the pages it is sent to.
 * Fails (does not skip) when the browser is missing: CI must install it.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the console browser tests use Debian's chromium package. Install it with \`apt-get install -y chromium\` (.ci/run does).`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), "leadrelay-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return { context, profile };
}

/** A browser for a suite: its profile goes into `temporary` (removed after the suite), and its first page. */
export async function openBrowser(temporary: string[]): Promise<{ browser: BrowserContext; page: Page }> {
  const launched = await launchChromium();
  temporary.push(launched.profile);
  const browser = launched.context;
  return { browser, page: browser.pages()[0] ?? (await browser.newPage()) };
}

/** A demo webhook, compacted; with another lead id (and name) when asked, so each scenario has its own lead. */
export function fixtureBody(file: string, lead?: { from: string; to: string; name?: string }): string {
  let text = readFileSync(join(FIXTURES, file), "utf8");
  if (lead) text = text.replaceAll(lead.from, lead.to);
  const json = JSON.parse(text) as { event: { data: Record<string, unknown> } };
  if (lead?.name !== undefined) {
    json.event.data.display_name = lead.name;
    json.event.data.name = lead.name;
  }
  return JSON.stringify(json);
}

/** Posts a body signed as Close signs it; resolves to the ingest answer. */
export async function postSigned(
  runtime: Runtime,
  body: string,
): Promise<{ status: number; leadId?: string }> {
  const response = await fetch(runtime.webhookUrl, {
    method: "POST",
    headers: closeHeaders(runtime.secretHex, body),
    body,
  });
  const answer = (await response.json()) as { leadId?: string };
  return { status: response.status, leadId: answer.leadId };
}

/** An owner file as the owner bucket would hold it. */
export function ownerFile(leadId: string, name: string, owner: string, funnel: string): string {
  return JSON.stringify({
    lead_id: leadId,
    display_name: name,
    lead_email: null,
    lead_owner: owner,
    funnel,
    status_label: "Potential",
    date_created: "2026-11-20T14:03:11.198000+00:00",
  });
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

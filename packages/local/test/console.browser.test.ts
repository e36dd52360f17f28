import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createConsole } from "@leadrelay/console";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Runtime, startRuntime } from "../src/runtime";
import {
  DEMO_LEADS,
  DEMO_OWNERS,
  fixtureBody,
  openBrowser,
  ownerFile,
  postSigned,
  RESULTS_DIR,
} from "./console-helpers";
import { historyOf } from "./harness";

/** Its owner file appears only after FetchOwner failed this many times. */
const LATE_FAILURES = 3;
const LATE = { id: "lead_LateOwner7Qx2Vb9Nc4Kp1Zs8Tm3Wd6Yh0Jf5", name: "Late <b>Owner</b> & Co" };
/** Never gets an owner file before the execution fails; gets one before the redrive. */
const ORPHAN = { id: "lead_NoOwner3Rt8Kd1Wm5Zq9Lx2Vc7Bn4Hs6Gy0Pe", name: "Nobody Owns Me Inc" };
const HOLD_SECONDS = 6;
/** The one date format of the console: "20 Nov 2026, 14:03:05 UTC". */
const UTC_DATE = /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}(:\d{2})? UTC$/;

/** A key's row of the list, its announce part, and one execution's card on a key's page. */
const keyRow = (id: string) => `tr[data-key="${id}"]`;
const announceRow = (id: string) => `${keyRow(id)} .flow-result[data-flow="announce"]`;
const card = (flow: string, name: string) =>
  `article.execution[data-flow="${flow}"][data-execution="${name}"]`;

describe("console in a real browser", () => {
  let runtime: Runtime;
  let browser: BrowserContext;
  let page: Page;
  const temporary: string[] = [];
  let ownersDir: string;
  /** The flows a Close lead starts (announce, and triage once it is in the registry). */
  let closeFlows: string[];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-console-"));
    ownersDir = mkdtempSync(join(tmpdir(), "leadrelay-owners-"));
    temporary.push(dataDir, ownersDir);
    for (const file of readdirSync(DEMO_OWNERS)) copyFileSync(join(DEMO_OWNERS, file), join(ownersDir, file));
    mkdirSync(RESULTS_DIR, { recursive: true });

    ({ browser, page } = await openBrowser(temporary));
    page.on("pageerror", (error) => process.stdout.write(`PAGEERROR ${error.message}\n`));

    runtime = await startRuntime({
      port: 0,
      dataDir,
      // Long enough to see the countdown while every Close flow starts its first executions at once.
      waitSeconds: HOLD_SECONDS,
      retryIntervalMs: 50,
      secretHex: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
      ownersDir,
      console: (deps) => createConsole({ ...deps, pollSeconds: 1 }),
      print: () => {},
    });
    closeFlows = runtime.flows.filter((flow) => flow.source === "close").map((flow) => flow.id);
    // The late owner: assigned in Close (its owner file appears) only after a few lookups failed.
    let lateFailures = 0;
    runtime.engine.onEvent((record, event) => {
      if (
        record.name === LATE.id &&
        event.type === "LambdaFunctionFailed" &&
        ++lateFailures === LATE_FAILURES
      ) {
        writeFileSync(
          join(ownersDir, `${LATE.id}.json`),
          ownerFile(LATE.id, LATE.name, "Grace Hopper", "Conference"),
        );
      }
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("lists every flow's executions newest first, waiting ones counting down, then notified with owner and funnel", async () => {
    for (const lead of Object.values(DEMO_LEADS)) {
      expect((await postSigned(runtime, fixtureBody(lead.file))).status).toBe(202);
    }
    const harbor = DEMO_LEADS.harbor;
    for (const lead of [LATE, ORPHAN]) {
      const body = fixtureBody(harbor.file, { from: harbor.id, to: lead.id, name: lead.name });
      expect((await postSigned(runtime, body)).status).toBe(202);
    }

    await page.goto(`${runtime.url}/console`);
    const rows = page.locator("#rows tr");
    // One row per lead, each flow a Close lead starts side by side in it.
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(5);
    await expect
      .poll(() => page.locator(`${keyRow(ORPHAN.id)} .flow-result`).count())
      .toBe(closeFlows.length);
    // Newest first: the orphan was posted last.
    expect(await rows.first().getAttribute("data-key")).toBe(ORPHAN.id);
    expect(await page.locator(`${announceRow(ORPHAN.id)} .flow-tag`).textContent()).toBe("announce");
    // Held for the owner: a live countdown.
    const waiting = page.locator(announceRow(DEMO_LEADS.harbor.id));
    await expect.poll(() => waiting.textContent(), { timeout: 5_000 }).toMatch(/Waiting\s*0:0[1-6] left/);
    const before = await waiting.textContent();
    // It ticks every second; a loaded CI box may hold the page's timers a few seconds.
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).not.toBe(before);

    // The page refreshes itself: no reload from here on.
    for (const [key, owner, funnel] of [
      ["harbor", "Priya Raman", "Inbound Demo"],
      ["acme", "Priya Raman", "Paid Search"],
      ["nordlicht", "Diego Alvarez", "Partner Referral"],
    ] as const) {
      const row = page.locator(announceRow(DEMO_LEADS[key].id));
      await expect.poll(() => row.getAttribute("data-status"), { timeout: 15_000 }).toBe("notified");
      // announce's outcome: posted, with the owner and funnel it was announced with.
      await expect.poll(() => row.locator(".outcome").textContent()).toBe(`posted · ${owner} · ${funnel}`);
      expect(await row.textContent()).toContain("Notified");
    }
    await expect
      .poll(() => page.locator(announceRow(ORPHAN.id)).getAttribute("data-status"), { timeout: 15_000 })
      .toBe("failed");
    await expect
      .poll(() => page.locator(announceRow(LATE.id)).getAttribute("data-status"), { timeout: 15_000 })
      .toBe("notified");
    // Untrusted names are text, never markup.
    const lateLink = page.locator(`${keyRow(LATE.id)} td.lead a`);
    expect(await lateLink.textContent()).toBe(LATE.name);
    expect(await page.locator("#rows b").count()).toBe(0);
    expect(await page.locator(announceRow(ORPHAN.id)).textContent()).toContain("OwnerNeverAssigned");
    // One date format: the start time's title is the full UTC date.
    expect(
      await page
        .locator(`${keyRow(ORPHAN.id)} time`)
        .last()
        .getAttribute("title"),
    ).toMatch(UTC_DATE);
    await page.screenshot({ path: join(RESULTS_DIR, "console-list.png"), fullPage: true });

    // Filter by flow (kept in the address), then by status, search by name, look up by id.
    await page.selectOption("#flow", "announce");
    await expect.poll(() => page.locator("#rows .flow-result").count()).toBe(5);
    expect(
      await page
        .locator("#rows .flow-result")
        .evaluateAll((all) => all.map((item) => item.getAttribute("data-flow"))),
    ).toEqual(Array(5).fill("announce"));
    expect(new URL(page.url()).searchParams.get("flow")).toBe("announce");
    await page.selectOption("#status", "failed");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-key")).toBe(ORPHAN.id);
    await page.selectOption("#status", "");
    await page.selectOption("#flow", "");
    await page.fill("#q", "nordlicht");
    await page.press("#q", "Enter");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute("data-key")).toBe(DEMO_LEADS.nordlicht.id);
    expect(await rows.first().locator(".flow-result").count()).toBe(closeFlows.length);
    await page.fill("#q", DEMO_LEADS.acme.id);
    await page.press("#q", "Enter");
    await expect.poll(() => page.locator("#search-note").textContent()).toContain("Found by lead id");
    await expect.poll(() => rows.count()).toBe(1);

    // Into a lead: the Slack message as sent, drawn like Slack (entities decoded, link to Close).
    await page.click(`${keyRow(DEMO_LEADS.acme.id)} td.lead a`);
    await page.waitForURL((url) => url.pathname === `/console/lead/${DEMO_LEADS.acme.id}`);
    await expect.poll(() => page.locator("#title").textContent()).toBe("acme.example");
    await page.goto(`${runtime.url}/console/lead/${harbor.id}`);
    const slackLink = page.locator("#slack .slack-field a").first();
    await expect.poll(() => slackLink.textContent()).toBe("Harbor & Pine Logistics");
    expect(await slackLink.getAttribute("href")).toBe(`https://app.close.com/lead/${harbor.id}/`);
    expect(await page.locator("#slack .slack-header").first().textContent()).toBe("New lead");
  }, 60_000);

  it("shows the FetchOwner retries of a late owner, each with its error and the wait before it", async () => {
    await runtime.engine.settled(LATE.id);
    await page.goto(`${runtime.url}/console/lead/${LATE.id}`);
    await expect.poll(() => page.locator("#lead").getAttribute("data-status")).toBe("notified");
    expect(await page.locator("#title").textContent()).toBe(LATE.name);
    const fetchOwner = page.locator(`${card("announce", LATE.id)} li.step[data-state="FetchOwner"]`);
    const attempts = fetchOwner.locator("table.attempts tbody tr");
    expect(await attempts.count()).toBe(LATE_FAILURES + 1);
    for (let index = 0; index < LATE_FAILURES; index++) {
      const cells = await attempts.nth(index).locator("td").allTextContents();
      expect(cells[2]).toBe("failed");
      expect(cells[3]).toBe("OwnerNotAssigned");
      if (index > 0) expect(cells[1]).toMatch(/\d+ ms|\d+\.\d s/);
    }
    const last = await attempts.nth(LATE_FAILURES).locator("td").allTextContents();
    expect(last[2]).toBe("succeeded");
    expect(last[1]).toMatch(/\d+ ms|\d+\.\d s/);
    expect(await fetchOwner.locator("table.attempts caption").textContent()).toBe(
      `${LATE_FAILURES + 1} attempts, ${LATE_FAILURES} failed`,
    );
    // The history says the same.
    const failures = (await historyOf(runtime, LATE.id)).filter(
      (event) => event.type === "LambdaFunctionFailed",
    );
    expect(failures).toHaveLength(LATE_FAILURES);
    expect(await page.locator("dl.facts").textContent()).toContain("Grace Hopper");
    // Every time on the page in the one format.
    for (const text of await page.locator(`${card("announce", LATE.id)} li.step time`).allTextContents()) {
      expect(text).toMatch(UTC_DATE);
    }
    await page.screenshot({ path: join(RESULTS_DIR, "console-lead.png"), fullPage: true });
  }, 30_000);

  it("shows a failed lead's named error, and its redrive through to Slack", async () => {
    await runtime.engine.settled(ORPHAN.id);
    await page.goto(`${runtime.url}/console/lead/${ORPHAN.id}`);
    await expect.poll(() => page.locator("#lead").getAttribute("data-status")).toBe("failed");
    expect(await page.locator("#status").textContent()).toContain("OwnerNeverAssigned");
    expect(await page.locator("#explanation").textContent()).toContain("No owner file appeared");
    const orphan = card("announce", ORPHAN.id);
    const fetchOwner = page.locator(`${orphan} li.step[data-state="FetchOwner"]`);
    // MaxAttempts 12: the first try and 12 retries, all OwnerNotAssigned.
    expect(await fetchOwner.locator("table.attempts caption").textContent()).toBe("13 attempts, 13 failed");
    expect(
      await page.locator(`${orphan} li.step[data-state="OwnerNeverAssigned"] .error-name`).textContent(),
    ).toBe("OwnerNeverAssigned");
    // The "still no owner" notice went out instead of the lead message.
    expect(await page.locator("#slack").textContent()).toContain("still has no owner");
    await page.screenshot({ path: join(RESULTS_DIR, "console-lead-failed.png"), fullPage: true });

    writeFileSync(
      join(ownersDir, `${ORPHAN.id}.json`),
      ownerFile(ORPHAN.id, ORPHAN.name, "Ada Lovelace", "Outbound"),
    );
    await page.click(`${orphan} button[data-action="redrive"]`);
    await expect
      .poll(() => page.locator("#lead").getAttribute("data-status"), { timeout: 15_000 })
      .toBe("notified");
    expect(await page.locator(`${orphan} ol.timeline li.redrive`).count()).toBe(1);
    expect(await page.locator("dl.facts").textContent()).toContain("Ada Lovelace");
    expect(await page.locator("#slack .slack-header").first().textContent()).toBe("New lead");
    const events = await historyOf(runtime, ORPHAN.id);
    expect(events.filter((event) => event.type === "ExecutionRedriven")).toHaveLength(1);
    expect(events.at(-1)?.type).toBe("ExecutionSucceeded");
    await page.screenshot({ path: join(RESULTS_DIR, "console-lead-redriven.png"), fullPage: true });
  }, 30_000);

  it("shows a lead's announce and triage executions side by side, and replays one of them", async () => {
    const harbor = DEMO_LEADS.harbor.id;
    await page.goto(`${runtime.url}/console/lead/${harbor}`);
    const announce = page.locator(`#flows .flow-column[data-flow="announce"] ${card("announce", harbor)}`);
    await expect.poll(() => announce.getAttribute("data-status"), { timeout: 10_000 }).toBe("notified");
    // Triage is skipped here only when the registry has no triage flow yet.
    if (!closeFlows.includes("triage")) return;
    const triage = page.locator(`#flows .flow-column[data-flow="triage"] ${card("triage", harbor)}`);
    await expect
      .poll(() => triage.getAttribute("data-status"), { timeout: 15_000 })
      .toMatch(/^(succeeded|failed)$/);
    // Side by side: the two flows' columns start at the same height, triage to the right.
    const [left, right] = [await announce.boundingBox(), await triage.boundingBox()];
    expect(left && right && Math.abs(left.y - right.y) < 2 && right.x > left.x + left.width).toBe(true);
    // What triage's Tasks returned, field by field, and its own timeline.
    // Closed by default (the page starts with what happened), one click away.
    await triage.locator(".results summary").click();
    expect(await triage.locator(".results").getAttribute("open")).not.toBeNull();
    expect(await triage.locator(".results").textContent()).toContain("classifier");
    expect(await triage.locator("ol.timeline li.step").count()).toBeGreaterThan(2);
    await page.screenshot({ path: join(RESULTS_DIR, "console-lead-flows.png"), fullPage: true });

    // Replay triage's execution: a new one with the same input, on the same page beside the first.
    page.once("dialog", (dialog) => void dialog.accept());
    await triage.locator('button[data-action="replay"]').click();
    await page.waitForURL((url) => url.pathname.startsWith(`/console/lead/${harbor}-replay-`));
    const triageCards = page.locator('#flows .flow-column[data-flow="triage"] article.execution');
    await expect.poll(() => triageCards.count(), { timeout: 10_000 }).toBe(2);
    expect(await triageCards.nth(1).locator("h3 .tag").textContent()).toBe(`replay of ${harbor}`);
    expect(await page.locator('#flows .flow-column[data-flow="announce"] article.execution').count()).toBe(1);
    const replayName = new URL(page.url()).pathname.split("/").at(-1) ?? "";
    expect(await triageCards.nth(1).getAttribute("data-execution")).toBe(replayName);
    expect(await triageCards.nth(1).getAttribute("class")).toContain("primary");
  }, 45_000);

  it("shows what every stand-in received, the Slack messages drawn as Slack shows them", async () => {
    await page.goto(`${runtime.url}/console/stand-ins`);
    const slack = page.locator("#stand-in-slack");
    await expect.poll(() => slack.getAttribute("data-count"), { timeout: 10_000 }).not.toBeNull();
    expect(Number(await slack.getAttribute("data-count"))).toBeGreaterThanOrEqual(3);
    // Newest first: the redriven orphan's message was the last one posted.
    const newest = slack.locator("li.received").first();
    expect(await newest.locator(".slack-message .slack-header").first().textContent()).toBe("New lead");
    expect(await newest.locator(".method").textContent()).toBe("POST");
    expect(await newest.locator(".slack-message").textContent()).toContain(ORPHAN.name);
    expect(await newest.locator(".received-head time").textContent()).toMatch(UTC_DATE);
    const owners = page.locator("#stand-in-owners li.received");
    expect(await owners.count()).toBeGreaterThan(0);
    expect(await owners.first().locator(".path").textContent()).toMatch(/^\/lead_[A-Za-z0-9]+\.json$/);
    expect(await page.locator("header nav a[aria-current=page]").textContent()).toBe("Stand-ins");
    await page.screenshot({ path: join(RESULTS_DIR, "console-stand-ins.png"), fullPage: true });
  });

  it("lists rejected deliveries with their time, each body one click away as plain text", async () => {
    const key = "sources/crm/rejected/2026-11-20T14-03-05Z-5f2a.json";
    const body = '{"deal":{"id":"d-1"},"status":"<script>alert(1)</script>"}';
    await runtime.store.put(key, body);
    await page.goto(`${runtime.url}/console/rejected`);
    const row = page.locator(`.rejected-source[data-source="crm"] tr[data-key="${key}"]`);
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.locator("time").textContent()).toMatch(UTC_DATE);
    await page.screenshot({ path: join(RESULTS_DIR, "console-rejected.png"), fullPage: true });
    await row.locator("a.body-link").click();
    await expect.poll(() => page.locator("body").textContent()).toBe(body);
    expect(await page.locator("script").count()).toBe(0);
  });

  it("against AWS: links the execution to the AWS console and shows the Slack message from its marker", async () => {
    // The same SDK calls as `pnpm console --stage X`, here over the local runtime's clients.
    const handler = createConsole({
      sfn: runtime.sfnClient,
      s3: runtime.s3Client,
      store: runtime.store,
      stateMachineArn: runtime.stateMachineArn,
      bucket: runtime.bucket,
      mode: "aws",
      label: "AWS stage test (us-east-1)",
    });
    const server = createServer((req, res) => {
      void handler(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await page.goto(`${base}/console/lead/${LATE.id}`);
      await expect.poll(() => page.locator("#lead").getAttribute("data-status")).toBe("notified");
      expect(await page.locator("header .where").textContent()).toBe("AWS stage test (us-east-1)");
      expect(await page.locator("#aws-console").getAttribute("href")).toBe(
        `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${runtime.engine.arnOf(LATE.id)}`,
      );
      expect(await page.locator("#slack .slack-header").first().textContent()).toBe("New lead");
      expect(await page.locator("#slack").textContent()).not.toContain("local Slack sink");
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("refuses actions without the page's token, from another site, or addressed to another host", async () => {
    const redrive = `${runtime.url}/console/api/leads/${ORPHAN.id}/redrive`;
    expect((await fetch(redrive, { method: "POST" })).status).toBe(403);
    const token = await page.locator('meta[name="console-token"]').getAttribute("content");
    const crossSite = await fetch(redrive, {
      method: "POST",
      headers: {
        "x-console-token": token ?? "",
        origin: "https://evil.example",
        "sec-fetch-site": "cross-site",
      },
    });
    expect(crossSite.status).toBe(403);
    // DNS rebinding: a page of another site reaching 127.0.0.1 still sends its own Host.
    expect(await statusWithHost(`${runtime.url}/console/api/leads`, "evil.example")).toBe(403);
    expect(await statusWithHost(`${runtime.url}/console/api/leads`, new URL(runtime.url).host)).toBe(200);
  });
});

function statusWithHost(url: string, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode);
    })
      .on("error", reject)
      .end();
  });
}

/**
 * What the page shows for 1,000 leads and how fast: 1,000 signed webhooks, all held (the hold is
 * an hour), then the list in Chromium — first page cold and warm, paging through all of them,
 * a name search and the "waiting" filter (both scan). Numbers go to test-results/console-1000-leads.json.
 */
describe("lead console with 1,000 leads", () => {
  const LEADS = 1000;
  let runtime: Runtime;
  let browser: BrowserContext;
  let page: Page;
  const temporary: string[] = [];

  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-console-1000-"));
    temporary.push(dataDir);
    ({ browser, page } = await openBrowser(temporary));
    page.on("pageerror", (error) => process.stdout.write(`PAGEERROR ${error.message}\n`));
    runtime = await startRuntime({
      port: 0,
      dataDir,
      waitSeconds: 3600,
      secretHex: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
      ownersDir: DEMO_OWNERS,
      // The list's paging and scans measured on one flow; every flow's merge is tested in the console's unit tests.
      flows: "announce",
      console: (deps) => createConsole({ ...deps, pollSeconds: 60 }),
      print: () => {},
    });
    const harbor = DEMO_LEADS.harbor;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < LEADS) {
          const index = next++;
          const id = `lead_Bulk${String(index).padStart(5, "0")}x`;
          const body = fixtureBody(harbor.file, { from: harbor.id, to: id, name: `Bulk Lead ${index}` });
          expect((await postSigned(runtime, body)).status).toBe(202);
        }
      }),
    );
    process.stdout.write(
      `posted ${LEADS} signed webhooks in ${Math.round(performance.now() - started)} ms\n`,
    );
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  });

  it("renders, pages, searches and filters 1,000 waiting leads", async () => {
    const loads = async () => Number((await page.locator("#leads").getAttribute("data-loads")) ?? 0);
    /** Wall time of `act` until the page has rendered the answer (`navigates`: a new document counts from 0). */
    const timed = async (act: () => Promise<unknown>, rows?: number, navigates = true) => {
      const before = navigates ? 0 : await loads();
      const started = performance.now();
      await act();
      await expect.poll(loads, { timeout: 30_000, interval: 5 }).toBeGreaterThan(before);
      const wall = Math.round(performance.now() - started);
      if (rows !== undefined) expect(await page.locator("#rows tr").count()).toBe(rows);
      const table = page.locator("#leads");
      return {
        wallMs: wall,
        fetchAndRenderMs: Number(await table.getAttribute("data-render-ms")),
        domMs: Number(await table.getAttribute("data-dom-ms")),
      };
    };
    const results: Record<string, unknown> = { leads: LEADS };
    const names = () =>
      page.locator("#rows tr").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-key")));
    /** Every lead once, in pages of 200 following the API's paging. */
    const pageThrough = async () => {
      const first = await timed(() => page.goto(`${runtime.url}/console?pageSize=200`), 200);
      const seen = new Set(await names());
      const perPage = [first.wallMs];
      for (let index = 1; index < LEADS / 200; index++) {
        perPage.push((await timed(() => page.click("#older"), 200, false)).wallMs);
        for (const name of await names()) seen.add(name);
      }
      expect(await page.locator("#older").isDisabled()).toBe(true);
      expect(seen.size).toBe(LEADS);
      return { perPageWallMs: perPage, totalWallMs: perPage.reduce((sum, ms) => sum + ms, 0) };
    };

    results.firstPage50Cold = await timed(() => page.goto(`${runtime.url}/console`), 50);
    results.paint = await page.evaluate(() =>
      Object.fromEntries(
        performance.getEntriesByType("paint").map((entry) => [entry.name, Math.round(entry.startTime)]),
      ),
    );
    expect(await page.locator("#rows tr").first().locator("td.flows").textContent()).toMatch(
      /Waiting\s*(1 h 00 min|\d+:\d\d) left/,
    );
    results.pagingThrough1000By200Cold = await pageThrough();
    results.pagingThrough1000By200Warm = await pageThrough();
    results.firstPage50Warm = await timed(() => page.goto(`${runtime.url}/console`), 50);
    await page.fill("#q", "no such lead");
    results.searchWithoutMatch = await timed(() => page.press("#q", "Enter"), 0, false);
    results.searchWithoutMatchNote = await page.locator("#search-note").textContent();
    expect(results.searchWithoutMatchNote).toContain("Searched 1,000 executions");
    await page.fill("#q", "Bulk Lead 7");
    results.searchByName = await timed(() => page.press("#q", "Enter"), 50, false);
    results.waitingFilter200 = await timed(
      () => page.goto(`${runtime.url}/console?status=waiting&pageSize=200`),
      200,
    );
    await page.goto(`${runtime.url}/console`);
    await expect.poll(loads).toBeGreaterThan(0);
    await page.screenshot({ path: join(RESULTS_DIR, "console-list-1000.png") });
    writeFileSync(join(RESULTS_DIR, "console-1000-leads.json"), `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  }, 90_000);
});

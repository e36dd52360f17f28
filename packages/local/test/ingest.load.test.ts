import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import { expect, it } from "vitest";
import { LOCAL_CREDENTIALS, type RuntimeInfo } from "../src/runtime";
import {
  leadBody,
  ownerServer,
  post,
  SECRET,
  slackRecorder,
  spawnRuntime,
  tempDir,
  waitFor,
} from "./harness";

const TOTAL = 2_000;
const DUPLICATE_SHARE = 0.2;
const RATE = 250; // requests per second offered; the goal is ≥ 200 achieved
const MAX_IN_FLIGHT = 64;

/** Deterministic pseudo-random numbers so a failing run can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

it(`${TOTAL} signed webhooks (${DUPLICATE_SHARE * 100}% duplicates) offered at ${RATE} req/s: no 5xx, one execution and one Slack message per lead`, async () => {
  const slack = await slackRecorder();
  const owners = await ownerServer();
  const dataDir = tempDir();
  const runtime = spawnRuntime({
    PORT: "0",
    CLOSE_WEBHOOK_SECRET: SECRET,
    SLACK_WEBHOOK_URL: slack.url,
    OWNER_BASE_URL: owners.url,
    LEAD_WAIT_SECONDS: "0",
    LEADRELAY_DATA_DIR: dataDir,
    // Announce alone, as the #5 goal was set; with triage also running every lead on the same two
    // cores, `pnpm bench` reports the throughput of every flow together.
    LEADRELAY_FLOWS: "announce",
  });
  try {
    const webhookUrl = await runtime.ready();
    const distinct = Math.round(TOTAL * (1 - DUPLICATE_SHARE));
    const leads = Array.from({ length: distinct }, (_, i) => `lead_Load${String(i).padStart(5, "0")}`);
    for (const leadId of leads)
      owners.files.set(leadId, JSON.stringify({ lead_id: leadId, lead_owner: "Lou Load" }));
    // Each duplicate repeats a lead already sent (or in flight), with its own event id, as Close's retries do.
    const next = random(7);
    const plan: string[] = [];
    let sent = 0;
    for (let i = 0; i < TOTAL; i++) {
      const duplicate =
        sent > 0 && (next() < DUPLICATE_SHARE || sent === distinct) && plan.length - sent < TOTAL - distinct;
      plan.push(duplicate ? (leads[Math.floor(next() * sent)] as string) : (leads[sent++] as string));
    }
    expect(sent).toBe(distinct);

    // Bodies are built before the clock starts: the generator should measure the runtime, not itself.
    const bodies = plan.map((leadId, i) => leadBody(leadId, `Load ${i}`));
    const statuses = new Map<number, number>();
    let nextRequest = 0;
    const started = performance.now();
    // MAX_IN_FLIGHT senders share one schedule: request i is not sent before started + i / RATE.
    await Promise.all(
      Array.from({ length: MAX_IN_FLIGHT }, async () => {
        for (let i = nextRequest++; i < TOTAL; i = nextRequest++) {
          const due = started + (i * 1000) / RATE;
          const early = due - performance.now();
          if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
          const { status } = await post(webhookUrl, bodies[i] as string);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rate = TOTAL / seconds;
    console.log(
      `load: ${TOTAL} requests in ${seconds.toFixed(1)} s = ${rate.toFixed(0)} req/s; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    // The rate is reported, not asserted: on a shared 2-core machine it moves ±20 % from run to run
    // (the same commit measured 155–221 req/s here). `pnpm bench` measures ingest throughput as a ratio
    // to a bare node:http server on the same machine in the same run, which is the number to trust.
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect(statuses.get(202)).toBe(distinct);
    expect(statuses.get(200)).toBe(TOTAL - distinct);

    await waitFor(
      () => new Set(slack.messages.map((m) => /\((lead_\w+)\)/.exec(m.text)?.[1])).size >= distinct,
      120_000,
      "one Slack message per lead",
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let any double arrive
    const perLead = new Map<string, number>();
    for (const message of slack.messages) {
      const leadId = /\((lead_\w+)\)/.exec(message.text)?.[1] ?? "?";
      perLead.set(leadId, (perLead.get(leadId) ?? 0) + 1);
    }
    expect(perLead.size).toBe(distinct);
    expect([...perLead.values()].every((count) => count === 1)).toBe(true);

    const info = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8")) as RuntimeInfo;
    const sfn = new SFNClient({
      endpoint: info.sfnEndpoint,
      region: info.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn: info.stateMachineArn, maxResults: 1000, nextToken }),
      );
      for (const execution of page.executions ?? []) {
        names.push(execution.name ?? "");
        expect(execution.status).toBe("SUCCEEDED");
      }
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names.sort()).toEqual([...leads].sort());
    sfn.destroy();
  } finally {
    runtime.child.kill("SIGTERM");
    await runtime.exited;
    await slack.close();
    await owners.close();
  }
});

/**
 * `pnpm bench` (full, writes bench/results.json) and `pnpm bench:quick` (CI: same code paths, small
 * counts, results in the OS temp dir). All traffic is on 127.0.0.1, bounded in count and in time;
 * every child process is stopped at the end. Absolute numbers depend on the machine: compare the
 * ratios measured within one run.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { benchBundles, HANDLERS } from "./bundles";
import { benchBurst, benchReplyBurst } from "./burst";
import { classicUsage, costTable, PRICES } from "./cost";
import { benchEndToEnd } from "./e2e";
import { benchFlows } from "./flows";
import { benchIngest } from "./ingest";
import { machine, REPO_ROOT } from "./lib";
import {
  benchPeers,
  PEER_SCENARIOS,
  PEERS_BUDGET_SECONDS,
  PEERS_QUICK_SETTINGS,
  PEERS_SETTINGS,
  peersTable,
} from "./peers/index";
import { benchSoak, SOAK_AFTER_LOAD_SECONDS, SOAK_LOAD } from "./soak";
import { benchTransitions } from "./transitions";
import { benchWaiting } from "./waiting";

const quick = process.argv.includes("--quick");
/** `--peers`: only the side-by-side section (bench/peers), merged into results.json under `peers`. */
const peers = process.argv.includes("--peers");
/** `--burst`: only section 7 (both bursts), merged into results.json under `burst` and `replyBurst`. */
const burstOnly = process.argv.includes("--burst");
/** `--soak [minutes]`: only the long mixed-load section (bench/soak.ts), merged into results.json under `soak`. */
const soakAt = process.argv.indexOf("--soak");
const soakMinutes = soakAt === -1 ? undefined : Number(process.argv[soakAt + 1] ?? "") || 20;
const mode = quick ? "quick" : "full";
const SETTINGS = quick
  ? {
      transitions: { leadsPerScenario: 1 },
      bundles: { runs: { deployed: 1, runtimeSdk: 1, unminified: 0 }, flows: ["announce"] },
      ingest: { requests: 200, warmup: 50, concurrency: 16 },
      waiting: { leads: 500, concurrency: 32 },
      endToEnd: { leads: 50, ratePerSecond: 25 },
      flows: { events: 5, ratePerSecond: 5, ingestRequests: 100 },
      burst: { leads: 50 },
      replyBurst: { replies: 25 },
      // + the bursts' bounds (50 leads × 3 Close calls ÷ 10/s = 15 s; 25 replies × 4 HubSpot calls
      // ÷ 100/10s = 10 s, after the HubSpot setup's 10 s window) and their starts.
      budgetSeconds: 150,
    }
  : {
      transitions: { leadsPerScenario: 5 },
      bundles: { runs: { deployed: 5, runtimeSdk: 3, unminified: 1 } },
      ingest: { requests: 3000, warmup: 300, concurrency: 16 },
      waiting: { leads: 10_000, concurrency: 32 },
      endToEnd: { leads: 500, ratePerSecond: 25 },
      flows: { events: 200, ratePerSecond: 10, ingestRequests: 1000 },
      burst: { leads: 300 },
      replyBurst: { replies: 150 },
      // + the bursts' bounds (300 leads × 3 Close calls ÷ 10/s = 90 s; 150 replies × 4 HubSpot calls
      // ÷ 100/10s = 60 s, after the HubSpot setup's 10 s window) and their starts.
      budgetSeconds: 640,
    };
const GOALS = {
  ingestP99Ratio: 1.5,
  bundleKB: 150,
  coldImportMs: 150,
  happyTransitions: 7,
  waitingRssMB: 500,
  fullRunSeconds: 640,
  burstRatioToBound: 1.2,
  burst429Share: 0.01,
};

// Bounded in time as a whole: a stuck section cannot keep CI (or anyone) waiting; children die with us.
const budgetSeconds = peers
  ? PEERS_BUDGET_SECONDS
  : burstOnly
    ? SETTINGS.budgetSeconds
    : soakMinutes !== undefined
      ? soakMinutes * 60 + SOAK_AFTER_LOAD_SECONDS
      : SETTINGS.budgetSeconds;
const watchdog = setTimeout(
  () => {
    process.stderr.write(`bench: over the ${budgetSeconds + 60} s hard limit, giving up\n`);
    process.exit(3);
  },
  (budgetSeconds + 60) * 1000,
);
watchdog.unref();

const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const yes = (met: boolean) => (met ? "yes" : "NO");
const usd = (n: number) => `$${n.toFixed(2)}`;

/** Text columns left-aligned, numeric ones right-aligned. */
function table(headers: string[], rows: Array<Array<string | number>>, indent = "  "): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = headers.map(
    (_, i) =>
      i > 0 && cells.slice(1).every((row) => /^[-+$\d.,×/ —]*(?: ?(?:ms|KB|MB|SDK|s))*$/.test(row[i] ?? "")),
  );
  const line = (row: string[]) =>
    indent +
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [
    line(headers),
    indent + widths.map((w) => "─".repeat(w)).join("  "),
    ...cells.slice(1).map(line),
  ].join("\n");
}

async function timed<T>(name: string, run: () => Promise<T>): Promise<T & { seconds: number }> {
  log(`bench: ${name}…`);
  const started = performance.now();
  const result = await run();
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  log(`bench: ${name} done in ${seconds} s`);
  return { ...result, seconds };
}

/** The peers section alone: its own table, and results.json keeps the other sections' last numbers. */
async function mainPeers() {
  const result = await benchPeers(quick ? PEERS_QUICK_SETTINGS : PEERS_SETTINGS, log);
  process.stdout.write(`${peersTable(result)}\n`);
  const file = quick
    ? join(tmpdir(), "leadrelay-bench-results.quick.json")
    : join(REPO_ROOT, "bench/results.json");
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  // A subset of the scenarios (LEADRELAY_BENCH_PEERS_SCENARIOS) replaces only those in the last numbers.
  const subset = PEER_SCENARIOS.some((name) => !result.scenarios.includes(name));
  const earlier = (previous.peers ?? {}) as Record<string, unknown>;
  const peersValue = subset
    ? {
        ...earlier,
        ...Object.fromEntries(result.scenarios.map((name) => [name, result[name as keyof typeof result]])),
        settings: { ...(earlier.settings as object), ...result.settings },
        partialRuns: {
          ...(earlier.partialRuns as object),
          [result.scenarios.join(",")]: {
            startedAt: result.startedAt,
            wallSeconds: result.wallSeconds,
            loadAverage: result.loadAverage,
            peers: result.peers,
            machine: machine(),
          },
        },
      }
    : { ...result, machine: machine() };
  writeFileSync(file, `${JSON.stringify({ ...previous, peers: peersValue }, null, 2)}\n`);
  log(`bench: wrote peers into ${file} (${result.wallSeconds} s)`);
}

/** The soak section alone: a per-minute table and its goal lines; results.json keeps the other sections' last numbers. */
async function mainSoak(minutes: number) {
  log(`bench: soak for ${minutes} min, every flow on (load average ${loadavg()[0]?.toFixed(2)})`);
  const result = await benchSoak({ minutes, ...SOAK_LOAD }, log);
  const perSecond = `${SOAK_LOAD.ratePerSecond} Close leads + ${SOAK_LOAD.burst} every 30 s, ${SOAK_LOAD.dealEventsPerSecond} deal events, ${SOAK_LOAD.metaLeadsPerSecond} Meta leads, ${SOAK_LOAD.repliesPerSecond} LGM replies a second`;
  process.stdout.write(
    `  soak: ${perSecond}; hold 0\n${table(
      [
        "minute",
        "webhooks",
        "failed",
        "p50 ms",
        "p99 ms",
        "RSS MB",
        "heap MB",
        "fds",
        "data MB",
        "running",
        "load",
      ],
      result.minutes.map((row) => [
        row.minute,
        row.webhooks,
        row.failed,
        row.p50Ms,
        row.p99Ms,
        row.rssMB,
        row.heapMB,
        row.fds,
        row.dataMB,
        row.running,
        row.loadAverage,
      ]),
    )}\n\n${table(
      ["flow", "side effect", "expected", "once", "missing", "doubled", "unexpected"],
      result.sideEffects.map((effect) => [
        effect.flow,
        effect.effect,
        effect.expected,
        effect.once,
        effect.missing,
        effect.doubled,
        effect.unexpected,
      ]),
    )}\n\n${table(
      ["goal", "measured", "met"],
      result.goals.map((goal) => [goal.goal, goal.value, yes(goal.met)]),
    )}\n`,
  );
  const file = join(REPO_ROOT, "bench/results.json");
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  writeFileSync(
    file,
    `${JSON.stringify({ ...previous, soak: { ...result, machine: machine() } }, null, 2)}\n`,
  );
  log(`bench: wrote soak into ${file}`);
}

async function main() {
  if (peers) return mainPeers();
  if (soakMinutes !== undefined) return mainSoak(soakMinutes);
  if (burstOnly) return mainBurst();
  const startedAt = new Date();
  const t0 = performance.now();
  const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);

  const transitions = await timed("3. state transitions (real executions)", () =>
    benchTransitions(SETTINGS.transitions),
  );
  const bundles = await timed("2. bundles and cold start", () =>
    benchBundles({ ...SETTINGS.bundles, taskInputs: transitions.taskInputs }),
  );
  const ingest = await timed("1. ingest: leadrelay vs bare node:http", () => benchIngest(SETTINGS.ingest));
  const waiting = await timed(`4. ${SETTINGS.waiting.leads} waiting executions`, () =>
    benchWaiting(SETTINGS.waiting),
  );
  const endToEnd = await timed("5. end to end, LEAD_WAIT_SECONDS=0", () => benchEndToEnd(SETTINGS.endToEnd));
  const flows = await timed("6. every other flow", () => benchFlows(SETTINGS.flows));
  const burst = await timed(
    `7. burst: ${SETTINGS.burst.leads} triage leads at once, Close budget 10/1s`,
    () => benchBurst(SETTINGS.burst),
  );
  const replyBurst = await timed(
    `7b. burst: ${SETTINGS.replyBurst.replies} LGM replies at once, HubSpot budget 100/10s`,
    () => benchReplyBurst(SETTINGS.replyBurst),
  );

  const cost = costTable(transitions);
  const cost50 = costTable(transitions, 50);
  const durationSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const loadAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);

  // ── goals ──
  const deployed = HANDLERS.filter((h) => bundles.handlers[h]).map((h) => ({
    handler: h,
    ...bundles.handlers[h]?.deployed,
  }));
  const largest = deployed.reduce((a, b) => ((b.coldLoadedKB ?? 0) > (a.coldLoadedKB ?? 0) ? b : a));
  const slowest = deployed.reduce((a, b) =>
    (b.coldStart?.importMs ?? 0) > (a.coldStart?.importMs ?? 0) ? b : a,
  );
  const happy = transitions.scenarios.happy;
  const p99Ratio = ingest.ratios.p99;
  const waitingPeak = waiting.peakRssMB;
  const goals = [
    {
      id: "1",
      goal: `ingest p99 ≤ ${GOALS.ingestP99Ratio}× bare node:http p99`,
      measured: `${fmt(p99Ratio, 2)}× (${fmt(ingest.leadrelay.latencyMs.p99)} vs ${fmt(ingest.bare.latencyMs.p99)} ms)`,
      met: p99Ratio <= GOALS.ingestP99Ratio,
    },
    {
      id: "2a",
      goal: `bundle ≤ ${GOALS.bundleKB} KB per handler (as deployed)`,
      measured: `max ${fmt(largest.coldLoadedKB ?? Number.NaN, 0)} KB loaded at cold start (${largest.handler}); artifact ${fmt(largest.totalKB ?? Number.NaN, 0)} KB`,
      met: deployed.every((d) => (d.coldLoadedKB ?? Number.POSITIVE_INFINITY) <= GOALS.bundleKB),
      why: `largest parts of ${largest.handler} at cold start: ${(largest.topPackagesCold ?? []).map(([name, size]) => `${name} ${fmt(size, 0)} KB`).join(", ")}`,
    },
    {
      id: "2b",
      goal: `cold import < ${GOALS.coldImportMs} ms (as deployed)`,
      measured: `max ${fmt(slowest.coldStart?.importMs ?? Number.NaN)} ms (${slowest.handler}), median of ${slowest.coldStart?.runs} fresh processes`,
      met: deployed.every((d) => (d.coldStart?.importMs ?? Number.POSITIVE_INFINITY) < GOALS.coldImportMs),
    },
    {
      id: "3",
      goal: `happy path ≤ ${GOALS.happyTransitions} state transitions`,
      measured: `${happy.transitions} (${happy.statesEntered} states entered + ${happy.retries} retries + 1 start)`,
      met: happy.transitions <= GOALS.happyTransitions,
    },
    {
      id: "4",
      goal: `${SETTINGS.waiting.leads} waiting executions < ${GOALS.waitingRssMB} MB RSS`,
      measured: `peak ${fmt(waitingPeak)} MB; ${fmt(waiting.restart.memoryAfterResumeMB.rssMB)} MB after resuming ${waiting.restart.resumed}`,
      met: waitingPeak < GOALS.waitingRssMB && waiting.restart.resumed === SETTINGS.waiting.leads,
    },
    {
      id: "5",
      goal: "end to end with LEAD_WAIT_SECONDS=0 (no goal set)",
      measured: `p50 ${fmt(endToEnd.webhookToSlackMs.p50)} ms, p99 ${fmt(endToEnd.webhookToSlackMs.p99)} ms over ${endToEnd.webhookToSlackMs.count} leads`,
      met: null as boolean | null,
    },
    {
      id: "7",
      goal: `burst: 0 failed, Close 429s ≤ ${GOALS.burst429Share * 100} %, done ≤ ${GOALS.burstRatioToBound}× the bound`,
      measured: `${burst.failed} failed, ${fmt(burst.close429Share * 100, 2)} % 429s (${burst.close429}/${burst.closeCalls}), ${fmt(burst.doneSeconds)} s = ${fmt(burst.ratioToBound, 2)}× the ${fmt(burst.boundSeconds)} s bound`,
      met: burstMet(burst.failed, burst.close429Share, burst.ratioToBound),
    },
    {
      id: "7b",
      goal: `LGM burst: 0 failed, HubSpot 429s ≤ ${GOALS.burst429Share * 100} %, done ≤ ${GOALS.burstRatioToBound}× the bound`,
      measured: replyBurstMeasured(replyBurst),
      met: burstMet(replyBurst.failed, replyBurst.hubspot429Share, replyBurst.ratioToBound),
    },
    {
      id: "run",
      goal: `${mode} run finishes in < ${mode === "full" ? GOALS.fullRunSeconds : SETTINGS.budgetSeconds} s`,
      measured: `${fmt(durationSeconds)} s`,
      met: durationSeconds < (mode === "full" ? GOALS.fullRunSeconds : SETTINGS.budgetSeconds),
    },
  ];

  const box = machine();
  const lines: string[] = [];
  const out = (line = "") => lines.push(line);
  out(`leadrelay bench (${mode}) — ${startedAt.toISOString()}`);
  out(
    `machine: ${box.os}, ${box.cpuCount} × ${box.cpuModel}, ${box.totalMemoryGB} GB, node ${box.node}; load average ${loadAtStart.join(" ")} → ${loadAtEnd.join(" ")}`,
  );
  out("absolute numbers are this machine's; compare the ratios measured in the same run");
  out();
  out(
    `1. Ingest — ${ingest.leadrelay.requests} signed webhooks per server, ${ingest.concurrency} in flight, segments ${ingest.order} (B bare, L leadrelay; each server its own process)`,
  );
  out(
    table(
      ["server", "req/s", "p50 ms", "p90 ms", "p99 ms", "statuses"],
      [
        serverRow("leadrelay (pnpm start)", ingest.leadrelay),
        serverRow("bare node:http", ingest.bare),
        [
          "leadrelay ÷ bare",
          `${fmt(ingest.ratios.throughput, 2)}×`,
          `${fmt(ingest.ratios.p50, 2)}×`,
          "",
          `${fmt(ingest.ratios.p99, 2)}×`,
          "",
        ],
      ],
    ),
  );
  out();
  out(
    `2. Lambda bundles (SST 2.49.8 deploy build, esbuild ${bundles.esbuild}) and cold start (fresh node, median)`,
  );
  out(
    table(
      [
        "handler",
        "deployed KB cold/total",
        "unminified KB",
        "runtime SDK KB",
        "import ms",
        "1st call ms",
        "runtime SDK import ms",
        "first call outcome",
      ],
      HANDLERS.filter((h) => bundles.handlers[h]).map((h) => {
        const b = bundles.handlers[h];
        if (!b) return [h];
        return [
          h,
          `${fmt(b.deployed.coldLoadedKB, 0)} / ${fmt(b.deployed.totalKB, 0)}`,
          b.unminified ? `${fmt(b.unminified.coldLoadedKB, 0)} / ${fmt(b.unminified.totalKB, 0)}` : "—",
          `${fmt(b.runtimeSdk.coldLoadedKB, 0)} / ${fmt(b.runtimeSdk.totalKB, 0)}`,
          fmt(b.deployed.coldStart.importMs),
          fmt(b.deployed.coldStart.firstInvocationMs),
          fmt(b.runtimeSdk.coldStart.importMs),
          b.deployed.coldStart.outcome,
        ];
      }),
    ),
  );
  out(
    "  (cold = entry + static chunks, loaded before the first call; total = artifact incl. lazy chunks; deployed sizes include the bundled AWS SDK clients; runtime-SDK sizes exclude the runtime's SDK, its import time is included)",
  );
  out();
  out("3. State transitions (real local executions) and AWS cost per million leads, us-east-1 list prices");
  out(
    table(
      [
        "scenario",
        "transitions",
        "Lambda calls",
        "S3 PUT/GET",
        "leadrelay $/M",
        "classic SQS $/M",
        "leadrelay ÷ classic",
        "at 50 ms/call: leadrelay",
        "classic",
      ],
      (["happy", "ownerRetry", "slackRetry"] as const).map((name) => {
        const s = transitions.scenarios[name];
        const c = cost[name];
        const c50 = cost50[name];
        return [
          { happy: "happy path", ownerRetry: "owner 403 once", slackRetry: "Slack 429 once" }[name],
          `${s.transitions}`,
          `${1 + s.lambdaInvocations}`,
          `${c.leadrelay.usage.s3Put}/${c.leadrelay.usage.s3Get}`,
          usd(c.leadrelay.perMillion.total),
          usd(c.classicSqs.perMillion.total),
          `${fmt(c.leadrelay.perMillion.total / c.classicSqs.perMillion.total, 1)}×`,
          usd(c50.leadrelay.perMillion.total),
          usd(c50.classicSqs.perMillion.total),
        ];
      }),
    ),
  );
  const h = cost.happy.leadrelay.perMillion;
  out(
    `  happy path, leadrelay per million: Step Functions ${usd(h.stepFunctions)}, S3 ${usd(h.s3)}, API GW ${usd(h.apiGateway)}, Lambda ${usd(h.lambdaRequests + h.lambdaCompute)} (measured local durations, 256 MB arm64)`,
  );
  out(
    `  classic = API GW → Lambda → S3 + SQS DelaySeconds=600 → one consumer Lambda → Slack; ${classicUsage(transitions.scenarios.happy).sqsRequests} SQS requests per lead on the happy path`,
  );
  out();
  out(
    `4. Waiting executions — ${waiting.leads} posted (${fmt(waiting.posting.rps)} req/s), then restart on the same data dir`,
  );
  out(
    table(
      ["moment", "RSS MB", "ready after (spawn→ready)"],
      [
        ["empty runtime", fmt(waiting.firstStart.idle.rssMB), `${waiting.firstStart.readyMsFromSpawn} ms`],
        [`${waiting.waitingAfterPosting} waiting`, fmt(waiting.memoryAfterPostingMB.rssMB), ""],
        [
          `restarted, at ready`,
          fmt(waiting.restart.memoryAtReadyMB.rssMB),
          `${waiting.restart.readyMsFromSpawn} ms`,
        ],
        [`${waiting.restart.resumed} resumed`, fmt(waiting.restart.memoryAfterResumeMB.rssMB), ""],
        ["peak (VmHWM)", fmt(waiting.peakRssMB), ""],
      ],
    ),
  );
  out();
  out(
    `5. End to end — ${endToEnd.leads} leads at ${endToEnd.ratePerSecond}/s, webhook 202 → Slack message received`,
  );
  out(
    table(
      ["", "p50 ms", "p90 ms", "p99 ms", "max ms", "delivered"],
      [
        [
          "webhook → Slack",
          fmt(endToEnd.webhookToSlackMs.p50),
          fmt(endToEnd.webhookToSlackMs.p90),
          fmt(endToEnd.webhookToSlackMs.p99),
          fmt(endToEnd.webhookToSlackMs.max),
          `${endToEnd.slackMessages}/${endToEnd.accepted}`,
        ],
        [
          "(webhook → 202)",
          fmt(endToEnd.ingestLatencyMs.p50),
          fmt(endToEnd.ingestLatencyMs.p90),
          fmt(endToEnd.ingestLatencyMs.p99),
          fmt(endToEnd.ingestLatencyMs.max),
          "",
        ],
      ],
    ),
  );
  out();
  out(
    `6. Every flow — ${SETTINGS.flows.events} events each at ${SETTINGS.flows.ratePerSecond}/s, only that flow and its stand-ins, no keys`,
  );
  const latencyRow = (
    flow: string,
    measure: string,
    s: { p50: number; p90: number; p99: number },
    done: string,
  ) => [flow, measure, fmt(s.p50), fmt(s.p90), fmt(s.p99), done];
  out(
    table(
      ["flow", "webhook answered →", "p50 ms", "p90 ms", "p99 ms", "done"],
      [
        latencyRow(
          "triage",
          "first action (SMS or Slack)",
          flows.triage.webhookToFirstAction,
          `${flows.triage.completed}/${flows.triage.events}`,
        ),
        latencyRow(
          "deal-stage",
          "CAPI event and email",
          flows.dealStage.webhookToLastAction,
          `${flows.dealStage.completed}/${flows.dealStage.events}`,
        ),
        latencyRow(
          "meta-leads",
          "event published",
          flows.metaLeads.webhookToEventPublished,
          `${flows.metaLeads.events}`,
        ),
        latencyRow(
          "linkedin-replies",
          "note written",
          flows.linkedinReplies.webhookToNote,
          `${flows.linkedinReplies.events}`,
        ),
      ],
    ),
  );
  const branchRows = Object.entries({
    triage: flows.triage.branches,
    "deal-stage": flows.dealStage.branches,
    "meta-leads": flows.metaLeads.branches,
    "linkedin-replies": flows.linkedinReplies.branches,
  }).flatMap(([flow, branches]) =>
    Object.entries(
      branches as Record<
        string,
        {
          transitions: number;
          lambdaInvocations: number;
          cost: { perMillion: { total: number; stepFunctions: number } };
        }
      >,
    ).map(([branch, b]) => [
      flow,
      branch,
      String(b.transitions),
      String(b.lambdaInvocations),
      usd(b.cost.perMillion.total),
      usd(b.cost.perMillion.stepFunctions),
    ]),
  );
  out(
    table(
      ["flow", "branch", "transitions", "Lambda calls", "$ per million events", "of which Step Functions"],
      branchRows,
    ),
  );
  out(
    `  triage's offline classifier on its labelled test set: ${flows.triage.classifier.correct}/${flows.triage.classifier.examples} = ${fmt(flows.triage.classifier.accuracy * 100)} %`,
  );
  out(
    `  ingest with every flow on (a Close lead starts announce and triage, triage runs at once): ${fmt(flows.everyFlowIngest.requestsPerSecond)} req/s, p99 ${fmt(flows.everyFlowIngest.latencyMs.p99)} ms at 16 in flight`,
  );
  out();
  out(burstTables(burst, replyBurst));
  out();
  out("Goals");
  out(
    table(
      ["#", "goal", "measured", "met"],
      goals.map((g) => [g.id, g.goal, g.measured, g.met === null ? "—" : yes(g.met)]),
    ),
  );
  for (const g of goals) if (g.why && g.met === false) out(`  ${g.id}: ${g.why}`);
  process.stdout.write(`${lines.join("\n")}\n`);

  const results = {
    mode,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSeconds,
    machine: { ...box, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd },
    note:
      "Absolute numbers are this machine's at this moment (a shared 2-core VM: a load average above the core count means other work " +
      "competed for the CPUs, which shows mostly in the p99s). Compare the ratios measured within one run; rerun with `pnpm bench`.",
    settings: SETTINGS,
    goals,
    ingest,
    bundles,
    transitions: { ...transitions, taskInputs: undefined },
    cost: {
      prices: PRICES,
      lambdaDurations:
        "measured local Task durations from the histories (ingest: unloaded request time), each rounded up to 1 ms",
      classicModel:
        "API GW → ingest Lambda (verify, S3 PUT raw, SQS SendMessage DelaySeconds=600) → event source mapping → one consumer Lambda " +
        "(GET raw, owner file, PUT enriched, Slack with the same marker: GET + PUT sending + PUT sent). A failed delivery " +
        "(owner 403, Slack 429) does ChangeMessageVisibility for the backoff and throws; SQS delivers again. Per lead: SendMessage, " +
        "ReceiveMessage per delivery, DeleteMessage. Not per lead: idle long polling of the event source mapping (~$0.26/month).",
      perScenario: cost,
      at50msPerLambdaCall: cost50,
    },
    waiting,
    endToEnd,
    flows,
    burst,
    replyBurst,
  };
  const file = quick
    ? join(tmpdir(), "leadrelay-bench-results.quick.json")
    : join(REPO_ROOT, "bench/results.json");
  // The peers' (`--peers`, ≈ 15 min) and soak (`--soak`) sections are measured apart: their last numbers are kept.
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as { peers?: unknown; soak?: unknown })
    : {};
  writeFileSync(
    file,
    `${JSON.stringify({ ...results, peers: previous.peers, soak: previous.soak }, null, 2)}\n`,
  );
  log(`bench: wrote ${file} (${mode} run, ${durationSeconds} s)`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  });

function serverRow(
  label: string,
  server: { rps: number; latencyMs: { p50: number; p90: number; p99: number }; statuses: unknown },
): string[] {
  const { p50, p90, p99 } = server.latencyMs;
  return [label, fmt(server.rps), fmt(p50), fmt(p90), fmt(p99), JSON.stringify(server.statuses)];
}

const burstMet = (failed: number, share: number, ratio: number) =>
  failed === 0 && share <= GOALS.burst429Share && ratio <= GOALS.burstRatioToBound;

type CloseBurst = Awaited<ReturnType<typeof benchBurst>>;
type ReplyBurst = Awaited<ReturnType<typeof benchReplyBurst>>;

const replyBurstMeasured = (reply: ReplyBurst) =>
  `${reply.failed} failed, ${fmt(reply.hubspot429Share * 100, 2)} % 429s (${reply.hubspot429}/${reply.hubspotCalls}), ${fmt(reply.doneSeconds)} s = ${fmt(reply.ratioToBound, 2)}× the ${fmt(reply.boundSeconds)} s bound`;

/** Section 7: both bursts, one row each. */
function burstTables(burst: CloseBurst, reply: ReplyBurst): string {
  return [
    "7. Bursts — all at once against stand-ins that refuse like the vendor a little above the budget",
    `   Close: ${burst.leads} lead.created into triage, CLOSE_RATE_LIMIT=10/1s (Twilio 5/1s, Zendesk 200/60s), stand-ins refusing beyond 12/1s, 6/1s, 220/60s`,
    `   HubSpot: ${reply.replies} LGM first replies into linkedin-replies, HUBSPOT_RATE_LIMIT=100/10s, stand-in refusing beyond 110/10s (search, limited apart at HubSpot, not counted: ${reply.hubspotSearchCalls} calls)`,
    table(
      ["burst", "done in", "bound (calls ÷ budget)", "÷ bound", "calls", "429s", "failed", "peak RSS MB"],
      [
        [
          "Close → triage",
          `${fmt(burst.doneSeconds)} s`,
          `${fmt(burst.boundSeconds)} s`,
          `${fmt(burst.ratioToBound, 2)}×`,
          String(burst.closeCalls),
          `${burst.close429} (${fmt(burst.close429Share * 100, 2)} %)`,
          String(burst.failed),
          String(burst.peakRssMB),
        ],
        [
          "LGM → HubSpot",
          `${fmt(reply.doneSeconds)} s`,
          `${fmt(reply.boundSeconds)} s`,
          `${fmt(reply.ratioToBound, 2)}×`,
          String(reply.hubspotCalls),
          `${reply.hubspot429} (${fmt(reply.hubspot429Share * 100, 2)} %)`,
          String(reply.failed),
          String(reply.peakRssMB),
        ],
      ],
    ),
  ].join("\n");
}

/** Section 7 alone (`--burst`): its table; results.json keeps the other sections' last numbers. */
async function mainBurst() {
  const loadAtStart = loadavg().map((n) => Math.round(n * 100) / 100);
  const burst = await timed(`7. burst: ${SETTINGS.burst.leads} triage leads at once`, () =>
    benchBurst(SETTINGS.burst),
  );
  const replyBurst = await timed(`7b. burst: ${SETTINGS.replyBurst.replies} LGM replies at once`, () =>
    benchReplyBurst(SETTINGS.replyBurst),
  );
  const loadAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  process.stdout.write(
    `${burstTables(burst, replyBurst)}\n  load average ${loadAtStart.join(" ")} → ${loadAtEnd.join(" ")}\n`,
  );
  const file = quick
    ? join(tmpdir(), "leadrelay-bench-results.quick.json")
    : join(REPO_ROOT, "bench/results.json");
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  const measured = {
    mode,
    measuredAt: new Date().toISOString(),
    machine: { ...machine(), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd },
  };
  writeFileSync(
    file,
    `${JSON.stringify({ ...previous, burst: { ...burst, ...measured }, replyBurst: { ...replyBurst, ...measured } }, null, 2)}\n`,
  );
  log(`bench: wrote the bursts into ${file}`);
}

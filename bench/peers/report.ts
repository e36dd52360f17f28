/** The peers table printed by `pnpm bench --peers` (every number is also in bench/results.json → peers). */
import type { Outcome, PeersResult } from "./index";
import { cpuMsPerLead, type SegmentCost } from "./monitor";
import type { PeerName } from "./peer";

const NAMES: PeerName[] = ["leadrelay", "bullmq", "n8n"];
const fmt = (n: number | undefined | null, digits = 1) =>
  n === undefined || n === null || !Number.isFinite(n) ? "—" : n.toFixed(digits);
const times = (n: number | null | undefined) => (n === undefined || n === null ? "" : ` (${n.toFixed(2)}×)`);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((_, i) => Math.max(...[headers, ...rows].map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) =>
    `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  return [line(headers), `  ${widths.map((w) => "─".repeat(w)).join("  ")}`, ...rows.map(line)].join("\n");
}

export function peersTable(result: PeersResult): string {
  const present = NAMES.filter((name) => result.peers[name]);
  const cell = <T>(outcome: Outcome<T> | undefined, name: PeerName, show: (value: T) => string): string => {
    if (result.peers[name]?.error) return "not run (setup failed)";
    if (!outcome) return "—";
    if (outcome.error) return `ERROR: ${outcome.error.split("\n")[0]?.slice(0, 60)}`;
    return outcome.result === undefined ? "—" : show(outcome.result);
  };
  const row = <T>(
    label: string,
    outcomes: Partial<Record<PeerName, Outcome<T>>>,
    show: (value: T) => string,
    ratioKey?: string,
  ) => [
    label,
    ...present.map((name) => {
      const text = cell(outcomes[name], name, show);
      const r = ratioKey && name !== "leadrelay" ? result.ratios[name]?.[ratioKey] : undefined;
      return text + times(r);
    }),
  ];
  const cost = (c: SegmentCost) =>
    `${Object.entries(c.cpuSecondsByRole)
      .map(([role, s]) => `${role} ${fmt(s)}`)
      .join(" + ")} CPU s; load ${c.loadAverage1m.join("→")}`;
  const s = result.settings;
  const restartCell = (name: PeerName) => {
    if (result.peers[name]?.error) return "not run (setup failed)";
    return (result.restart[name] ?? [])
      .map((o, i) =>
        o.error
          ? `ERROR: ${o.error.split("\n")[0]?.slice(0, 50)}`
          : o.result
            ? `${crashLabel(name, i)}${o.result.exactlyOnce}/${o.result.lost}/${o.result.doubled}`
            : "—",
      )
      .join("; ");
  };
  const restartUp = (name: PeerName) =>
    (result.restart[name] ?? [])
      .map((o, i) => (o.result ? `${crashLabel(name, i)}${fmt(o.result.recoverMs / 1000)} s` : "—"))
      .join("; ");
  const fault = (which: "owner403Then200" | "slack429RetryAfter1", name: PeerName) =>
    cell(result.endToEnd[name], name, (e) => {
      const f = e.faults[which];
      const requests = which === "owner403Then200" ? f.ownerRequests : f.slackRequests;
      return `${requests.statuses.join(",")} (gap ${requests.gapsMs.join(",") || "—"} ms) → ${f.messages} msg`;
    });

  const rows: string[][] = [
    row("ready after spawn (s)", result.ingest, (r) => fmt(r.readyMs / 1000)),
    row(
      `ingest req/s, ${s.ingest.concurrency} in flight`,
      result.ingest,
      (r) => `${fmt(r.rps)}${r.cappedByTime ? ` (${r.requests} in ${s.ingest.maxSeconds} s)` : ""}`,
      "ingestThroughput",
    ),
    row("ingest p50 ms", result.ingest, (r) => fmt(r.latencyMs.p50), "ingestP50"),
    row("ingest p99 ms", result.ingest, (r) => fmt(r.latencyMs.p99), "ingestP99"),
    row(
      "  CPU ms per webhook, all processes",
      result.ingest,
      (r) => fmt(cpuMsPerLead(r.cost, r.requests), 2),
      "ingestCpuPerLead",
    ),
    row("  ingest cost", result.ingest, (r) => cost(r.cost)),
    row(
      `${s.waiting.leads} leads: time to accept (s)`,
      result.waiting,
      (r) =>
        r.cappedByTime
          ? `stopped at ${fmt(r.acceptSeconds)}: ${r.accepted} ok, all ≈ ${fmt(r.acceptSecondsExtrapolated)}`
          : `${fmt(r.acceptSeconds)} (${r.accepted} ok)`,
      "waitingAcceptSeconds",
    ),
    row(
      `${s.waiting.leads} waiting: peak RSS MB, all processes`,
      result.waiting,
      (r) => `${fmt(r.peakTotalRssMB, 0)}${r.cappedByTime ? ` (with ${r.accepted})` : ""}`,
      "waitingPeakRss",
    ),
    row("  per process, VmHWM MB", result.waiting, (r) =>
      r.cost.processes
        .map((p) => `${p.role === p.command ? p.role : `${p.role}/${p.command}`} ${fmt(p.peakRssMB, 0)}`)
        .join(", "),
    ),
    row("  idle RSS MB (before)", result.waiting, (r) => fmt(r.idleRssMB, 0)),
    row(
      "  CPU ms per lead accepted",
      result.waiting,
      (r) => fmt(cpuMsPerLead(r.cost, r.accepted), 2),
      "waitingCpuPerLead",
    ),
    row("  waiting cost", result.waiting, (r) => cost(r.cost)),
    [
      `kill -9 in a ${s.restart.holdSeconds} s hold, ${s.restart.leads} leads: once/lost/doubled`,
      ...present.map(restartCell),
    ],
    ["  back up after kill", ...present.map(restartUp)],
    row(
      `webhook → Slack p50 ms (hold 0, ${s.endToEnd.leads} at ${s.endToEnd.ratePerSecond}/s)`,
      result.endToEnd,
      (r) => fmt(r.webhookToSlackMs.p50),
      "webhookToSlackP50",
    ),
    row("webhook → Slack p99 ms", result.endToEnd, (r) => fmt(r.webhookToSlackMs.p99), "webhookToSlackP99"),
    row("  (webhook → 202 p50 ms at that rate)", result.endToEnd, (r) => fmt(r.ingestLatencyMs.p50)),
    row(
      "  delivered / accepted",
      result.endToEnd,
      (r) =>
        `${r.delivered}/${r.accepted}${r.sent < r.leads ? ` (${r.sent} of ${r.leads} sent in 120 s)` : ""}`,
    ),
    row(
      "  CPU ms per lead, webhook to Slack",
      result.endToEnd,
      (r) => fmt(cpuMsPerLead(r.cost, r.accepted), 2),
      "endToEndCpuPerLead",
    ),
    row("  end-to-end cost", result.endToEnd, (r) => cost(r.cost)),
    ["owner 403 then 200: owner requests", ...present.map((name) => fault("owner403Then200", name))],
    ["Slack 429 (Retry-After: 1) then 200", ...present.map((name) => fault("slack429RetryAfter1", name))],
    row(
      `${s.burst?.leads ?? "—"} Close leads at once, Close refusing > 12/s: done ÷ bound, 429s, failed`,
      result.burst ?? {},
      (r) =>
        `${fmt(r.doneSeconds)} s = ${fmt(r.ratioToBound, 2)}× ${fmt(r.boundSeconds)} s; ${r.close429}/${r.closeCalls} (${fmt(r.close429Share * 100, 2)} %); ${r.failed} failed${r.unfinished ? `, ${r.unfinished} unfinished` : ""}`,
    ),
  ];
  const outside = present.flatMap((name) => {
    const seen = new Set<string>();
    for (const o of [result.ingest[name], result.waiting[name], result.endToEnd[name]])
      for (const line of o?.result?.cost.outsideConnections ?? []) seen.add(line);
    return seen.size > 0 ? [`  ${name}: connections outside loopback: ${[...seen].join(", ")}`] : [];
  });
  return [
    `Peers — ${result.startedAt}, ${fmt(result.wallSeconds / 60)} min; load average ${result.loadAverage.atStart.join(" ")} → ${result.loadAverage.atEnd.join(" ")}`,
    "  (peer columns: value, then (leadrelay ÷ peer); restart counts per crash scenario)",
    table(["measure", ...present], rows),
    ...(outside.length > 0
      ? outside
      : ["  no process of any peer held a socket outside loopback (sampled every second)"]),
    ...present
      .filter((name) => result.peers[name]?.error)
      .map(
        (name) => `  ${name} setup failed: ${result.peers[name]?.error?.split("\n").slice(0, 3).join(" | ")}`,
      ),
  ].join("\n");
}

function crashLabel(name: PeerName, index: number): string {
  if (name === "bullmq") return index === 0 ? "app " : "redis ";
  return "";
}

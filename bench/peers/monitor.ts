/**
 * What a measured segment cost the machine: wall time, load average before and after, CPU seconds
 * used by each part of the system under test (whole process trees, from /proc, sampled so that a
 * process killed during the segment still counts up to its last sample) and by this process (the
 * load generator and the stand-in vendors), RSS peaks, and any socket outside loopback.
 */
import { loadavg } from "node:os";
import type { Running } from "./peer";
import { cpuSeconds, outsideConnections, processMemory, treePids } from "./processes";

const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;

export interface SegmentCost {
  wallSeconds: number;
  /** 1-minute load average at the start and at the end of the segment. */
  loadAverage1m: [number, number];
  cpuSecondsByRole: Record<string, number>;
  /** This process: the load generator and the owner / Slack stand-ins. */
  benchCpuSeconds: number;
  /** Highest summed RSS of every process of the system, sampled every 500 ms. */
  peakTotalRssMB: number;
  peakRssMBByRole: Record<string, number>;
  /** Per process at the last sample: RSS now and VmHWM (its own highest RSS). */
  processes: Array<{ role: string; pid: number; command: string; rssMB: number; peakRssMB: number }>;
  /** Sockets of the system's processes to anything but loopback (expected: none). */
  outsideConnections: string[];
}

export function monitor(running: Running, intervalMs = 500) {
  const started = performance.now();
  const loadBefore = round2(loadavg()[0] ?? 0);
  const benchCpuBefore = process.cpuUsage();
  // CPU each process had used when the segment began; a process started later (a restart) counts from 0.
  const atStart = new Map<number, number>();
  let alive = new Set<number>();
  const lastCpu = new Map<number, number>();
  const roleOf = new Map<number, string>();
  const last = new Map<
    number,
    { role: string; pid: number; command: string; rssMB: number; peakRssMB: number }
  >();
  const peakByRole: Record<string, number> = {};
  const outside = new Set<string>();
  let peakTotal = 0;
  let ticks = 0;

  const sample = () => {
    let total = 0;
    const byRole: Record<string, number> = {};
    const all: number[] = [];
    for (const { role, tree } of running.parts()) {
      const pids = treePids([tree.pid]);
      all.push(...pids);
      for (const [pid, cpu] of cpuSeconds(pids)) {
        if (ticks === 0) atStart.set(pid, cpu);
        lastCpu.set(pid, cpu);
        roleOf.set(pid, role);
      }
      for (const pid of pids) {
        const memory = processMemory(pid);
        if (!memory) continue;
        last.set(pid, { role, ...memory });
        byRole[role] = (byRole[role] ?? 0) + memory.rssMB;
        total += memory.rssMB;
      }
    }
    for (const [role, mb] of Object.entries(byRole))
      peakByRole[role] = Math.max(peakByRole[role] ?? 0, round1(mb));
    peakTotal = Math.max(peakTotal, round1(total));
    alive = new Set(all);
    if (ticks % 2 === 0) for (const line of outsideConnections(all)) outside.add(line);
    ticks++;
  };
  sample();
  const timer = setInterval(sample, intervalMs);

  return {
    stop(): SegmentCost {
      clearInterval(timer);
      sample();
      const cpuByRole: Record<string, number> = {};
      for (const [pid, cpu] of lastCpu) {
        const role = roleOf.get(pid) ?? "?";
        cpuByRole[role] = round2((cpuByRole[role] ?? 0) + cpu - (atStart.get(pid) ?? 0));
      }
      const bench = process.cpuUsage(benchCpuBefore);
      return {
        wallSeconds: round1((performance.now() - started) / 1000),
        loadAverage1m: [loadBefore, round2(loadavg()[0] ?? 0)],
        cpuSecondsByRole: cpuByRole,
        benchCpuSeconds: round2((bench.user + bench.system) / 1e6),
        peakTotalRssMB: peakTotal,
        peakRssMBByRole: peakByRole,
        processes: [...last.values()].filter((p) => alive.has(p.pid)),
        outsideConnections: [...outside],
      };
    },
  };
}

/** CPU milliseconds the system (all its processes) spent per lead in a segment. */
export function cpuMsPerLead(cost: SegmentCost, leads: number): number | undefined {
  if (leads <= 0) return undefined;
  const seconds = Object.values(cost.cpuSecondsByRole).reduce((sum, s) => sum + s, 0);
  return Math.round((seconds * 1000 * 100) / leads) / 100;
}

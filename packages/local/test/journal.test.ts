import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Journal } from "../src/journal";
import { writtenValue } from "./fixtures/journal-writer";
import { REPO_ROOT, waitFor } from "./harness";

const dirs: string[] = [];
const journals: Journal[] = [];
function fresh(): string {
  const dir = mkdtempSync(join(tmpdir(), "leadrelay-journal-"));
  dirs.push(dir);
  return dir;
}
function open(directory: string, options: Partial<ConstructorParameters<typeof Journal>[0]> = {}) {
  const lines: string[] = [];
  const journal = new Journal({ directory, print: (line) => lines.push(line), ...options });
  journals.push(journal);
  return { journal, lines };
}
const segmentsOf = (dir: string) =>
  readdirSync(dir)
    .filter((name) => name.endsWith(".log"))
    .sort();
afterEach(async () => {
  await Promise.all(journals.splice(0).map((journal) => journal.close().catch(() => {})));
});

describe("journal: one append-only log with an index", () => {
  it("keeps values, meta and deletions across a reopen", async () => {
    const dir = fresh();
    const { journal } = open(dir);
    await Promise.all([
      journal.put("o/a", Buffer.from("first"), { t: 1 }),
      journal.put("o/b", Buffer.from("bee")),
      journal.put("x/c", Buffer.alloc(0)),
    ]);
    await journal.put("o/a", Buffer.from("second"), { t: 2 });
    await journal.delete("o/b");
    expect(journal.read("o/a")?.toString()).toBe("second");
    expect(journal.read("o/b")).toBeUndefined();
    await journal.close();

    const again = open(dir).journal;
    expect(again.read("o/a")?.toString()).toBe("second");
    expect(again.meta("o/a")).toEqual({ t: 2 });
    expect(again.has("o/b")).toBe(false);
    expect(again.read("x/c")).toEqual(Buffer.alloc(0));
    expect([...again.entries("o/")].map(([key]) => key)).toEqual(["o/a"]);
  });

  it("cuts a torn tail (a write a crash interrupted) and keeps every whole record before it", async () => {
    const dir = fresh();
    const { journal } = open(dir);
    for (let i = 0; i < 20; i++) await journal.put(`k${i}`, Buffer.from(`v${i}`));
    await journal.close();
    const [segment] = segmentsOf(dir);
    const file = join(dir, segment as string);
    const whole = statSync(file).size;
    // Half a record: its header says 100 bytes, only a few follow.
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(100, 0);
    appendFileSync(file, torn);

    const { journal: again, lines } = open(dir);
    expect(statSync(file).size).toBe(whole);
    expect(lines.join("\n")).toMatch(/cut a torn tail of 12 bytes/);
    for (let i = 0; i < 20; i++) expect(again.read(`k${i}`)?.toString()).toBe(`v${i}`);
    // Writes after the cut land on whole records and survive the next open.
    await again.put("after", Buffer.from("cut"));
    await again.close();
    expect(open(dir).journal.read("after")?.toString()).toBe("cut");
  });

  it("drops a last record whose checksum does not match", async () => {
    const dir = fresh();
    const { journal } = open(dir);
    await journal.put("kept", Buffer.from("fine"));
    await journal.put("flipped", Buffer.from("will be damaged"));
    await journal.close();
    const file = join(dir, segmentsOf(dir)[0] as string);
    const bytes = readFileSync(file);
    bytes[bytes.length - 3] = (bytes[bytes.length - 3] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    const { journal: again, lines } = open(dir);
    expect(again.read("kept")?.toString()).toBe("fine");
    expect(again.has("flipped")).toBe(false);
    expect(lines).toHaveLength(1);
  });

  it("compacts when dead bytes pass the share: live records move, writes during it are kept, nothing comes back", async () => {
    const dir = fresh();
    const { journal } = open(dir, { compactMinBytes: 64 * 1024, compactDeadShare: 0.5 });
    const big = (i: number) => Buffer.alloc(1024, i % 256);
    await journal.put("deleted", Buffer.from("gone soon"));
    for (let round = 0; round < 20; round++)
      await Promise.all(Array.from({ length: 20 }, (_, i) => journal.put(`key-${i}`, big(round * 20 + i))));
    await journal.delete("deleted");
    // Writes racing a compaction.
    const compaction = journal.compact();
    const during = Array.from({ length: 50 }, (_, i) => journal.put(`during-${i}`, Buffer.from(`d${i}`)));
    await Promise.all([compaction, ...during]);
    await journal.flush();
    const stats = journal.stats();
    expect(stats.compactions).toBeGreaterThanOrEqual(1);
    expect(stats.deadBytes).toBeLessThan(stats.liveBytes);
    const check = (j: Journal) => {
      for (let i = 0; i < 20; i++) expect(j.read(`key-${i}`)).toEqual(big(19 * 20 + i));
      for (let i = 0; i < 50; i++) expect(j.read(`during-${i}`)?.toString()).toBe(`d${i}`);
      expect(j.has("deleted")).toBe(false);
    };
    check(journal);
    await journal.close();
    const again = open(dir).journal;
    check(again);
    expect(again.stats().records).toBe(70);
  });

  it("a compaction a crash interrupted (its temp file left) changes nothing", async () => {
    const dir = fresh();
    const { journal } = open(dir);
    await journal.put("a", Buffer.from("A"));
    await journal.close();
    writeFileSync(join(dir, `${segmentsOf(dir)[0]}.compact.tmp`), "half a copy");
    const again = open(dir).journal;
    expect(again.read("a")?.toString()).toBe("A");
    expect(readdirSync(dir).some((name) => name.endsWith(".tmp"))).toBe(false);
  });

  it("kill -9 while writing: every acknowledged write is there, whole, after the reopen", async () => {
    const dir = fresh();
    const child = spawn(
      process.execPath,
      [
        "--import",
        pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href,
        join(REPO_ROOT, "packages/local/test/fixtures/journal-writer.ts"),
        dir,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += String(chunk);
    });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    // Long enough for the small threshold to compact a few times while it writes.
    await waitFor(() => (output.match(/^ack /gm)?.length ?? 0) >= 3000 || undefined, 60_000, "3,000 acks");
    child.kill("SIGKILL");
    await exited;
    const acked = new Map<number, number>();
    for (const [, n] of output.matchAll(/^ack (\d+)$/gm)) {
      const i = Number(n);
      acked.set(i % 400, Math.max(acked.get(i % 400) ?? -1, i));
    }
    const { journal } = open(dir);
    for (const [slot, last] of acked) {
      // The newest acknowledged write of each key, or one that came after it (in flight when killed).
      const meta = journal.meta<{ n: number }>(`writer-${slot}`);
      expect(meta?.n, `writer-${slot}`).toBeGreaterThanOrEqual(last);
      expect(journal.read(`writer-${slot}`)).toEqual(writtenValue(meta?.n ?? -1));
    }
  }, 90_000);
});

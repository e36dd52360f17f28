import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryStore } from "../../functions/test/fakes";
import { createStandIn, type StandIn } from "../src/stand-ins/stand-in";

const echo = { slug: "echo", title: "Echo", respond: () => ({ status: 200, json: { ok: true } }) };

async function serve(standIn: StandIn) {
  const server = createServer((req, res) => void standIn.handle(req, res, req.url ?? "/"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    send: (n: number) => fetch(`${url}/things/${n}`, { method: "POST", body: JSON.stringify({ n }) }),
    listed: async () =>
      (await (await fetch(`${url}/_requests`)).json()) as {
        slug: string;
        requests: Array<{ id: number; body: unknown }>;
      },
    clear: () => fetch(`${url}/_requests`, { method: "DELETE" }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("a stand-in's request log: a window in memory, everything on disk", () => {
  it("keeps only its latest requests in memory; _requests lists every one in order, also after a restart and a clear", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "leadrelay-stand-in-log-"));
    const make = () => createStandIn(echo, { dataDir, store: new MemoryStore(), requestsInMemory: 5 });
    const first = make();
    const http = await serve(first);
    for (let n = 1; n <= 12; n++) await http.send(n);
    expect(first.requests().map((request) => request.id)).toEqual([8, 9, 10, 11, 12]);
    const listed = await http.listed();
    expect(listed.slug).toBe("echo");
    expect(listed.requests.map((request) => request.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(listed.requests.map((request) => request.body)).toEqual(
      Array.from({ length: 12 }, (_, i) => ({ n: i + 1 })),
    );
    await http.close();
    await first.close();

    const second = make();
    expect(second.requests().map((request) => request.id)).toEqual([8, 9, 10, 11, 12]);
    const again = await serve(second);
    await again.send(13);
    expect((await again.listed()).requests.map((request) => request.id)).toEqual(
      Array.from({ length: 13 }, (_, i) => i + 1),
    );
    expect((await again.clear()).status).toBe(204);
    await again.send(14);
    expect((await again.listed()).requests.map((request) => request.body)).toEqual([{ n: 14 }]);
    await again.close();
    await second.close();
  });
});

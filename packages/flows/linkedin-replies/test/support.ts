import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { HubSpotAssociation, type HubSpotCrm } from "@leadrelay/core";
import { createHubSpotCrm } from "@leadrelay/functions/adapters/hubspot";
import { MemoryStore } from "../../../functions/test/fakes";
import { hubspotStandIn } from "../../../local/src/stand-ins/hubspot";
import { createStandIn } from "../../../local/src/stand-ins/stand-in";
import { tempDir } from "../../../local/test/harness";
import { CUSTOM_PROPERTIES } from "../src/domain/hubspot-properties";
import type { ReplySummary } from "../src/domain/reply";

export const FIXTURES = new URL("../fixtures/lgm/", import.meta.url).pathname;

/** A fixture's bytes as a delivery would carry them. */
export function fixtureText(name: string): string {
  return readFileSync(`${FIXTURES}${name}`, "utf8");
}
export function fixture(name: string): Record<string, unknown> {
  return JSON.parse(fixtureText(name)) as Record<string, unknown>;
}

export interface CrmState {
  contacts: Array<{ id: string; properties: Record<string, string> }>;
  deals: Array<{ id: string; properties: Record<string, string> }>;
  notes: Array<{ id: string; properties: Record<string, string> }>;
  associations: Array<{ fromType: string; fromId: string; toType: string; toId: string; typeId: number }>;
}

/**
 * The HubSpot stand-in (the same module the local runtime serves) on its own loopback server, with
 * a clock the test moves: handler tests run the real adapter against HubSpot's rules and assert on
 * the CRM's state.
 */
export async function hubspotLoopback(
  options: { searchLagMs?: number; setUp?: boolean; dataDir?: string } = {},
) {
  let now = Date.parse("2026-11-20T14:08:11.000Z");
  const standIn = createStandIn(hubspotStandIn(), {
    dataDir: options.dataDir ?? tempDir("hubspot-stand-in-"),
    store: new MemoryStore(),
    now: () => now,
  });
  const server = createServer((req, res) => {
    standIn.handle(req, res, req.url ?? "/").catch((error: unknown) => {
      res.writeHead(599).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const control = (path: string, init?: RequestInit) => fetch(`${url}${path}`, init);
  const setSearchLag = (ms: number) =>
    control("/_settings", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ searchLagMs: ms }),
    });
  await setSearchLag(options.searchLagMs ?? 0);
  const crm: HubSpotCrm = createHubSpotCrm({ baseUrl: url, token: "test-token" }, { timeoutMs: 2_000 });
  if (options.setUp !== false) {
    for (const { type, definition } of CUSTOM_PROPERTIES) await crm.createProperty(type, definition);
  }
  return {
    url,
    crm,
    standIn,
    clock: () => now,
    /** How far search lags writes (the stand-in's `PUT /_settings`). */
    setSearchLag,
    advance(ms: number) {
      now += ms;
    },
    async state(): Promise<CrmState> {
      return (await (await control("/_state")).json()) as CrmState;
    },
    /** Scripts the next matching request(s) to fail, as `POST /_local/hubspot/_fail` does. */
    async fail(script: Record<string, unknown>) {
      await control("/_fail", { method: "POST", body: JSON.stringify(script) });
    },
    requests: () => standIn.requests(),
    async close() {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      // As the runtime does when it stops: the state written coalesced is flushed to disk.
      await standIn.close();
    },
  };
}
export type HubSpotLoopback = Awaited<ReturnType<typeof hubspotLoopback>>;

/** Who is associated to what, as `from→to` pairs with the type id. */
export function associationPairs(state: CrmState): string[] {
  return state.associations.map((a) => `${a.fromType}:${a.fromId}→${a.toType}:${a.toId}#${a.typeId}`).sort();
}

export const TYPES = HubSpotAssociation;

export function summary(overrides: Partial<ReplySummary> = {}): ReplySummary {
  return {
    source: "webhook",
    replyKey: "flows/linkedin-replies/replies/conv1/msg1.json",
    replyRef: "lgm-conv1-msg1",
    conversationKey: "conv1",
    messageKey: "msg1",
    conversationId: "conv1",
    email: "ada@example.com",
    linkedinUrl: "https://www.linkedin.com/in/ada",
    firstname: "Ada",
    lastname: "Lovelace",
    campaign: "Q4 Founders",
    sentAt: "2026-11-20T14:00:00.000Z",
    ...overrides,
  };
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLgmApi } from "@leadrelay/functions/adapters/lgm";
import { afterAll, describe, expect, it } from "vitest";
import { LOCAL_LGM_API_KEY, lgmStandIn } from "../src/stand-ins/lgm";
import type { StandInContext, StandInRequest } from "../src/stand-ins/stand-in";

/**
 * LGM counts a conversation's pages from 0 (its own n8n node, LaGrowthMachine/n8n-nodes-lagrowthmachine:
 * "Page-number pagination (page=0,1,2…)", first read `{ page: 0 }`). The stand-in answers the same
 * way, and the adapter's first page (1) is the stand-in's page 0.
 */

const CONVERSATION = "65f1a2b3c4d5e6f708192a01";
const MESSAGES = Array.from({ length: 25 }, (_, index) => ({
  id: `m${index}`,
  status: "RECEIVED",
  text: `#${index}`,
}));
const dataDir = mkdtempSync(join(tmpdir(), "lgm-stand-in-"));
mkdirSync(join(dataDir, "conversations"));
writeFileSync(join(dataDir, "conversations", `${CONVERSATION}.json`), JSON.stringify(MESSAGES));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const standIn = lgmStandIn();
const context = {
  dataDir,
  store: {} as StandInContext["store"],
  state: {},
  save() {},
  now: () => Date.now(),
  requests: () => [],
} satisfies StandInContext;

function request(path: string, query: Record<string, string> = {}): StandInRequest {
  return {
    method: "GET",
    path,
    query: new URLSearchParams(query),
    headers: { "x-api-key": LOCAL_LGM_API_KEY },
    body: Buffer.alloc(0),
    text: "",
    json: undefined,
  };
}

const idsOf = (json: unknown) => (json as { data: Array<{ id: string }> }).data.map((message) => message.id);

describe("LGM stand-in: conversation pages", () => {
  it("serves page 0 as the first page and page 1 as the second, as LGM does; no page is page 0", async () => {
    const path = `/conversations/${CONVERSATION}/messages`;
    const first = await standIn.respond(request(path, { page: "0" }), context);
    const second = await standIn.respond(request(path, { page: "1" }), context);
    const unpaged = await standIn.respond(request(path), context);
    expect(idsOf(first.json)).toEqual(MESSAGES.slice(0, 20).map((message) => message.id));
    expect(idsOf(second.json)).toEqual(["m20", "m21", "m22", "m23", "m24"]);
    expect(idsOf(unpaged.json)).toEqual(idsOf(first.json));
    expect(second.json).toMatchObject({ total: 25, page: 1 });
  });

  it("answers the adapter's first and second pages with the conversation's first and second", async () => {
    const api = createLgmApi(
      { baseUrl: "http://lgm.stand-in.test/flow", apiKey: LOCAL_LGM_API_KEY },
      {
        fetch: async (url, init) => {
          const target = new URL(String(url));
          const reply = await standIn.respond(
            {
              ...request(target.pathname.replace(/^\/flow/, "")),
              query: target.searchParams,
              headers: init?.headers as Record<string, string>,
            },
            context,
          );
          return new Response(JSON.stringify(reply.json), {
            status: reply.status,
            headers: { "content-type": "application/json" },
          });
        },
      },
    );
    expect(idsOf(await api.conversationMessages(CONVERSATION, 1))).toEqual(
      MESSAGES.slice(0, 20).map((message) => message.id),
    );
    expect(idsOf(await api.conversationMessages(CONVERSATION, 2))).toEqual([
      "m20",
      "m21",
      "m22",
      "m23",
      "m24",
    ]);
  });
});

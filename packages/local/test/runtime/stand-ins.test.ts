import { createS3Client, createS3Store } from "@leadrelay/functions";
import { afterEach, describe, expect, it } from "vitest";
import { type RuntimeServer, startServer } from "../../src/runtime/server";
import { type StandIns, startStandIns } from "../../src/runtime/stand-ins";
import { ownersStandIn } from "../../src/stand-ins/owners";
import type { StandInSpec } from "../../src/stand-ins/stand-in";
import { tempDir } from "../harness";

const DEMO_OWNED_LEAD = "lead_8VbN2qR5tX0mLk7Zs3Wc9Yp1Hd4Fg6Je2Ua5Ti8Ko0Q";
// Stand-ins here never touch the bucket: a store that points nowhere is enough.
const store = createS3Store(createS3Client({ endpoint: "http://127.0.0.1:9", region: "us-east-1" }), "none");

function echo(slug: string, fills?: StandInSpec["fills"]): StandInSpec {
  return {
    slug,
    title: slug.toUpperCase(),
    baseUrlVariable: `${slug.toUpperCase()}_BASE_URL`,
    ...(fills ? { fills } : {}),
    respond: (request) => ({ status: 200, json: { path: request.path, query: request.query.toString() } }),
  };
}

let server: RuntimeServer | undefined;
let standIns: StandIns | undefined;

function start(
  settings: Record<string, string | undefined>,
  specs?: StandInSpec[],
  url = "http://127.0.0.1:1",
) {
  standIns = startStandIns({
    settings,
    dataDir: tempDir(),
    url,
    store,
    print: () => {},
    ...(specs ? { specs } : {}),
  });
  return standIns;
}
afterEach(async () => {
  await server?.close();
  await standIns?.close();
  server = undefined;
  standIns = undefined;
});

describe("the stand-ins part", () => {
  it("fills an unset vendor's base URL and credentials, and leaves a given one alone", () => {
    const settings: Record<string, string | undefined> = { BETA_BASE_URL: "https://beta.example" };
    const fills = (slug: string) => (url: string) => ({
      [`${slug.toUpperCase()}_BASE_URL`]: url,
      [`${slug.toUpperCase()}_KEY`]: "dummy",
    });
    const { filled, bySlug } = start(settings, [echo("alpha", fills("alpha")), echo("beta", fills("beta"))]);
    expect(settings).toEqual({
      ALPHA_BASE_URL: "http://127.0.0.1:1/_local/alpha",
      ALPHA_KEY: "dummy",
      BETA_BASE_URL: "https://beta.example",
    });
    expect(filled).toEqual({ ALPHA_BASE_URL: "http://127.0.0.1:1/_local/alpha", ALPHA_KEY: "dummy" });
    expect(Object.keys(bySlug)).toEqual(["alpha", "beta"]);
  });

  it("keeps a credential that was given when it fills the base URL", () => {
    const settings: Record<string, string | undefined> = { ALPHA_KEY: "mine" };
    const { filled } = start(settings, [
      echo("alpha", (url) => ({ ALPHA_BASE_URL: url, ALPHA_KEY: "dummy" })),
    ]);
    expect(settings.ALPHA_KEY).toBe("mine");
    expect(filled).toEqual({ ALPHA_BASE_URL: "http://127.0.0.1:1/_local/alpha" });
  });

  it("stops start-up when LEADRELAY_STANDIN_LIMITS names no stand-in", () => {
    expect(() => start({ LEADRELAY_STANDIN_LIMITS: "nope=5/1s" }, [echo("alpha")])).toThrow(
      'LEADRELAY_STANDIN_LIMITS names no stand-in "nope"',
    );
  });

  it("serves /_local/<slug>/… with the path and query after the slug", async () => {
    server = await startServer(0, () => {});
    const { route, records } = start({}, [echo("alpha")], server.url);
    server.serve(async (req, res) => {
      const handler = route((req.url ?? "/").split("?")[0] ?? "/");
      if (handler) return handler(req, res);
      res.writeHead(404).end();
    });
    const answer = await fetch(`${server.url}/_local/alpha/v1/things?limit=2&x=a?b`);
    expect(await answer.json()).toEqual({ path: "/v1/things", query: "limit=2&x=a%3Fb" });
    expect(route("/_local/beta/x")).toBeUndefined();
    expect(route("/webhook/close")).toBeUndefined();
    expect(records()).toEqual([
      { slug: "alpha", title: "ALPHA", requests: [expect.objectContaining({ method: "GET", status: 200 })] },
    ]);
  });

  it("serves Slack and every vendor by default, Slack first, the owner files from the demo folder", async () => {
    const settings: Record<string, string | undefined> = {};
    const { bySlug, slackMessages } = start(settings);
    expect(Object.keys(bySlug).slice(0, 3)).toEqual(["slack", "owners", "close"]);
    expect(settings.OWNER_BASE_URL).toBe("http://127.0.0.1:1/_local/owners");
    expect(slackMessages()).toEqual([]);
    const owned = await ownersStandIn().respond(
      { method: "GET", path: `/${DEMO_OWNED_LEAD}.json` } as never,
      {} as never,
    );
    expect(owned).toMatchObject({ status: 200 });
  });
});

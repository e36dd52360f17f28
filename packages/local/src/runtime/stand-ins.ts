import type { ObjectStore } from "@leadrelay/core";
import type { FlowSpec } from "@leadrelay/functions/flow-spec";
import { VENDOR_STAND_INS } from "../stand-ins";
import { parseStandInLimits } from "../stand-ins/rate-limit";
import { type SlackMessageEntry, slackMessagesOf, slackStandIn } from "../stand-ins/slack";
import { createStandIn, type StandIn, type StandInSpec } from "../stand-ins/stand-in";
import type { Env, Print, RequestHandler } from "./types";

/** The stand-ins' own data (Close's leads, Meta's forms) when LEADRELAY_STANDIN_DIR is unset. */
export const DEMO_STAND_IN_DIR = new URL("../../demo/stand-ins", import.meta.url).pathname;

export interface StandIns {
  /** Every stand-in by slug, Slack first, served at `/_local/<slug>`. */
  bySlug: Record<string, StandIn>;
  /** The variables the stand-ins filled in because they were unset (name → value). */
  filled: Record<string, string>;
  /** Every stand-in and what it received, for the console. */
  records(): Array<{ slug: string; title: string; requests: readonly unknown[] }>;
  /** What the Slack stand-in accepted, in order. */
  slackMessages(): SlackMessageEntry[];
  /** The stand-in serving `path` (`/_local/<slug>/…`), if any. */
  route(path: string): RequestHandler | undefined;
  close(): Promise<void>;
}

/**
 * Every vendor's stand-in, served under `<url>/_local/<slug>`. For a vendor whose base URL variable
 * is unset, the stand-in fills it (and its dummy credentials) into `settings`, so the flows call the
 * stand-in; a value given wins. LEADRELAY_STANDIN_LIMITS naming no stand-in stops start-up.
 */
export function startStandIns(options: {
  settings: Env;
  dataDir: string;
  url: string;
  store: ObjectStore;
  print: Print;
  /** The chosen flows (the HubSpot stand-in holds the properties they write). */
  flows?: readonly FlowSpec[];
  /** The specs to serve; every vendor's (VENDOR_STAND_INS) besides Slack by default. */
  specs?: readonly StandInSpec[];
}): StandIns {
  const { settings } = options;
  const specs = options.specs ?? [
    slackStandIn(options.print),
    ...VENDOR_STAND_INS.map((make) => make(settings, options.flows)),
  ];
  const limits = parseStandInLimits(settings.LEADRELAY_STANDIN_LIMITS);
  for (const slug of Object.keys(limits)) {
    if (!specs.some((spec) => spec.slug === slug))
      throw new Error(`LEADRELAY_STANDIN_LIMITS names no stand-in "${slug}"`);
  }
  const standInDir = settings.LEADRELAY_STANDIN_DIR ?? DEMO_STAND_IN_DIR;
  const bySlug: Record<string, StandIn> = {};
  const filled: Record<string, string> = {};
  for (const spec of specs) {
    const limit = limits[spec.slug];
    bySlug[spec.slug] = createStandIn(spec, {
      dataDir: options.dataDir,
      standInDir,
      store: options.store,
      limit,
    });
    const given = spec.baseUrlVariable ? settings[spec.baseUrlVariable] : undefined;
    if (!spec.fills || given !== undefined) continue;
    for (const [name, value] of Object.entries(spec.fills(`${options.url}/_local/${spec.slug}`))) {
      if (settings[name] === undefined) filled[name] = value;
      settings[name] ??= value;
    }
  }
  return {
    bySlug,
    filled,
    records: () =>
      Object.values(bySlug).map((standIn) => ({
        slug: standIn.spec.slug,
        title: standIn.spec.title,
        requests: standIn.requests(),
      })),
    slackMessages: () => {
      const slack = bySlug.slack;
      return slack ? slackMessagesOf(slack.requests()) : [];
    },
    route(path) {
      const local = /^\/_local\/([a-z0-9-]+)(\/.*)?$/.exec(path);
      const standIn = local ? bySlug[local[1] ?? ""] : undefined;
      if (!standIn) return undefined;
      return (req, res) => {
        const query = (req.url ?? "").includes("?")
          ? `?${(req.url ?? "").split("?").slice(1).join("?")}`
          : "";
        return standIn.handle(req, res, `${local?.[2] ?? "/"}${query}`);
      };
    },
    close: async () => {
      await Promise.all(Object.values(bySlug).map((standIn) => standIn.close()));
    },
  };
}

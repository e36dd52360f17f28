import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { isValidLeadId } from "@leadrelay/core";
import type { StandInReply, StandInSpec } from "./stand-in";

/** announce's demo owner files (one per demo lead that has an owner). */
export const DEMO_OWNERS_DIR = new URL("../../demo/owners", import.meta.url).pathname;

const ACCESS_DENIED: StandInReply = {
  status: 403,
  headers: { "content-type": "application/xml" },
  text: "<Error><Code>AccessDenied</Code></Error>",
};

/**
 * The public owner bucket (when OWNER_BASE_URL is unset): `GET /{lead_id}.json` from a folder
 * (LEADRELAY_OWNERS_DIR, the demo owners when unset); 403 when the file is absent, as S3 answers
 * for a missing public object.
 */
export function ownersStandIn(directory: string = DEMO_OWNERS_DIR): StandInSpec {
  return {
    slug: "owners",
    title: "Owner files",
    baseUrlVariable: "OWNER_BASE_URL",
    fills: (url) => ({ OWNER_BASE_URL: url }),
    async respond(request) {
      if (request.method !== "GET" && request.method !== "HEAD")
        return { status: 405, headers: { allow: "GET" } };
      const leadId = /^\/([^/]+)\.json$/.exec(request.path)?.[1];
      if (!leadId || !isValidLeadId(leadId)) return ACCESS_DENIED;
      try {
        const body = await readFile(join(directory, `${leadId}.json`), "utf8");
        return { status: 200, headers: { "content-type": "application/json" }, text: body };
      } catch {
        return ACCESS_DENIED;
      }
    },
  };
}

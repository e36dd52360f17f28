import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { META_SIGNATURE_HEADER, signMetaPayload } from "@leadrelay/core";

export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

export interface ChangeSpec {
  leadgenId: string;
  field?: string;
  /** Ids as bare JSON numbers (as in Meta's sample) or as strings. */
  as?: "number" | "string";
}

/**
 * A Page webhook body, written as text so that ids can be JSON numbers of any length (a JS number
 * would round a 17-digit id before it was ever sent).
 */
export function leadgenBody(entries: ChangeSpec[][], pageId = "153125381133"): string {
  const entryText = entries.map((changes, i) => {
    const changeText = changes.map((change) => {
      const id = change.as === "string" ? `"${change.leadgenId}"` : change.leadgenId;
      const value = `{"leadgen_id":${id},"page_id":${pageId},"form_id":447333180259108,"adgroup_id":23849853425900183,"ad_id":23849853425890183,"created_time":1763647391}`;
      return `{"field":"${change.field ?? "leadgen"}","value":${value}}`;
    });
    return `{"id":${pageId},"time":${1763647391 + i},"changes":[${changeText.join(",")}]}`;
  });
  return `{"object":"page","entry":[${entryText.join(",")}]}`;
}

/** One entry with one leadgen change per id. */
export const leadsBody = (...ids: string[]) => leadgenBody([ids.map((leadgenId) => ({ leadgenId }))]);

export function metaHeaders(appSecret: string, body: string | Uint8Array): Record<string, string> {
  return { "content-type": "application/json", [META_SIGNATURE_HEADER]: signMetaPayload(appSecret, body) };
}

/** A lead the meta stand-in serves from `<standInDir>/meta/leads/<id>.json`. */
export function writeGraphLead(standInDir: string, leadgenId: string, email: string, name = "Test Person") {
  const dir = join(standInDir, "meta", "leads");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${leadgenId}.json`),
    JSON.stringify({
      field_data: [
        { name: "full_name", values: [name] },
        { name: "email", values: [email] },
        { name: "phone_number", values: ["+15555550123"] },
        { name: "which_plan_interests_you", values: ["annual"] },
      ],
    }),
  );
}

/** A member file for the members stand-in. */
export function writeMember(membersDir: string, email: string, status: string) {
  mkdirSync(membersDir, { recursive: true });
  writeFileSync(
    join(membersDir, `${email.replace(/[^a-z0-9]+/gi, "_")}.json`),
    JSON.stringify({ email, status }),
  );
}

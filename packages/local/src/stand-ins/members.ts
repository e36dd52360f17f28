import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { StandInSpec } from "./stand-in";

export const DEMO_MEMBERS_DIR = new URL("../../demo/members", import.meta.url).pathname;

/** `{ email, status }` from one file; anything else is skipped (a half-edited file must not stop the others). */
function memberOf(text: string): { email: string; status: string } | undefined {
  try {
    const member = JSON.parse(text) as { email?: unknown; status?: unknown };
    if (typeof member.email !== "string" || typeof member.status !== "string") return undefined;
    return { email: member.email.trim().toLowerCase(), status: member.status };
  } catch {
    return undefined;
  }
}

async function findMember(directory: string, email: string) {
  let files: string[];
  try {
    files = (await readdir(directory)).filter((file) => file.endsWith(".json"));
  } catch {
    return undefined;
  }
  for (const file of files.sort()) {
    const member = memberOf(await readFile(join(directory, file), "utf8").catch(() => ""));
    if (member?.email === email) return member;
  }
  return undefined;
}

/**
 * The membership directory (when MEMBERS_BASE_URL is unset): `GET /members?email=` answers 200
 * `{ email, status }` from a folder of JSON files `<anything>.json`, each `{ "email", "status" }`
 * (LEADRELAY_MEMBERS_DIR, else packages/local/demo/members), read on every request so an edit shows
 * at once; 404 when no file has the email.
 */
export function membersStandIn(directory?: string): StandInSpec {
  const folder = () => directory ?? DEMO_MEMBERS_DIR;
  return {
    slug: "members",
    title: "Membership directory",
    baseUrlVariable: "MEMBERS_BASE_URL",
    fills: (url) => ({ MEMBERS_BASE_URL: url }),
    async respond(request) {
      if (request.path !== "/members" && request.path !== "/members/") {
        return { status: 404, json: { error: "not found" } };
      }
      if (request.method !== "GET")
        return { status: 405, headers: { allow: "GET" }, json: { error: "use GET" } };
      const email = request.query.get("email")?.trim().toLowerCase();
      if (!email) return { status: 400, json: { error: "email is required" } };
      const member = await findMember(folder(), email);
      if (!member) return { status: 404, json: { error: "no member with this email" } };
      return { status: 200, json: member };
    },
  };
}

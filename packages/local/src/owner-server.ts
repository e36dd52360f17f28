import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { isValidLeadId } from "@leadrelay/core";

/**
 * Stands in for the public owner bucket when OWNER_BASE_URL is unset: `GET /{lead_id}.json`
 * from a folder; 403 when the file is absent, as S3 answers for a missing public object.
 */
export function createOwnerServer(directory: string) {
  return async function handle(req: IncomingMessage, res: ServerResponse, path: string) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    const leadId = /^\/([^/]+)\.json$/.exec(path)?.[1];
    if (!leadId || !isValidLeadId(leadId)) {
      res
        .writeHead(403, { "content-type": "application/xml" })
        .end("<Error><Code>AccessDenied</Code></Error>");
      return;
    }
    try {
      const body = await readFile(join(directory, `${leadId}.json`));
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body);
    } catch {
      res
        .writeHead(403, { "content-type": "application/xml" })
        .end("<Error><Code>AccessDenied</Code></Error>");
    }
  };
}

import {
  type OwnerDirectory,
  OwnerLookupUnavailable,
  OwnerNotAssigned,
  OwnerRecord,
  OwnerRecordInvalid,
} from "@leadrelay/core";

/** `GET {baseUrl}/{leadId}.json` on a public bucket: 403/404 mean "no owner yet". */
export function createHttpOwnerDirectory(
  baseUrl: string,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): OwnerDirectory {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 8_000;
  return {
    async lookup(leadId) {
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}/${encodeURIComponent(leadId)}.json`, {
          headers: { accept: "application/json" },
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new OwnerLookupUnavailable(
          leadId,
          error instanceof Error ? `${error.name}: ${error.message}` : "request failed",
        );
      }
      if (response.status === 403 || response.status === 404) {
        await response.body?.cancel();
        throw new OwnerNotAssigned(leadId, response.status);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new OwnerLookupUnavailable(leadId, `HTTP ${response.status}`);
      }
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        throw new OwnerRecordInvalid(leadId, "body is not JSON");
      }
      const parsed = OwnerRecord.safeParse(json);
      if (!parsed.success)
        throw new OwnerRecordInvalid(leadId, parsed.error.issues[0]?.message ?? "wrong shape");
      if (parsed.data.lead_id && parsed.data.lead_id !== leadId) {
        throw new OwnerRecordInvalid(leadId, `file is for ${parsed.data.lead_id}`);
      }
      return parsed.data;
    },
  };
}

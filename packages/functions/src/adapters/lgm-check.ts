import { type CheckOptions, type CheckResult, joinUrl, readCheck, result } from "./vendor-check";

/** La Growth Machine: `GET /members` with the API key (LGM's own credential test, §6). */
export function checkLgm(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["LGM_BASE_URL", "LGM_API_KEY"];
  return readCheck(
    {
      vendor: "lgm",
      baseUrlVariable: "LGM_BASE_URL",
      variables,
      url: joinUrl(config.baseUrl, "members"),
      request: { headers: { "x-api-key": config.apiKey } },
      ok(answer) {
        const members = Array.isArray(answer.json) ? ` (${answer.json.length} members)` : "";
        return result("lgm", "ok", `API key accepted${members}`, variables);
      },
      refused: {
        variables: ["LGM_API_KEY"],
        what: "LGM refused the key",
        fix: "copy the API key from LGM (Settings → API; the API needs the Pro plan) into LGM_API_KEY",
      },
    },
    options,
  );
}

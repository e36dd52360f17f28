import {
  type CheckOptions,
  type CheckResult,
  joinUrl,
  probe,
  result,
  runCheck,
  vendorMessage,
} from "./vendor-check";

/** La Growth Machine: `GET /members` with the API key (LGM's own credential test, §6). */
export async function checkLgm(
  config: { baseUrl: string; apiKey: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["LGM_BASE_URL", "LGM_API_KEY"];
  return runCheck("lgm", "LGM_BASE_URL", variables, async () => {
    const answer = await probe(
      joinUrl(config.baseUrl, "members"),
      { headers: { "x-api-key": config.apiKey } },
      options,
    );
    if (answer.status === 200) {
      const members = Array.isArray(answer.json) ? answer.json.length : undefined;
      return result(
        "lgm",
        "ok",
        `API key accepted${members === undefined ? "" : ` (${members} members)`}`,
        variables,
      );
    }
    if (answer.status === 401 || answer.status === 403) {
      return result(
        "lgm",
        "broken",
        `LGM refused the key (${vendorMessage(answer)})`,
        ["LGM_API_KEY"],
        "copy the API key from LGM (Settings → API; the API needs the Pro plan) into LGM_API_KEY",
      );
    }
    return result("lgm", "broken", `GET /members answered ${vendorMessage(answer)}`, variables);
  });
}

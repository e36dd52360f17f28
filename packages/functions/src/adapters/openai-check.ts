import {
  type CheckOptions,
  type CheckResult,
  joinUrl,
  probe,
  result,
  runCheck,
  vendorMessage,
} from "./vendor-check";

/**
 * An OpenAI-compatible server: `GET {LLM_BASE_URL}/models` lists the models the key may use; the
 * configured `LLM_MODEL` must be one of them. Local servers ignore the key.
 */
export async function checkLlm(
  config: { baseUrl: string; model: string; apiKey?: string },
  options: CheckOptions = {},
): Promise<CheckResult> {
  const variables = ["LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"];
  return runCheck("llm", "LLM_BASE_URL", variables, async () => {
    const answer = await probe(
      joinUrl(config.baseUrl, "models"),
      { headers: config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {} },
      options,
    );
    if (answer.status === 200) {
      const data = (answer.json as { data?: unknown } | undefined)?.data;
      const ids = Array.isArray(data)
        ? data
            .map((model) => (model as { id?: unknown })?.id)
            .filter((id): id is string => typeof id === "string")
        : [];
      if (ids.includes(config.model))
        return result("llm", "ok", `model ${config.model} is listed`, variables);
      return result(
        "llm",
        "broken",
        `model ${config.model} is not among the ${ids.length} the server lists${ids.length ? ` (${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""})` : ""}`,
        ["LLM_MODEL"],
        "set LLM_MODEL to a listed model id",
      );
    }
    if (answer.status === 401 || answer.status === 403) {
      return result(
        "llm",
        "broken",
        `the server refused the key (${vendorMessage(answer)})`,
        ["LLM_API_KEY"],
        "set LLM_API_KEY to a valid key for LLM_BASE_URL",
      );
    }
    return result("llm", "broken", `GET /models answered ${vendorMessage(answer)}`, variables);
  });
}

/** The console's JSON API, the page settings the server put in <meta>, and the refresh loop. */

const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";

export const settings = {
  token: meta("console-token"),
  mode: meta("console-mode"),
  pollSeconds: Number(meta("console-poll-seconds")) || 5,
};

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.name = body?.error ?? "ApiError";
  }
}

/** A business key's page (lead ids keep their old address); `flow` marks which flow's execution was chosen. */
export function keyUrl(name, flow) {
  const key = name.split("-replay-")[0];
  const base = /^lead_[A-Za-z0-9]+$/.test(key) ? "/console/lead/" : "/console/key/";
  return `${base}${encodeURIComponent(name)}${flow ? `?flow=${encodeURIComponent(flow)}` : ""}`;
}

let clockOffset = 0;
/** The server's clock (execution timestamps come from it), read from the last answer. */
export function serverNow() {
  return Date.now() + clockOffset;
}

async function read(response) {
  const body = await response.json().catch(() => undefined);
  if (!response.ok) throw new ApiError(response.status, body);
  if (typeof body?.serverNow === "number") clockOffset = body.serverNow - Date.now();
  return body;
}

export async function getJson(url) {
  return read(await fetch(url, { headers: { accept: "application/json" }, cache: "no-store" }));
}

/** Mutating calls carry the per-process token: the server refuses them without it. */
export async function postAction(url) {
  return read(
    await fetch(url, {
      method: "POST",
      headers: {
        accept: "application/json",
        "content-type": "application/json",
        "x-console-token": settings.token,
      },
      body: "{}",
    }),
  );
}

/**
 * Calls `refresh` every `seconds` while the tab is visible, never two at once; `now()` runs one
 * immediately (after an action). Returns a controller.
 */
export function poll(refresh, seconds = settings.pollSeconds) {
  let timer;
  let running;
  const live = document.getElementById("live");
  const run = async () => {
    clearTimeout(timer);
    if (running) return running;
    running = (async () => {
      try {
        await refresh();
        if (live) live.dataset.state = "ok";
      } catch (error) {
        if (live) live.dataset.state = "error";
        throw error;
      } finally {
        running = undefined;
        if (document.visibilityState === "visible")
          timer = setTimeout(() => run().catch(() => {}), seconds * 1000);
      }
    })();
    return running;
  };
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") run().catch(() => {});
    else clearTimeout(timer);
  });
  return { now: run };
}

/** Updates every `[data-ends-at]` countdown once a second; calls `onZero` once when one runs out. */
export function tickCountdowns(format, onZero) {
  setInterval(() => {
    const now = serverNow();
    let ended = false;
    for (const element of document.querySelectorAll("[data-ends-at]")) {
      const left = Number(element.dataset.endsAt) - now;
      const text = format(left);
      if (element.textContent !== text) element.textContent = text;
      if (left <= 0 && !element.dataset.ended) {
        element.dataset.ended = "true";
        ended = true;
      }
    }
    // The hold is over: the next state has begun (give the engine a moment), so look again.
    if (ended) setTimeout(() => onZero?.(), 750);
  }, 1000);
}

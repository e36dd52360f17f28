import { getJson, poll } from "./console-api.js";
import { h } from "./elements.js";
import { slackMessage } from "./slack-preview.js";
import { formatCount, formatUtc } from "./time-format.js";

/**
 * What every stand-in of the local runtime received, newest first: method, path, time, status and
 * the body pretty-printed (credentials were blanked when recorded). Slack messages are drawn as Slack shows them.
 */

const root = document.getElementById("stand-ins");
const message = document.getElementById("message");
const live = document.getElementById("live");
let lastText = "";

function pretty(body) {
  if (body === undefined) return undefined;
  return typeof body === "string" ? body : JSON.stringify(body, null, 2);
}

function isSlackMessage(slug, request) {
  return (
    slug === "slack" &&
    request.method === "POST" &&
    request.path === "/" &&
    request.status === 200 &&
    request.body &&
    typeof request.body === "object"
  );
}

function requestItem(slug, request) {
  const body = pretty(request.body);
  const headers = Object.entries(request.headers);
  return h(
    "li",
    {
      class: `received${request.status >= 400 ? " received-error" : ""}`,
      "data-id": request.id,
      "data-status": request.status,
    },
    h(
      "div",
      { class: "received-head" },
      h("strong", { class: "method" }, request.method),
      " ",
      h("code", { class: "path" }, `${request.path}${request.query ? `?${request.query}` : ""}`),
      " ",
      h(
        "span",
        { class: `badge http http-${Math.floor((request.status ?? 0) / 100)}xx` },
        String(request.status ?? "?"),
      ),
      request.scripted ? h("span", { class: "tag" }, "scripted failure") : null,
      " ",
      h("time", { datetime: request.at ?? "" }, formatUtc(request.at)),
    ),
    isSlackMessage(slug, request) ? slackMessage(request.body, { at: request.at }) : null,
    body !== undefined
      ? h(
          "details",
          { id: `body--${slug}--${request.id}`, open: !isSlackMessage(slug, request) },
          h("summary", null, "Body"),
          h("pre", null, body),
        )
      : h("p", { class: "muted" }, "No body."),
    headers.length > 0
      ? h(
          "details",
          { id: `headers--${slug}--${request.id}` },
          h("summary", null, `Headers (${headers.length})`),
          h("pre", null, headers.map(([name, value]) => `${name}: ${value}`).join("\n")),
        )
      : null,
  );
}

function section(standIn) {
  const shown = standIn.requests.length;
  return h(
    "section",
    {
      class: "panel stand-in",
      id: `stand-in-${standIn.slug}`,
      "data-slug": standIn.slug,
      "data-count": standIn.count,
    },
    h("h2", null, standIn.title, " ", h("code", null, `/_local/${standIn.slug}`)),
    h(
      "p",
      { class: "note" },
      standIn.count === 0
        ? "Nothing received yet."
        : `${formatCount(standIn.count)} request${standIn.count === 1 ? "" : "s"} received${shown < standIn.count ? `; the newest ${formatCount(shown)} below` : ""}.`,
    ),
    shown > 0
      ? h(
          "ol",
          { class: "received-list" },
          ...standIn.requests.map((request) => requestItem(standIn.slug, request)),
        )
      : null,
  );
}

async function load() {
  let answer;
  try {
    answer = await getJson("/console/api/stand-ins");
  } catch (error) {
    message.textContent = `Could not load the stand-ins: ${error.name}: ${error.message}`;
    message.hidden = false;
    root.setAttribute("aria-busy", "false");
    throw error;
  }
  message.hidden = true;
  live.textContent = `Updated ${formatUtc(Date.now())}`;
  const text = JSON.stringify(answer.standIns);
  if (text === lastText) return;
  lastText = text;
  // Busiest first, then by name: where things happened is what a reader looks for.
  const standIns = [...answer.standIns].sort(
    (a, b) => Number(b.count > 0) - Number(a.count > 0) || (a.slug < b.slug ? -1 : 1),
  );
  // Keep what the reader opened or closed.
  const details = new Map(
    [...root.querySelectorAll("details[id]")].map((element) => [element.id, element.open]),
  );
  root.replaceChildren(
    h(
      "nav",
      { class: "stand-in-index", "aria-label": "Stand-ins" },
      ...standIns.map((standIn) =>
        h("a", { href: `#stand-in-${standIn.slug}` }, `${standIn.slug} (${formatCount(standIn.count)})`),
      ),
    ),
    ...standIns.map(section),
  );
  for (const [id, open] of details) {
    const element = document.getElementById(id);
    if (element) element.open = open;
  }
  root.setAttribute("aria-busy", "false");
  root.dataset.loads = String(Number(root.dataset.loads ?? 0) + 1);
}

poll(load)
  .now()
  .catch(() => {});

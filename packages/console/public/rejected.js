import { getJson, poll } from "./console-api.js";
import { h } from "./elements.js";
import { formatCount, formatUtc } from "./time-format.js";

/** Deliveries each source kept under `sources/<source>/rejected/`, newest first, each body one click away (as plain text). */

const root = document.getElementById("rejected");
const message = document.getElementById("message");
const live = document.getElementById("live");
let lastText = "";

function bodyUrl(key) {
  return `/console/api/rejected/body?key=${encodeURIComponent(key)}`;
}

function sourceSection(entry) {
  return h(
    "section",
    { class: "panel rejected-source", "data-source": entry.source },
    h("h2", null, h("code", null, entry.source)),
    entry.deliveries.length === 0
      ? h("p", { class: "muted" }, "No rejected deliveries.")
      : h(
          "table",
          { class: "rejected-list" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              h("th", { scope: "col" }, "Kept at"),
              h("th", { scope: "col" }, "Object"),
              h("th", { scope: "col" }, "Size"),
            ),
          ),
          h(
            "tbody",
            null,
            ...entry.deliveries.map((delivery) =>
              h(
                "tr",
                { "data-key": delivery.key },
                h(
                  "td",
                  null,
                  h(
                    "time",
                    { datetime: new Date(delivery.lastModified ?? 0).toISOString() },
                    formatUtc(delivery.lastModified),
                  ),
                ),
                h("td", null, h("a", { href: bodyUrl(delivery.key), class: "body-link" }, delivery.key)),
                h("td", null, delivery.size === undefined ? "—" : `${formatCount(delivery.size)} bytes`),
              ),
            ),
          ),
        ),
    entry.truncated
      ? h("p", { class: "note" }, "More were kept than are shown here (the newest are shown).")
      : null,
  );
}

async function load() {
  let answer;
  try {
    answer = await getJson("/console/api/rejected");
  } catch (error) {
    message.textContent = `Could not list rejected deliveries: ${error.name}: ${error.message}`;
    message.hidden = false;
    root.setAttribute("aria-busy", "false");
    throw error;
  }
  message.hidden = true;
  live.textContent = `Updated ${formatUtc(Date.now())}`;
  const text = JSON.stringify(answer.sources);
  if (text === lastText) return;
  lastText = text;
  root.replaceChildren(
    ...(answer.sources.length === 0
      ? [h("p", { class: "muted" }, "No source has kept anything under sources/ yet.")]
      : answer.sources.map(sourceSection)),
  );
  root.setAttribute("aria-busy", "false");
  root.dataset.loads = String(Number(root.dataset.loads ?? 0) + 1);
}

poll(load)
  .now()
  .catch(() => {});

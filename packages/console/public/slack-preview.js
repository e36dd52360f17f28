import { h, safeLink } from "./elements.js";
import { formatUtc } from "./time-format.js";

/**
 * A Slack incoming-webhook message (Block Kit) drawn the way Slack shows it. Slack text is
 * mrkdwn with `&amp; &lt; &gt;` escaped and `<url|label>` links; every piece becomes text
 * nodes or elements built here, never HTML.
 */

const EMOJI = { warning: "⚠️", white_check_mark: "✅", x: "❌", bell: "🔔", rocket: "🚀", tada: "🎉" };

export function decodeSlack(text) {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

const TOKEN =
  /<([^<>\n]+)>|```([\s\S]+?)```|`([^`\n]+)`|\*([^*\n]+)\*|(?<![A-Za-z0-9])_([^_\n]+)_(?![A-Za-z0-9])|~([^~\n]+)~|:([a-z0-9_+-]+):|\n/g;

function control(content) {
  const [target = "", label] = content.split("|", 2);
  if (target.startsWith("@"))
    return h("span", { class: "slack-mention" }, `@${decodeSlack(label ?? target.slice(1))}`);
  if (target.startsWith("#"))
    return h("span", { class: "slack-mention" }, `#${decodeSlack(label ?? target.slice(1))}`);
  if (target.startsWith("!"))
    return h("span", { class: "slack-mention" }, `@${decodeSlack(label ?? target.slice(1))}`);
  return safeLink(decodeSlack(target), decodeSlack(label ?? target), { class: "slack-link" });
}

/**
 * mrkdwn → nodes. A line that starts with `>` is a quote in Slack (the `>` is markup, not text; one
 * the sender meant as text arrives escaped, `&gt;`): consecutive ones become one blockquote.
 */
export function mrkdwn(text, depth = 0) {
  if (depth > 0 || !/(^|\n)>/.test(text)) return inline(text, depth);
  const nodes = [];
  const lines = text.split("\n");
  for (let start = 0; start < lines.length; ) {
    const quote = (lines[start] ?? "").startsWith(">");
    let end = start;
    while (end < lines.length && (lines[end] ?? "").startsWith(">") === quote) end++;
    const part = lines.slice(start, end);
    if (quote) {
      nodes.push(
        h("blockquote", { class: "slack-quote" }, ...inline(part.map((line) => line.slice(1)).join("\n"), 1)),
      );
    } else {
      // The line break before a quote is the quote's own (a block).
      nodes.push(...inline(part.join("\n"), 0));
    }
    start = end;
  }
  return nodes;
}

function inline(text, depth) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    if (match.index > last) nodes.push(document.createTextNode(decodeSlack(text.slice(last, match.index))));
    last = match.index + match[0].length;
    const [whole, link, pre, code, bold, italic, strike, emoji] = match;
    const inner = (value) => (depth < 3 ? mrkdwn(value, depth + 1) : [decodeSlack(value)]);
    if (whole === "\n") nodes.push(h("br"));
    else if (link !== undefined) nodes.push(control(link));
    else if (pre !== undefined) nodes.push(h("pre", { class: "slack-pre" }, decodeSlack(pre)));
    else if (code !== undefined) nodes.push(h("code", { class: "slack-code" }, decodeSlack(code)));
    else if (bold !== undefined) nodes.push(h("strong", null, ...inner(bold)));
    else if (italic !== undefined) nodes.push(h("em", null, ...inner(italic)));
    else if (strike !== undefined) nodes.push(h("s", null, ...inner(strike)));
    else if (emoji !== undefined) nodes.push(EMOJI[emoji] ?? whole);
  }
  if (last < text.length) nodes.push(document.createTextNode(decodeSlack(text.slice(last))));
  return nodes;
}

function textObject(object) {
  if (!object || typeof object.text !== "string") return [];
  return object.type === "mrkdwn" ? mrkdwn(object.text) : [object.text];
}

function block(item) {
  switch (item?.type) {
    case "header":
      return h("div", { class: "slack-header" }, ...textObject(item.text));
    case "section":
      return h(
        "div",
        { class: "slack-section" },
        item.text ? h("div", { class: "slack-text" }, ...textObject(item.text)) : null,
        Array.isArray(item.fields)
          ? h(
              "div",
              { class: "slack-fields" },
              ...item.fields.map((field) => h("div", { class: "slack-field" }, ...textObject(field))),
            )
          : null,
      );
    case "context":
      return h(
        "div",
        { class: "slack-context" },
        ...(item.elements ?? []).map((element) => h("span", null, ...textObject(element))),
      );
    case "divider":
      return h("hr", { class: "slack-divider" });
    default:
      return h("div", { class: "slack-unsupported" }, `[${String(item?.type ?? "unknown")} block]`);
  }
}

/**
 * @param {{ text?: string, blocks?: unknown[] }} message
 * @param {{ at?: string, caption?: string }} [meta]
 */
export function slackMessage(message, meta = {}) {
  const blocks =
    Array.isArray(message?.blocks) && message.blocks.length > 0 ? message.blocks.map(block) : null;
  const time = meta.at ? new Date(meta.at) : undefined;
  return h(
    "figure",
    { class: "slack-message" },
    h("div", { class: "slack-avatar", "aria-hidden": "true" }, "LR"),
    h(
      "div",
      { class: "slack-body" },
      h(
        "div",
        { class: "slack-meta" },
        h("strong", null, "leadrelay"),
        h("span", { class: "slack-app" }, "APP"),
        time && !Number.isNaN(time.getTime())
          ? h(
              "time",
              { datetime: time.toISOString(), title: time.toISOString() },
              formatUtc(time, { seconds: false }),
            )
          : null,
      ),
      ...(blocks ?? [h("div", { class: "slack-text" }, ...mrkdwn(message?.text ?? ""))]),
    ),
    meta.caption ? h("figcaption", null, meta.caption) : null,
  );
}

import { serverNow } from "./console-api.js";
import { h } from "./elements.js";
import { countdown } from "./time-format.js";

const LABELS = {
  waiting: "Waiting",
  running: "Running",
  retrying: "Retrying",
  notified: "Notified",
  succeeded: "Succeeded",
  skipped: "Succeeded · skipped",
  failed: "Failed",
  aborted: "Aborted",
  "timed-out": "Timed out",
};
// Symbols the fonts of a bare Linux box have too (no colour emoji).
const ICONS = {
  waiting: "◔",
  running: "▶",
  retrying: "↻",
  notified: "✓",
  succeeded: "✓",
  skipped: "⚠",
  failed: "✗",
  aborted: "■",
  "timed-out": "✗",
};

/** The status as words, never colour alone: badge + what it means for this lead. */
export function statusCell(row) {
  const badge = h(
    "span",
    { class: `badge status-${row.status}`, "data-status": row.status },
    h("span", { "aria-hidden": "true" }, ICONS[row.status] ?? "•"),
    " ",
    row.status === "skipped" ? `Succeeded · ${row.skipped ?? 1} skipped` : (LABELS[row.status] ?? row.status),
  );
  const detail = [];
  if (row.status === "waiting" && row.waitEndsAt) {
    detail.push(
      h(
        "span",
        { class: "countdown", "data-ends-at": row.waitEndsAt },
        countdown(row.waitEndsAt - serverNow()),
      ),
    );
  } else if (row.status === "retrying") {
    detail.push(h("span", { class: "detail" }, `${row.state ?? "a step"}: ${row.error ?? "failed"}`));
  } else if (row.status === "running" && row.state) {
    detail.push(h("span", { class: "detail" }, row.state));
  } else if (row.error) {
    detail.push(h("span", { class: "detail error-name" }, row.error));
  }
  return [badge, ...detail.flatMap((part) => [" ", part])];
}

export function statusLabel(status) {
  return LABELS[status] ?? status;
}

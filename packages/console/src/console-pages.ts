/** The HTML pages: static shells; the scripts fill them from the JSON API. */

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

export interface PageContext {
  token: string;
  mode: "local" | "aws";
  /** Where the console looks: "local runtime" or "AWS stage prod (us-east-1)". */
  label: string;
  pollSeconds: number;
  /** The flows this console shows, for the list's filter. */
  flows: ReadonlyArray<{ id: string; title: string }>;
}

function nav(context: PageContext, current: string): string {
  const links = [
    ["/console", "Executions"],
    ["/console/rejected", "Rejected deliveries"],
    ...(context.mode === "local" ? [["/console/stand-ins", "Stand-ins"]] : []),
  ];
  return `<nav class="sections" aria-label="Sections">${links
    .map(
      ([href, label]) =>
        `<a href="${href}"${href === current ? ' aria-current="page"' : ""}>${escapeHtml(label ?? "")}</a>`,
    )
    .join(" ")}</nav>`;
}

function layout(
  context: PageContext,
  title: string,
  script: string | undefined,
  main: string,
  current = "",
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="console-token" content="${escapeHtml(context.token)}">
<meta name="console-mode" content="${escapeHtml(context.mode)}">
<meta name="console-poll-seconds" content="${context.pollSeconds}">
<title>${escapeHtml(title)} · leadrelay console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/console/assets/console.css">
${script ? `<script type="module" src="/console/assets/${script}"></script>\n` : ""}</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/console">leadrelay console</a>
  ${nav(context, current)}
  <span class="where" data-mode="${escapeHtml(context.mode)}">${escapeHtml(context.label)}</span>
  <span class="live" id="live"></span>
</header>
<main id="main">
${main}
<noscript><p class="notice">This page loads its data with JavaScript. The same data is available as JSON under <code>/console/api/</code>.</p></noscript>
</main>
</body>
</html>
`;
}

export function listPage(context: PageContext): string {
  const flowOptions = context.flows
    .map((flow) => `<option value="${escapeHtml(flow.id)}">${escapeHtml(flow.id)}</option>`)
    .join("");
  return layout(
    context,
    "Executions",
    "lead-list.js",
    `<h1>Executions</h1>
<form id="filters" class="filters" role="search">
  <label>Flow
    <select name="flow" id="flow">
      <option value="">All flows</option>${flowOptions}
    </select>
  </label>
  <label>Status
    <select name="status" id="status">
      <option value="">All</option>
      <option value="waiting">Waiting</option>
      <option value="retrying">Retrying</option>
      <option value="running">Running</option>
      <option value="succeeded">Succeeded</option>
      <option value="skipped">Succeeded · skipped</option>
      <option value="notified">Notified (announce)</option>
      <option value="failed">Failed</option>
      <option value="aborted">Aborted</option>
      <option value="timed-out">Timed out</option>
    </select>
  </label>
  <label>Search
    <input type="search" name="q" id="q" placeholder="lead id, key, name or owner" autocomplete="off" spellcheck="false">
  </label>
  <label>Per page
    <select name="pageSize" id="pageSize">
      <option>25</option>
      <option selected>50</option>
      <option>100</option>
      <option>200</option>
    </select>
  </label>
  <button type="submit">Apply</button>
</form>
<p id="search-note" class="note">An execution name is looked up directly; other text is searched in the newest executions, up to 1,000 per search (you can search further).</p>
<p id="message" class="message" role="alert" hidden></p>
<table id="leads" class="leads" aria-busy="true">
  <caption id="caption">Every flow's executions, one row per lead, deal or reply, newest first</caption>
  <thead>
    <tr><th scope="col">Who / key</th><th scope="col">Flows: status and outcome</th><th scope="col">Started</th><th scope="col">Duration</th></tr>
  </thead>
  <tbody id="rows"></tbody>
</table>
<p id="empty" class="empty" hidden></p>
<nav class="pager" aria-label="Pages">
  <button type="button" id="newer" disabled>← Newer</button>
  <span id="page-info"></span>
  <button type="button" id="older" disabled>Older →</button>
</nav>`,
    "/console",
  );
}

/** A business key's page: every flow's executions of the key (`name` may be one execution's name). */
export function leadPage(context: PageContext, name: string, flow?: string): string {
  return layout(
    context,
    name,
    "lead-view.js",
    `<p class="crumbs"><a href="/console">← All executions</a></p>
<div id="lead" data-execution="${escapeHtml(name)}"${flow ? ` data-flow="${escapeHtml(flow)}"` : ""} aria-busy="true">
  <h1 id="title">${escapeHtml(name)}</h1>
  <p id="message" class="message" role="alert" hidden></p>
</div>`,
  );
}

export function standInsPage(context: PageContext): string {
  return layout(
    context,
    "Stand-ins",
    "stand-ins.js",
    `<h1>Stand-ins</h1>
<p class="note">Every outbound service the flows call is served here when its base URL is unset: what each stand-in received, newest first (credentials were blanked when recorded). <code>GET /_local/&lt;slug&gt;/_requests</code> gives the same as JSON.</p>
<p id="message" class="message" role="alert" hidden></p>
<div id="stand-ins" aria-busy="true"></div>`,
    "/console/stand-ins",
  );
}

export function rejectedPage(context: PageContext): string {
  return layout(
    context,
    "Rejected deliveries",
    "rejected.js",
    `<h1>Rejected deliveries</h1>
<p class="note">Deliveries a webhook acknowledged but could not use (a body that fails validation) are kept under <code>sources/&lt;source&gt;/rejected/</code> in the bucket, so nothing is lost. Newest first.</p>
<p id="message" class="message" role="alert" hidden></p>
<div id="rejected" aria-busy="true"></div>`,
    "/console/rejected",
  );
}

export function notFoundPage(context: PageContext, what: string): string {
  return layout(
    context,
    "Not found",
    undefined,
    `<h1>Not found</h1><p>${escapeHtml(what)}</p><p><a href="/console">All executions</a></p>`,
  );
}

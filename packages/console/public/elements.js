/**
 * DOM building without HTML strings: every value becomes a text node, so lead names, owners
 * and Slack text (all untrusted) are never parsed as markup.
 */

/**
 * @param {string} tag
 * @param {Record<string, unknown> | null} [attributes] `class`, `data-*`, `aria-*`, properties like `hidden`
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = String(value);
    else if (name === "text") element.textContent = String(value);
    else if (name.startsWith("on") && typeof value === "function")
      element.addEventListener(name.slice(2), value);
    else if (name === "hidden" || name === "disabled" || name === "open") element[name] = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {Array<Node | string | number | null | undefined | false>} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(
      typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child,
    );
  }
  return parent;
}

/** A link only to http(s) or mailto targets; anything else is shown as text. */
export function safeLink(href, label, attributes = {}) {
  let url;
  try {
    url = new URL(href, location.href);
  } catch {
    return document.createTextNode(label);
  }
  if (!["http:", "https:", "mailto:"].includes(url.protocol)) return document.createTextNode(label);
  const external = url.origin !== location.origin;
  return h(
    "a",
    { href: url.href, ...(external ? { target: "_blank", rel: "noopener noreferrer" } : {}), ...attributes },
    label,
  );
}

/**
 * Turns a lead's message as web forms and CRMs deliver it (HTML mail, entity soup, percent-encoded form posts,
 * form dumps with field labels) into one plain line of text for the classifiers and the LLM prompt.
 * Pure and linear in the input: every pattern below is bounded so hostile input cannot make it backtrack.
 */

/** Longest message kept, in code points: a lead's message is read by a person in seconds; longer is a paste. */
export const DEFAULT_MAX_LENGTH = 2_000;

/** Work bound before any parsing, in UTF-16 units: HTML mails rarely pass it, and the Lambda's time is bounded. */
const MAX_RAW_LENGTH = 256 * 1024;

export interface SanitizeOptions {
  maxLength?: number;
}

export function sanitizeMessage(input: unknown, options: SanitizeOptions = {}): string {
  if (typeof input !== "string") return "";
  const maxLength =
    options.maxLength === undefined || Number.isNaN(options.maxLength)
      ? DEFAULT_MAX_LENGTH
      : Math.max(0, Math.floor(options.maxLength));
  if (isPlainLine(input)) return cutCodePoints(input.replace(/ {2,}/g, " ").trim(), maxLength).trimEnd();
  let text = decodePercentEncoding(input.slice(0, MAX_RAW_LENGTH));
  text = markupToText(text);
  // Old Mac, Windows and Unicode line ends all mean "new line" to the boilerplate rules below.
  text = text.replace(/\r\n?|[\v\f\u0085\u2028\u2029]/g, "\n");
  // Only non-ASCII text has look-alikes, invisible characters or lone surrogates to deal with.
  if (/[^\x20-\x7e\n\t]/.test(text)) {
    // Compatibility folding turns full-width and styled look-alikes ("ＵＲＧＥＮＴ", "𝐛𝐮𝐲") into the letters they
    // imitate, so neither the rules nor the model can be dodged with them.
    text = removeInvisible(text.normalize("NFKC"));
  }
  text = dropBoilerplate(text);
  text = text.replace(/\s+/g, " ").trim();
  return cutCodePoints(text, maxLength).trimEnd();
}

/** First words of the relay lines below ("Sent from…", "New submission…", "Get Outlook…", "This message was…"). */
const RELAY_FIRST_WORDS = new Set([
  "sent",
  "submitted",
  "posted",
  "delivered",
  "forwarded",
  "new",
  "you",
  "get",
  "this",
]);

/**
 * Most messages are one line of plain ASCII that no rule below would change: no markup, entity, escape or field
 * separator, too long to be a bare field label, not a relay line. They skip straight to the length cap.
 */
function isPlainLine(text: string): boolean {
  if (
    text.length <= 40 ||
    text.length > MAX_RAW_LENGTH ||
    !/^[\x20-\x7e]+$/.test(text) ||
    /[<&%+=:]/.test(text)
  ) {
    return false;
  }
  const first = text.trimStart().split(" ", 1)[0] ?? "";
  return !RELAY_FIRST_WORDS.has(first.toLowerCase()) && first !== "--";
}

// ---------------------------------------------------------------------------------------------------------------
// Percent-encoding

const ESCAPE = /%[0-9A-Fa-f]{2}/g;
/** A whole body like `name=Jo+Lee&message=Hi%21`: what a form POST looks like when a relay forwards it raw. */
const FORM_BODY = /^[\w.[\]-]{1,64}=[^&\s]*(?:&[\w.[\]-]{1,64}=[^&\s]*)*$/;

function decodePercentEncoding(text: string): string {
  const trimmed = text.trim();
  if (trimmed.includes("=") && FORM_BODY.test(trimmed) && /[+%]/.test(trimmed)) {
    // Split before decoding so an encoded "&" (%26) inside a value does not start a new field.
    return trimmed
      .split("&")
      .map((pair) => {
        const at = pair.indexOf("=");
        return `${decodeComponent(pair.slice(0, at), true)}: ${decodeComponent(pair.slice(at + 1), true)}`;
      })
      .join("\n");
  }
  if (!trimmed.includes("%") && !trimmed.includes("+")) return text;
  const singleRun = !/\s/.test(trimmed);
  return text.replace(/\S+/g, (run) => decodeRun(run, singleRun));
}

/**
 * Decodes one whitespace-free run only when it is clearly encoded, so "20% off" or "A+B plan" stay as written:
 * two escapes, or an escape next to form-style pluses, or (when the whole text is one run) words joined by pluses.
 */
function decodeRun(run: string, singleRun: boolean): string {
  // A link is more useful intact than decoded; an encoder escapes quotes and brackets too, so raw ones mean markup.
  if (/^(?:https?:\/\/|www\.)/i.test(run) || /[<>"]/.test(run)) return run;
  const escapes = run.match(ESCAPE)?.length ?? 0;
  const pluses = run.match(/[\p{L}\p{N}.,!?'%]\+(?=[\p{L}\p{N}%])/gu)?.length ?? 0;
  const encoded = escapes >= 2 || (escapes >= 1 && pluses >= 1) || (singleRun && pluses >= 2);
  if (!encoded) return run;
  // An encoder that writes %20 for spaces writes a real plus as %2B, so a literal plus then is a plus.
  return decodeComponent(run, !/%20/.test(run));
}

function decodeComponent(value: string, plusIsSpace: boolean): string {
  const spaced = plusIsSpace ? value.replaceAll("+", " ") : value;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Broken UTF-8 sequences: keep what is plainly ASCII and leave the rest as written.
    return spaced.replace(/%([0-7][0-9A-Fa-f])/g, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTML and entities

/** A recognisable tag or comment: "a < b" or "<3" in plain text must not be read as markup. */
const HTML_HINT =
  /<!--|<!doctype|<\/?(?:html|head|body|div|p|br|span|a|b|i|u|em|strong|table|tbody|thead|tr|td|th|ul|ol|li|h[1-6]|font|img|meta|style|script|center|blockquote|hr|pre|section|article|header|footer|title|small|label|form|input|button|iframe|svg|noscript|template|o:p)(?=[\s/>])/i;

/**
 * Tags, comments and declarations. Attribute text stops at the next "<", so an unclosed "<div " costs one scan to
 * the next tag, not one to the end of the input.
 */
const MARKUP = /<!--[\s\S]*?(?:-->|$)|<![^<>]*>?|<\?[^<>]*>?|<(\/?)([a-zA-Z][\w:-]*)((?:[\s/][^<>]*)?)>/g;

/** Elements whose content is code or metadata, never part of the message. */
const DROPPED_ELEMENTS = new Set([
  "script",
  "style",
  "head",
  "noscript",
  "template",
  "svg",
  "iframe",
  "object",
]);

/** Elements a browser would show on a line of their own; the boilerplate rules work line by line. */
const BLOCK_ELEMENTS = new Set([
  ..."address article aside blockquote br center dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4".split(
    " ",
  ),
  ..."h5 h6 header hr li main nav ol option p pre section table tbody td tfoot th thead title tr ul".split(
    " ",
  ),
]);

/**
 * Strips markup, then decodes entities; CRMs often store an HTML body entity-escaped (or escape an escaped one),
 * so a decoded text that turns out to be markup gets one more round.
 */
function markupToText(text: string): string {
  if (!text.includes("<") && !text.includes("&")) return text;
  let current = text;
  for (let round = 0; round < 2; round++) {
    if (current.includes("<") && HTML_HINT.test(current)) current = htmlToText(current);
    const decoded = decodeEntities(current);
    if (decoded === current) break;
    current = decoded;
  }
  return current;
}

function htmlToText(html: string): string {
  const lower = html.toLowerCase();
  let out = "";
  let at = 0;
  let link: { href: string; start: number } | undefined;
  MARKUP.lastIndex = 0;
  for (let match = MARKUP.exec(html); match !== null; match = MARKUP.exec(html)) {
    out += html.slice(at, match.index);
    at = MARKUP.lastIndex;
    const [, slash, rawName, attributes = ""] = match;
    if (rawName === undefined) continue; // comment or declaration
    const name = rawName.toLowerCase();
    if (slash === "" && DROPPED_ELEMENTS.has(name)) {
      at = skipElement(lower, name, at);
      MARKUP.lastIndex = at;
      continue;
    }
    if (name === "a") {
      // Spam hides its links behind anchor text; keep the target where the reader (and the classifier) sees it.
      if (slash === "") {
        const href = /\bhref\s*=\s*["']?((?:https?:\/\/|www\.)[^"'\s<>]+)/i.exec(attributes)?.[1];
        link = href === undefined ? undefined : { href, start: out.length };
      } else if (link !== undefined) {
        if (!out.slice(link.start).includes(link.href)) out += ` (${link.href})`;
        link = undefined;
      }
      continue;
    }
    if (BLOCK_ELEMENTS.has(name)) out += "\n";
  }
  return out + html.slice(at);
}

/** Index just past the element's end tag; a `<head>` missing its end tag ends where `<body` starts. */
function skipElement(lower: string, name: string, from: number): number {
  const end = lower.indexOf(`</${name}`, from);
  const body = name === "head" ? lower.indexOf("<body", from) : -1;
  const stop = body !== -1 && (end === -1 || body < end) ? body : end;
  if (stop === -1) return name === "head" ? from : lower.length;
  if (stop === body) return stop;
  const close = lower.indexOf(">", stop);
  return close === -1 ? lower.length : close + 1;
}

const NAMED_ENTITIES = new Map<string, string>(
  Object.entries({
    amp: "&",
    lt: "<",
    gt: ">",
    quot: '"',
    apos: "'",
    nbsp: " ",
    ensp: " ",
    emsp: " ",
    thinsp: " ",
    shy: "",
    zwnj: "",
    zwj: "",
    lrm: "",
    rlm: "",
    ndash: "–",
    mdash: "—",
    hellip: "…",
    lsquo: "‘",
    rsquo: "’",
    sbquo: "‚",
    ldquo: "“",
    rdquo: "”",
    bdquo: "„",
    laquo: "«",
    raquo: "»",
    lsaquo: "‹",
    rsaquo: "›",
    bull: "•",
    middot: "·",
    copy: "©",
    reg: "®",
    trade: "™",
    euro: "€",
    pound: "£",
    yen: "¥",
    cent: "¢",
    sect: "§",
    para: "¶",
    deg: "°",
    plusmn: "±",
    times: "×",
    divide: "÷",
    frac12: "½",
    frac14: "¼",
    frac34: "¾",
    iexcl: "¡",
    iquest: "¿",
    dagger: "†",
    permil: "‰",
    larr: "←",
    rarr: "→",
    hearts: "♥",
    agrave: "à",
    aacute: "á",
    acirc: "â",
    atilde: "ã",
    auml: "ä",
    aring: "å",
    aelig: "æ",
    ccedil: "ç",
    egrave: "è",
    eacute: "é",
    ecirc: "ê",
    euml: "ë",
    igrave: "ì",
    iacute: "í",
    icirc: "î",
    iuml: "ï",
    ntilde: "ñ",
    ograve: "ò",
    oacute: "ó",
    ocirc: "ô",
    otilde: "õ",
    ouml: "ö",
    oslash: "ø",
    ugrave: "ù",
    uacute: "ú",
    ucirc: "û",
    uuml: "ü",
    yacute: "ý",
    yuml: "ÿ",
    szlig: "ß",
    Agrave: "À",
    Aacute: "Á",
    Acirc: "Â",
    Auml: "Ä",
    Aring: "Å",
    Ccedil: "Ç",
    Egrave: "È",
    Eacute: "É",
    Ecirc: "Ê",
    Iacute: "Í",
    Ntilde: "Ñ",
    Oacute: "Ó",
    Ocirc: "Ô",
    Ouml: "Ö",
    Oslash: "Ø",
    Uacute: "Ú",
    Uuml: "Ü",
  }),
);

/** What Windows-1252 put at 0x80–0x9F; mail clients still emit `&#146;` and mean a right quote. */
const WINDOWS_1252 = new Map<number, string>([
  [0x80, "€"],
  [0x82, "‚"],
  [0x83, "ƒ"],
  [0x84, "„"],
  [0x85, "…"],
  [0x86, "†"],
  [0x87, "‡"],
  [0x88, "ˆ"],
  [0x89, "‰"],
  [0x8a, "Š"],
  [0x8b, "‹"],
  [0x8c, "Œ"],
  [0x8e, "Ž"],
  [0x91, "‘"],
  [0x92, "’"],
  [0x93, "“"],
  [0x94, "”"],
  [0x95, "•"],
  [0x96, "–"],
  [0x97, "—"],
  [0x98, "˜"],
  [0x99, "™"],
  [0x9a, "š"],
  [0x9b, "›"],
  [0x9c, "œ"],
  [0x9e, "ž"],
  [0x9f, "Ÿ"],
]);

// Named entities need their ";" ("AT&T", "?a=1&copy=2" stay as written); numeric ones are often sent without.
const ENTITY = /&#(\d{1,8});?|&#[xX]([0-9a-fA-F]{1,7});?|&([a-zA-Z][a-zA-Z0-9]{1,31});/g;

function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(ENTITY, (whole, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined)
      return NAMED_ENTITIES.get(name) ?? NAMED_ENTITIES.get(name.toLowerCase()) ?? whole;
    const code = decimal !== undefined ? Number.parseInt(decimal, 10) : Number.parseInt(hex ?? "", 16);
    const windows = WINDOWS_1252.get(code);
    if (windows !== undefined) return windows;
    if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\uFFFD";
    return String.fromCodePoint(code);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Invisible characters

/**
 * Control characters garble logs and terminals; bidi overrides and isolates make a message read differently from
 * what it says; zero-width characters, soft hyphens and Unicode tag characters hide words from a reader (and from
 * keyword rules) while a model still reads them, which is how prompt injection gets smuggled. Lone surrogates are
 * not text at all.
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: each joiner and selector is matched alone on purpose
  /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0e\ufeff\uffa0\ufff9-\ufffb\u{e0000}-\u{e007f}]|[\ud800-\udfff]/gu;

/** A zero-width joiner glues emoji into one picture (👩‍💻); anywhere else it only splits a word invisibly. */
const STRAY_JOINER =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: the selector is matched alone, after its emoji
  /(?<![\p{Extended_Pictographic}\p{Emoji_Modifier}\ufe0f])\u200d|\u200d(?!\p{Extended_Pictographic})/gu;

function removeInvisible(text: string): string {
  return text.replace(INVISIBLE, "").replace(STRAY_JOINER, "");
}

// ---------------------------------------------------------------------------------------------------------------
// Form and mail boilerplate

/** "Sent from my iPhone", "Submitted via Typeform", "Sent from contact form: …": who relayed it, not what was said. */
const RELAY_LINE =
  /^(?:sent|submitted|posted|delivered|forwarded)\s+(?:from|via|through|using|with)\b([^:]{0,60})(?::(.*))?$/i;
const CLIENT_PROMO = /^get (?:outlook|the \w+ app) for \w+/i;
/** "New form submission", "You have a new lead from Contact Us": the relay's header. */
const NEW_ENTRY_LINE =
  /^(?:you (?:have|received|got) (?:a )?)?new (?:[\w-]+ ){0,3}(?:submission|entry|lead|message|enquiry|inquiry|response|contact request)s?((?:\s+(?:from|on|via|for|through|in)\b[^:]{0,60})?)\s*(?::(.*))?$/i;
const RELAY_NOTICE =
  /^this (?:message|e-?mail|enquiry|inquiry|form|submission|lead) (?:was|has been|is) (?:sent|submitted|generated|delivered|forwarded)\b/i;
const FOOTER =
  /\b(?:unsubscribe|opt[- ]out|(?:manage|update) (?:your )?(?:e-?mail |subscription )?preferences|you (?:are|were) receiving this|you received this (?:e-?mail|message)|this e-?mail was sent to|view (?:this e-?mail |it )?in (?:your|a) browser|all rights reserved|confidentiality notice|intended (?:solely )?for the (?:named )?recipient)/i;

/** Who filled in the form and where from: names and addresses are no signal for the label, and the model need not see them. */
const IDENTITY_FIELD =
  /^(?:(?:first|last|full|given|family|your|contact|company|business|sender)[ _-]?)?(?:name|e-?mail(?:[ _-]?address)?|phone(?:[ _-]?number)?|telephone|tel|mobile|cell|company|organi[sz]ation|website|web ?site url|url|address|street|city|state|province|zip(?:[ _-]?code)?|post(?:al)? ?code|country|job[ _-]?title|position|ip(?:[ _-]?address)?|user[ _-]?agent|referr?er|page(?:[ _-]?url)?|source(?:[ _-]?url)?|lead[ _-]?source|form(?:[ _-]?(?:name|id))?|date|time|submitted(?:[ _-]?(?:at|on))?|consent|gdpr|newsletter|privacy(?: policy)?|terms|utm[ _-]\w+|how did you hear about us\??)\s*(?:[:=]\s*.*)?$/i;
/** Mail headers of a forwarded message. */
const MAIL_HEADER = /^(?:from|to|cc|bcc|reply-to|sender)\s*:.*@/i;
/** Labels whose value is the message itself: keep the value, drop the label. */
const MESSAGE_FIELD =
  /^(?:your[ _-]?)?(?:message|comments?|enquiry|inquiry|question|details|description|body|notes?|subject|request|how can we help(?: you)?\??|what can we help (?:you )?with\??|additional (?:info|information|details|comments))\s*(?:[:=]\s*|$)/i;

function dropBoilerplate(text: string): string {
  const lines = cutSignature(text.split("\n").map((line) => line.trim()));
  const several = lines.filter((line) => line !== "").length > 1;
  const kept: string[] = [];
  for (const line of lines) {
    const cleaned = cleanLine(line, several);
    if (cleaned !== "") kept.push(cleaned);
  }
  return kept.join("\n");
}

function cleanLine(line: string, several: boolean): string {
  if (line === "") return "";
  const relay = RELAY_LINE.exec(line) ?? NEW_ENTRY_LINE.exec(line);
  if (relay !== null) return cleanLine((relay[2] ?? "").trim(), several);
  if (CLIENT_PROMO.test(line) || RELAY_NOTICE.test(line) || MAIL_HEADER.test(line)) return "";
  if (IDENTITY_FIELD.test(line)) return "";
  const message = MESSAGE_FIELD.exec(line);
  if (message !== null) return line.slice(message[0].length).trim();
  // A footer line goes only when something else is left: a one-line message is the message, even a spammy one.
  if (several && line.length <= 300 && FOOTER.test(line)) return "";
  return line;
}

/** The mail signature after a "-- " line: dropped when it is short enough to be one (not a quoted thread). */
function cutSignature(lines: string[]): string[] {
  const delimiter = lines.indexOf("--");
  if (delimiter === -1) return lines;
  const rest = lines.slice(delimiter + 1).filter((line) => line !== "");
  return rest.length <= 6
    ? lines.slice(0, delimiter)
    : [...lines.slice(0, delimiter), ...lines.slice(delimiter + 1)];
}

// ---------------------------------------------------------------------------------------------------------------

/** The first `max` code points: a cut between the halves of a surrogate pair would leave half an emoji. */
function cutCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  let units = 0;
  for (let points = 0; points < max && units < text.length; points++) {
    units += (text.codePointAt(units) ?? 0) > 0xffff ? 2 : 1;
  }
  return text.slice(0, units);
}

import { describe, expect, it } from "vitest";
import { readCorpus, TEST_JSONL, TRAIN_JSONL } from "../corpus/build-train-module";
import { DEFAULT_MAX_LENGTH, sanitizeMessage } from "../src/domain/sanitize";

/** Lone surrogates: half an emoji, which is not text. */
const LONE_SURROGATE = /\p{Cs}/u;

describe("sanitizeMessage on HTML mail", () => {
  it("drops head, styles, scripts and comments with their content, keeps the paragraphs apart", () => {
    const html = `<!DOCTYPE html><html><head><title>Newsletter</title><meta charset="utf-8">
      <style type="text/css">p { color: red; } .x::before { content: "hidden"; }</style></head>
      <body><!-- tracking: id=42 --><div class="greeting">Hello,</div>
      <p>We need <b>35</b> seats.</p><script>document.write("injected")</script>
      <p>Thanks,<br>Dana</p></body></html>`;
    expect(sanitizeMessage(html)).toBe("Hello, We need 35 seats. Thanks, Dana");
  });

  it("handles Outlook's conditional comments and namespaced tags", () => {
    const outlook = `<!--[if gte mso 9]><xml><o:OfficeDocumentSettings></o:OfficeDocumentSettings></xml><![endif]-->
      <p class=MsoNormal>Can&#8217;t log in since Monday<o:p></o:p></p>`;
    expect(sanitizeMessage(outlook)).toBe("Can’t log in since Monday");
  });

  it("drops a script that is never closed and everything after it", () => {
    expect(sanitizeMessage("<p>Price?</p><script>var a = '<p>not text</p>'")).toBe("Price?");
  });

  it("keeps a link's target next to its text, where spam hides it", () => {
    expect(sanitizeMessage('<p><a href="https://cheap-links.biz/x">Buy backlinks</a> now</p>')).toBe(
      "Buy backlinks (https://cheap-links.biz/x) now",
    );
    expect(sanitizeMessage('<a href="https://acme.com">https://acme.com</a>')).toBe("https://acme.com");
  });

  it("leaves angle brackets that are not markup alone", () => {
    expect(sanitizeMessage("I <3 your tool, and 5 < 10 > 2")).toBe("I <3 your tool, and 5 < 10 > 2");
    expect(sanitizeMessage("Jane Doe <jane@example.com> wrote: need 4 seats")).toBe(
      "Jane Doe <jane@example.com> wrote: need 4 seats",
    );
  });

  it("strips HTML that a CRM stored entity-escaped", () => {
    expect(
      sanitizeMessage("&lt;p&gt;Need 60 units by the 30th.&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;"),
    ).toBe("Need 60 units by the 30th.");
  });

  it("is linear on unclosed tags and comments", () => {
    const hostile = `${"<a ".repeat(30_000)}${"<!--".repeat(10_000)}`;
    const started = performance.now();
    sanitizeMessage(hostile);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe("sanitizeMessage on entities", () => {
  it.each([
    ["Tom &amp; Jerry &lt;3 &quot;quoted&quot; &apos;single&apos;", "Tom & Jerry <3 \"quoted\" 'single'"],
    ["caf&eacute; &euro;5&nbsp;000 &mdash; ok&hellip;", "café €5 000 — ok..."],
    ["&#39;decimal&#39; &#x27;hex&#x27; &#X1F600;", "'decimal' 'hex' 😀"],
    ["Windows quotes: &#145;hi&#146; &#147;there&#148;", "Windows quotes: ‘hi’ “there”"],
    ["double: &amp;quot;x&amp;quot; &amp;#39;y&amp;#39;", "double: \"x\" 'y'"],
    [
      "AT&T and R&D, a=1&copy=2, &unknown; &constructor;",
      "AT&T and R&D, a=1&copy=2, &unknown; &constructor;",
    ],
    ["bad code points: &#0; &#xD800; &#x110000;", "bad code points: \uFFFD \uFFFD \uFFFD"],
  ])("%s", (input, expected) => {
    expect(sanitizeMessage(input)).toBe(expected);
  });
});

describe("sanitizeMessage on percent-encoding", () => {
  it.each([
    ["We%20need%20a%20quote", "We need a quote"],
    ["We+need+a+quote+for+40+seats", "We need a quote for 40 seats"],
    ["Message:%20Do%20you%20offer%20discounts%3F", "Do you offer discounts?"],
    ["caf%C3%A9%20ouvert%20%F0%9F%98%80", "café ouvert 😀"],
    [
      "name=Jo+Lee&email=jo%40acme.io&phone=555&message=Ready+to+sign+%26+pay+today",
      "Ready to sign & pay today",
    ],
    ["message=I+cannot+reset+my+password%2C+please+help", "I cannot reset my password, please help"],
    ["Broken%20UTF%2D8%20here%E0%A4%A", "Broken UTF-8 here%E0%A4%A"],
  ])("decodes %s", (input, expected) => {
    expect(sanitizeMessage(input)).toBe(expected);
  });

  it.each([
    "We grew 20% last year and want 50% more seats",
    "Is 100%25 the right code? It is 1 escape only",
    "Looking at the A+B plan for C++ developers",
    "Call +1 555 0100",
    "See https://example.com/a%20b%20c for the spec",
    "Discount of 15%OFF for 3+ users",
  ])("leaves ordinary text alone: %s", (text) => {
    expect(sanitizeMessage(text)).toBe(text);
  });
});

describe("sanitizeMessage on form and mail boilerplate", () => {
  it("keeps only the message of a contact-form dump", () => {
    const dump = [
      "Sent from contact form:",
      "Name: Lucia Gomez",
      "Email: lucia@casaverde.mx",
      "Phone: +52 55 1234 5678",
      "Company: Casa Verde",
      "Form: Contact Us",
      "Message: Necesitamos 20 licencias para el lunes.",
      "",
      "--",
      "Sent from my iPhone",
    ].join("\r\n");
    expect(sanitizeMessage(dump)).toBe("Necesitamos 20 licencias para el lunes.");
  });

  it("keeps signal-bearing fields and drops the relay's header", () => {
    const dump =
      "New form submission from Talk to Sales\nFirst name: Greg\nSeats: 90\nBudget: $30,000\nTimeline: This month\nComments: Please call.";
    expect(sanitizeMessage(dump)).toBe("Seats: 90 Budget: $30,000 Timeline: This month Please call.");
  });

  it("handles a label on its own line with the text below it", () => {
    expect(sanitizeMessage("Name\nGreg\nMessage:\nWe need 70 seats live by the 1st.")).toBe(
      "Greg We need 70 seats live by the 1st.",
    );
  });

  it("drops relay lines, client promos and footers but keeps the message", () => {
    const mail = [
      "Submitted via Typeform",
      "Hi, we were charged twice this month.",
      "Get Outlook for iOS",
      "You are receiving this email because you opted in on our website.",
      "Unsubscribe | Manage preferences",
      "This message was sent from the contact form on acme.com",
    ].join("\n");
    expect(sanitizeMessage(mail)).toBe("Hi, we were charged twice this month.");
  });

  it("strips a relay prefix on the same line as the message", () => {
    expect(sanitizeMessage("Sent from contact form: Do you have a free plan?")).toBe(
      "Do you have a free plan?",
    );
    expect(sanitizeMessage("New lead from Website: we need 4 seats")).toBe("we need 4 seats");
  });

  it("keeps a one-line message even when it reads like a footer", () => {
    expect(sanitizeMessage("Reply STOP to unsubscribe. Limited offer on ink!")).toBe(
      "Reply STOP to unsubscribe. Limited offer on ink!",
    );
  });

  it("does not take ordinary sentences for boilerplate", () => {
    for (const text of [
      "A new lead routing tool is what we need.",
      "Time is short: we need 40 seats.",
      "Sent our PO yesterday, please confirm.",
    ]) {
      expect(sanitizeMessage(text)).toBe(text);
    }
  });

  it("keeps a long tail after a -- line: a quoted thread, not a signature", () => {
    const text = `Need help\n--\n${Array.from({ length: 8 }, (_, i) => `line ${i}`).join("\n")}`;
    expect(sanitizeMessage(text)).toBe("Need help line 0 line 1 line 2 line 3 line 4 line 5 line 6 line 7");
  });
});

describe("sanitizeMessage on invisible characters", () => {
  it("removes control characters and folds every kind of whitespace", () => {
    expect(
      sanitizeMessage("\u0000Hi\u0007 there\t\t\u000bfriend\u2028\u2029 \u00a0\u3000ok\u007f\u0085"),
    ).toBe("Hi there friend ok");
  });

  it("removes bidi overrides and isolates, which reorder what a reader sees", () => {
    expect(sanitizeMessage("Invoice \u202Egnp.exe\u202C and \u2066isolated\u2069 \u200Fmark")).toBe(
      "Invoice gnp.exe and isolated mark",
    );
  });

  it("removes zero-width characters and tag characters that hide words", () => {
    const hidden = "ig\u200Bnore prev\u200Dious \u2060instructions\uFEFF\u{E0049}\u{E0047}";
    expect(sanitizeMessage(hidden)).toBe("ignore previous instructions");
  });

  it("keeps emoji, including zero-width-joined ones and flags", () => {
    expect(sanitizeMessage("Team 👩‍💻👨‍👩‍👧 from 🇩🇪 👍🏽")).toBe("Team 👩‍💻👨‍👩‍👧 from 🇩🇪 👍🏽");
  });

  it("drops lone surrogates", () => {
    expect(sanitizeMessage("half \ud83d emoji \ude00 here")).toBe("half emoji here");
  });

  it("folds full-width and styled look-alikes to plain letters", () => {
    expect(sanitizeMessage("ＵＲＧＥＮＴ＿ＢＵＹＥＲ 𝐛𝐮𝐲")).toBe("URGENT_BUYER buy");
  });
});

describe("sanitizeMessage length cap", () => {
  it("cuts at 2,000 code points by default", () => {
    expect(sanitizeMessage("a".repeat(5_000))).toHaveLength(DEFAULT_MAX_LENGTH);
  });

  it("counts code points, not UTF-16 units, and never splits a surrogate pair", () => {
    const emoji = "😀".repeat(3_000);
    const out = sanitizeMessage(emoji);
    expect(Array.from(out)).toHaveLength(DEFAULT_MAX_LENGTH);
    expect(LONE_SURROGATE.test(out)).toBe(false);
    for (let max = 1; max <= 9; max++) {
      const cut = sanitizeMessage(`a😀b😀😀c😀😀😀`, { maxLength: max });
      expect(Array.from(cut)).toHaveLength(max);
      expect(LONE_SURROGATE.test(cut)).toBe(false);
    }
  });

  it("honours maxLength and trims the space left at the cut", () => {
    expect(sanitizeMessage("We need seats", { maxLength: 8 })).toBe("We need");
    expect(sanitizeMessage("anything", { maxLength: 0 })).toBe("");
    expect(sanitizeMessage("abc", { maxLength: Number.NaN })).toBe("abc");
  });

  it("caps 100 KB of HTML quickly", () => {
    const big = `<html><body>${"<p>We need a quote &amp; a demo. %20</p>\n".repeat(2_500)}</body></html>`;
    expect(big.length).toBeGreaterThan(100_000);
    const started = performance.now();
    const out = sanitizeMessage(big);
    const elapsed = performance.now() - started;
    expect(Array.from(out).length).toBeLessThanOrEqual(DEFAULT_MAX_LENGTH);
    expect(out.startsWith("We need a quote & a demo.")).toBe(true);
    expect(elapsed).toBeLessThan(250);
  });

  it("caps 1 MB of plain text quickly", () => {
    const started = performance.now();
    const out = sanitizeMessage("lorem ipsum ".repeat(90_000));
    expect(performance.now() - started).toBeLessThan(250);
    expect(out).toHaveLength(DEFAULT_MAX_LENGTH);
  });
});

describe("sanitizeMessage on anything else", () => {
  it.each([null, undefined, 42, Number.NaN, true, {}, [], ["a"], () => "x", Symbol("s")])(
    "returns an empty string for %s",
    (input) => {
      expect(sanitizeMessage(input)).toBe("");
    },
  );

  it("returns plain text unchanged but for whitespace", () => {
    expect(sanitizeMessage("  Hi,\n\n  we need 5 seats by Friday.  ")).toBe("Hi, we need 5 seats by Friday.");
  });

  it("takes the plain-line shortcut only where the full pipeline would give the same", () => {
    // A trailing line break forces the full pipeline without changing what the message says.
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const words = [
      "Sent",
      "from",
      "my",
      "new",
      "lead",
      "you",
      "this",
      "get",
      "Name",
      "email",
      "--",
      "need",
      "40",
    ];
    const fuzz = Array.from({ length: 2_000 }, () =>
      Array.from(
        { length: 2 + Math.floor(random() * 14) },
        () => words[Math.floor(random() * words.length)],
      ).join(random() < 0.2 ? "  " : " "),
    );
    for (const text of [...readCorpus(TRAIN_JSONL).map((example) => example.text), ...fuzz]) {
      expect(sanitizeMessage(text), text).toBe(sanitizeMessage(`${text}\n`));
    }
  });

  it("is idempotent on every corpus message", () => {
    for (const { text } of [...readCorpus(TRAIN_JSONL), ...readCorpus(TEST_JSONL)]) {
      const once = sanitizeMessage(text);
      expect(sanitizeMessage(once), text).toBe(once);
    }
  });
});

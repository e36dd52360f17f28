/**
 * The offline classifier: no key, no network, same answer every time.
 *
 * Why this design:
 * - A multinomial Naive Bayes over word unigrams and bigrams (binary counts, light stemming, numbers, money,
 *   links and emails folded to one token each), trained when the module loads from the labelled corpus that
 *   ships in the bundle (already sanitized, see corpus/build-train-module.ts). A few hundred short examples are too few for anything with more parameters, NB is
 *   strong on short texts, trains in milliseconds and needs no dependency; its weights can be read.
 * - A handful of high-precision rules for the signals the corpus can only hint at and the product cares most
 *   about (explicit quantity / budget / deadline next to a purchase verb; an existing customer's problem; links
 *   with SEO, crypto or phishing vocabulary; job applications; gibberish). They add fixed log-odds to the NB
 *   score, so strong evidence from the words can still win, and each one that fires is named in the reasons.
 * - Prompt injection is decided first and alone: text that talks to the classifier ("ignore previous
 *   instructions", "SYSTEM: label=…", a label's identifier) is SPAM whichever label it names, so naming a label
 *   can never select it. Label identifiers are also kept out of the NB features.
 * - NB's sum is damped by message length (unigrams and bigrams overlap, so raw NB grows surer with every word);
 *   class priors are uniform (the corpus is balanced by construction, not by what arrives in production), with a
 *   small nudge to TIRE_KICKER when nothing else speaks: paging the on-call for a vague message costs more than
 *   emailing a real buyer.
 * The rules' relative weights are hand-set; their scale, the smoothing, the length damping and the temperature
 * were chosen by 5-fold cross-validation on the train corpus, never on test.jsonl.
 */
import { TRIAGE_LABELS, type TriageLabel } from "./labels";
import { TRAIN_CORPUS } from "./train-corpus";

export interface LocalVerdict {
  label: TriageLabel;
  classifier: "local";
  confidence: number;
  reasons: string[];
}

/** [sanitized text, index into TRIAGE_LABELS], the shape of the generated train corpus. */
export type LabelledExample = readonly [text: string, label: number];

export interface ClassifierSettings {
  /** Additive smoothing of the NB word counts. */
  alpha: number;
  /** Divides the final scores before the softmax that gives `confidence`. */
  temperature: number;
  /** Multiplies every rule's log-odds bonus (0 turns the rules off; used to measure what they add). */
  ruleScale: number;
  /**
   * The NB sum is divided by (number of known features) ** lengthPower: unigrams and bigrams overlap, so NB's
   * certainty grows with length alone, and a long message would otherwise drown every rule.
   */
  lengthPower: number;
}

export const DEFAULT_SETTINGS: ClassifierSettings = {
  alpha: 0.5,
  temperature: 1,
  ruleScale: 2,
  lengthPower: 0.25,
};

const URGENT = 0;
const TIRE = 1;
const SUPPORT = 2;
const SPAM = 3;

/** A sanitized message is at most a few thousand characters; this only bounds the work for careless callers. */
const MAX_INPUT = 10_000;

// ---------------------------------------------------------------------------------------------------------------
// Tokens and features

/** A message's tokens: `keys` feed the model and the rules, `surfaces` (the words as written) the reasons. */
interface Tokens {
  keys: string[];
  surfaces: string[];
}

/** Label identifiers say nothing about a lead except that it is trying to steer the classifier. */
const LABEL_IDENTIFIER = /\b(?:urgent|tire|support)[\s_-]*(?:buyer|kicker|request)\b|\bspam\b/g;

const TOKEN =
  /(https?:\/\/\S+|www\.\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|co|biz|info|xyz|ru|cn|pk|in|site|online|top|click|ly|me|us|uk|de|app|cc)\b(?:\/\S*)?)|([^\s@]+@[^\s@]+\.[a-z]{2,})|([$€£¥]\s?\d[\d,.]*(?:\s?[km]\b)?|\d[\d,.]*\s?(?:k\b|usd\b|eur\b|gbp\b|dollars\b|euros\b|€|\$))|(\d+(?:[.,:/-]\d+)*(?:st|nd|rd|th)?)|(\p{L}[\p{L}\p{N}'_]*)/gu;

/** Lower case, no accents, one apostrophe: "Está", "esta" and "can’t" / "can't" meet. */
function normalise(text: string): string {
  const lower = text.toLowerCase();
  // Most messages are ASCII; decomposition is the costly step and changes nothing there.
  if (!/[^\x20-\x7e]/.test(lower)) return lower;
  return lower
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .replace(/[’‘`´]/g, "'");
}

/** Enough stemming that "licenses", "licence", "charged", "charging" meet their kin; no dictionary needed. */
function stem(word: string): string {
  let w = word.includes("'") ? word.replaceAll("'", "") : word;
  if (w.length <= 3) return w;
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.endsWith("sses") || w.endsWith("xes") || w.endsWith("ches") || w.endsWith("shes"))
    w = w.slice(0, -2);
  else if (w.endsWith("s") && !w.endsWith("ss") && !w.endsWith("us") && !w.endsWith("is")) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith("ed")) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  return w;
}

function tokenize(normalised: string): Tokens {
  const keys: string[] = [];
  const surfaces: string[] = [];
  const text = normalised.replace(LABEL_IDENTIFIER, " ");
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(text); match !== null; match = TOKEN.exec(text)) {
    const [surface, url, email, money, number, word] = match;
    const key = url ? "§url" : email ? "§email" : money ? "§money" : number ? "§num" : undefined;
    if (key !== undefined) {
      keys.push(key);
      surfaces.push(surface);
    } else if (word !== undefined) {
      for (const part of word.includes("_") ? word.split("_") : [word]) {
        if (part === "") continue;
        keys.push(stem(part));
        surfaces.push(part);
      }
    }
  }
  return { keys, surfaces };
}

/** Words too common to tell labels apart alone; they still count inside bigrams ("log in", "how do"). */
const STOPWORDS = new Set(
  (
    "a an the and or of to is are am be been it its this that these those i we you me us my our im were " +
    "in on at with so as if hi hello hey thank thanks regard de la el le les et und der die das"
  ).split(" "),
);

/**
 * Calls `visit` once per distinct feature: each unigram that is not a stopword, each bigram that is not two
 * stopwords. `start`/`end` index the tokens it covers. Training and classifying share it, so they cannot drift.
 */
function eachFeature(
  keys: readonly string[],
  visit: (key: string, start: number, end: number) => void,
): void {
  const seen = new Set<string>();
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] ?? "";
    const stop = STOPWORDS.has(key);
    if (!stop && !seen.has(key)) {
      seen.add(key);
      visit(key, index, index);
    }
    const next = keys[index + 1];
    if (next !== undefined && !(stop && STOPWORDS.has(next))) {
      const bigram = `${key} ${next}`;
      if (!seen.has(bigram)) {
        seen.add(bigram);
        visit(bigram, index, index + 1);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rules. Each pattern runs on the normalised text (lower case, no accents); every one is bounded.

interface RuleHit {
  label: number;
  weight: number;
  reason: string;
}

/** Text addressed to a classifier or a model rather than to a sales team. */
const INJECTION: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:urgent|tire|support)_(?:buyer|kicker|request)\b/, "names a label"],
  [
    /\b(?:ignore|disregard|forget|override|bypass)\b[^.!?\n]{0,40}?\b(?:instructions?|prompts?|rules|guidelines|directives|everything|above|previous|prior|earlier)\b/,
    "tells the reader to ignore its instructions",
  ],
  [/(?:^|[[<{(#|]\s*\/?\s*)(?:system|assistant|developer)\b\s*[:>\]]/, "fakes a system or assistant turn"],
  [
    /[[<]\s*\/?\s*(?:inst|sys|system|instructions?|lead_?message)\s*[\]>]|<<\s*sys|#{2,}\s*(?:system|instruction)/,
    "fakes prompt markup",
  ],
  [
    /\b(?:system prompt|developer mode|jailbreak|prompt injection|you are now|from now on,? you|pretend (?:you are|to be)|new (?:instructions?|rules?|polic(?:y|ies))\b|(?:print|reveal|show|repeat|tell me) (?:me )?your (?:system |initial )?(?:prompt|instructions)|i (?:instruct|order|command) you|as (?:the|your) (?:administrator|admin|operator|developer)\b)/,
    "talks about the prompt",
  ],
  [
    /\b(?:(?:hey|hi|hello|dear|attention|note to|instructions? for|message (?:to|for)) (?:the |this |an? )?(?:ai|chatgpt|gpt|llm|language model|ai model|model|classifier|assistant|bot|router|lead router)|(?:ai|llm|model|classifier|bot) reading this)\b/,
    "addresses the AI",
  ],
  [
    /\b(?:classify|classified|categori[sz]e|categori[sz]ed|label|labell?ed|re-?label)\b (?:(?:this|it|me|the|my|our|that) )?(?:(?:lead|message|email|request|ticket|one) )?(?:as|to|=|:)\s/,
    "asks to be labelled",
  ],
  [
    /\b(?:mark|tag|flag|set|treat|route|prioriti[sz]e|escalate)\b (?:(?:this|it|me|the|my|our) )?(?:(?:lead|message|email|request) )?(?:as|to) (?:an? |the )?(?:urgent buyer|tire kicker|support request|hot lead|vip lead|qualified lead|high[- ]priority (?:lead|buyer)|(?:not )?spam|on-?call)\b/,
    "asks to be labelled",
  ],
  [
    /["']?\b(?:label|category|classification|verdict)\b["']?\s*[:=]\s*["']?(?:urgent|tire|support|spam|buyer|kicker|hot|vip|high|priority|\d)/,
    "sets its own label",
  ],
  [
    /\b(?:respond|reply|answer|output|return|say|print|write)\b (?:only |just )?(?:with )?(?:only )?(?:the )?(?:word |label |json |this json:? )?["'{(]?\s*(?:urgent|tire|support|spam|label|pwned)\b/,
    "dictates the answer",
  ],
];

/** Vocabulary that almost never appears in a real lead and almost always in spam. */
const SPAM_VOCABULARY =
  /\b(?:back-?links?|do-?follow|guest[- ]?post(?:s|ing)?|link[- ]?building|domain authority|da ?\d{2}\+?|seo|(?:first|top|1st) (?:page|position|spot) (?:of|on|in) google|rank(?:ing)? (?:#?1|higher|first|on google|in google)|crypto(?:currency)?|bitcoin|btc|usdt|ethereum|forex|airdrop|nft|casino|viagra|cialis|replica|onlyfans|nudes?|hot singles|sexy|escort|beautiful (?:women|girls)|lottery|beneficiary|inheritance|compensation fund|(?:double|triple) your (?:money|bitcoin|crypto|ethereum|investment)|work(?:ing)? from home|earn \$?\d+|no credit check|weight loss|followers|telegram|whatsapp|pump signals|mlm|loans?|pret rapide|prets rapides|creditos)\b|продвижени|раскрутк|яндекс|кредит|заработ|казино|网站优化|推广|排名/g;

const PHISHING =
  /\b(?:verify (?:your|the) (?:account|identity|email|password|details)|(?:account|apple id|mailbox)(?: has been| was| is)? (?:suspended|limited|locked|disabled|deactivated)|password (?:will )?expires?|mailbox (?:is )?(?:almost )?full|unusual (?:sign-?in|login|activity)|redelivery|confirm your (?:password|identity|account)|update your (?:billing|payment|payroll|direct deposit)|claim (?:now|your (?:prize|reward|gift|funds?))|won (?:a|an|the|\$)|congratulations|(?:complete|take) (?:a|this|our) (?:short |quick )?survey|free (?:iphone|gift card|prize)|infected|viruses|call (?:microsoft|apple|windows) support|extended warranty|final notice|shared (?:a |the )?(?:document|file)|click (?:here )?to (?:view|download)|new file waiting|sign in to download|(?:review|open|view|see|download) the attached|view payment details)\b/;

/** Someone selling to us: not a lead. */
const PITCH =
  /\b(?:we (?:can|will) (?:help you|get you|build you|redesign|fix (?:that|them|it)|increase|boost|grow|double|send you)|(?:our|my) (?:agency|team|company|experts?) (?:can|will) (?:help|get|build|fix|book|deliver)|(?:we|i) noticed (?:that )?(?:you|your)|your (?:website|site) (?:is not|isn't|has|looks|was)|free (?:audit|seo|report|mockup|consultation|strategy)|(?:qualified )?(?:meetings|appointments|calls|leads|clients) (?:per|a|every) (?:month|week)|offshore|outsourc\w*|dedicated developers|appointment setting|lead generation services|would you be interested in (?:a|our)|are you (?:the owner|accepting new vendors)|approved vendors|list of (?:decision makers|contacts)|email (?:list|database)|database of \d+|(?:we|i) (?:can )?(?:offer|provide|supply) (?:you|your|high|cheap|affordable|quality|top|best|professional|custom|expert|dedicated|virtual|guaranteed|seo|web|app|mobile|data|free|link|lead)|(?:we|i) (?:help|helps) (?:companies|businesses|brands|coaches|agencies|saas|startups)|(?:we are|we're|i am|i'm|i represent) (?:an? )?(?:\w+ ){0,4}(?:agency|manufacturer|supplier|exchange|freelancer)\b|our (?:rates|catalog(?:ue)?|portfolio|company profile|price list|packages)|dear (?:business owner|webmaster|website owner|site owner|sir|madam|friend|beneficiary|user|valued customer)|do you (?:need|want) (?:a|an|help with|more) (?:logo|website|app|seo|translations?|leads|marketing|followers)|we buy (?:houses|homes|properties)|place (?:articles|a sponsored)|sponsored (?:post|article))\b/;

const JOB =
  /\b(?:applying for|apply for|(?:attached|find|here is|here's|see) (?:is )?my (?:cv|resume|portfolio)|my (?:cv|resume)\b|cover letter|are you hiring|(?:any|have) (?:job )?openings|any open (?:positions|roles)|(?:job|internship|position|role|vacancy|work) (?:application|opening)|looking for (?:a |an |some )?(?:\w+ ){0,2}(?:job|gigs?|internship|work|projects)\b|work (?:with|for) you as an?|hiring manager|internship)\b/;

/** Insults: a person venting, not a lead. */
const ABUSE = /\b(?:sucks?|hate (?:you|your)|fuck\w*|shit\w*|idiots?|stupid|scam(?:mers?)?)\b/;

const LOREM = /\blorem ipsum\b/;
const KEYBOARD_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
/** Abbreviations people do write without a vowel. */
const CONSONANT_WORDS = new Set(
  "pls plz thx thnx hrs hr mr mrs ms dr st rd crm sms mvp pdf csv cv sdr bdr ppc cfo ceo cto b2b ltd llc vp hvac www nyc tv gps sql html css xml png jpg hq fyi btw lbs kg km cm mm ft sq tbd ssn qty pcs msg nrw".split(
    " ",
  ),
);

/** Letters that no language mashes together, or a keyboard row: someone testing the form or a bot. */
function isGibberishWord(word: string): boolean {
  if (!/^[a-z]+$/.test(word) || CONSONANT_WORDS.has(word)) return false; // other scripts: judged by NB
  if (word.length >= 3 && word !== "wer" && KEYBOARD_ROWS.some((row) => row.includes(word))) return true;
  if (/^(.)\1+$/.test(word) || /(.)\1{3,}/.test(word) || /^(.{2,4})\1{2,}$/.test(word)) return true;
  if (word.length >= 3 && !/[aeiouy]/.test(word)) return true;
  return /[bcdfghjklmnpqrstvwxz]{5,}/.test(word);
}

/** Verbs of buying: with a quantity, a budget or a deadline they make an order, not a question. */
const PURCHASE =
  /\b(?:buy(?:ing)?|purchas\w*|order(?:ing)?|sign(?:ed|ing)?|contract|invoice (?:us|me)|quote|quotation|pro ?forma|po\b|purchase order|subscri(?:be|ption)|onboard|roll ?out|go live|book(?:ing)?|hire|retain|commission|reserve|deposit|payment link|pay(?:ing)?|offer on|make (?:an )?offer|proceed|move forward|commit|lease|comprar|compra|contratar|acheter|commander|kaufen|acquistare|kupic|firmar|signer|unterschreiben|firmare|devis|angebot|cotizacion|orcamento|preventivo|oferte)\b/;
/** Wanting verbs: weaker, so they need two of quantity, budget and deadline. */
const WANT =
  /\b(?:need|needs|needed|require|want|looking (?:for|to)|get|add|upgrade|switch|migrate|deploy|install|replace)\b/;

const QUANTITY =
  /\b(?:[2-9]|\d{2,}|\d{1,3}(?:,\d{3})+)\+? ?(?:more |new |additional |extra )?(?:seats?|users?|licen[cs]es?|units?|people|persons|employees|staff|reps|agents|accounts|guests|rooms|hours|locations|stores|clinics|offices|sites|pallets|cases|tons|pieces|pcs|boxes|workstations|endpoints|laptops|desks|chairs|trucks|machines|mailboxes|clients|workspaces|buildings|floors|doors|technicians|developers|crews|banners|catalogs|flyers|mugs|shirts|t-shirts|hoodies|tablets|mattresses|messages|sq ?ft|square feet|acres|usuarios|licencias|utilisateurs|licences|nutzer|lizenzen|utenti|licenze|licencas|licencji|unidades|unites)\b|\bteam of \d+|\b(?:all|whole|entire) (?:sales )?(?:team|org|company|organization)\b/;

const BUDGET =
  /\b(?:budget (?:is |was |has been )?(?:approved|allocated|signed|set|ready|unlocked|freigegeben)|(?:approved|signed|allocated) budget|approved (?:the )?(?:budget|spend)|(?:boss|cfo|ceo|board|director|finance|procurement|purchasing) (?:just )?(?:approved|signed off|said yes)|signed off|funding (?:is )?(?:ready|secured|approved)|financing (?:is )?(?:ready|secured|approved)|pre-?approved|proof of funds|cash buyer|card (?:is )?ready|card in hand|po (?:is )?(?:ready|can be issued)|presupuesto (?:ya )?(?:esta )?aprobado|orcamento aprovado|budget (?:e )?(?:gia )?approvato|budget approuve|\$ ?[1-9][\d,.]*k?|€ ?[1-9][\d,.]*|£ ?[1-9][\d,.]*|[1-9][\d,.]* ?(?:k|usd|eur|€)\b)/;

const DEADLINE =
  /\b(?:(?:by|before|until|no later than|latest|ahead of) (?:the )?(?:(?:next |this )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun|weekend|week)|tomorrow|tonight|today|eod|eow|eom|end of (?:the )?(?:day|week|month|quarter|year)|(?:our |the )?(?:fiscal|financial) year|quarter end|month end|\d{1,2}(?:st|nd|rd|th)|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)\w*|q[1-4])|this week|today|tomorrow|tonight|asap|immediately|right away|right now|same-day|rush|urgent(?:ly)?|within \d+ (?:business )?(?:days|weeks)|in \d+ (?:days|weeks)|next (?:monday|tuesday|wednesday|thursday|friday|week)|starting (?:monday|tomorrow|next|on|immediately|\d+)|effective (?:today|immediately)|go live (?:on|by)|deadline|esta semana|hoy|para el lunes|antes del|cette semaine|avant la fin|bis (?:freitag|montag|ende)|diese woche|entro|questa settimana|ainda esta semana|do konca)\b/;

const READY =
  /\b(?:ready to (?:buy|sign|purchase|pay|order|go|start|proceed|move forward|commit|book|convert)|(?:decided|decision made|chosen|chose) (?:to go )?(?:with|ahead)|(?:we're|we are|i'm|i am) (?:buying|going with|moving forward|placing an order)|buying decision|send (?:me |us |over )?(?:the |an? |your )?(?:final )?(?:contract|order form|docusign|payment (?:link|details)|agreement|paperwork|msa|lease|purchase link)|where (?:do|can) (?:i|we) (?:pay|enter (?:my|our) card|sign)|(?:sign|countersign)(?: it)? (?:today|this week|tomorrow|now)|let'?s (?:do it|go|get (?:started|going)|roll out)|approved on our side|accept(?:ed)? your (?:quote|bid|proposal)|(?:want|like|wish) to (?:buy|purchase|order|sign)\b|listos para firmar|prets a signer|bereit zu unterschreiben|compra confirmada)/;

const NOT_YET =
  /\b(?:not (?:looking to buy|ready|the decision maker|planning|sure)|no (?:timeline|rush|budget)|just (?:browsing|looking|curious|exploring|checking|getting (?:an idea|quotes)|collecting|comparing|gathering|researching|planning|budgeting|starting to look)|only (?:collecting|comparing|in research)|(?:next|later this) year|some ?day|at some point|some ?time|down the road|in the future|maybe|might (?:be interested|need)|couple of months|(?:still )?(?:early in|evaluating|exploring)|research mode|keep (?:me posted|in touch))\b/;

/** General interest: information, prices, trials, learning; the shape of most inbound that is not yet a deal. */
const INTEREST =
  /\b(?:send (?:me |us )?(?:some |more )?(?:info|information|details|a brochure|brochure|a catalog|catalog|the deck|deck|slides|price list|rate card|pricing|your menu|examples)|(?:more )?info(?:rmation)? (?:about|on)|learn more|know more|how much|price list|pricing|prices?|cost|rates|free (?:trial|plan|version|tier)|trial|demo|walkthrough|overview|student|academic|thesis|dissertation|class project|school project|research(?:ing)?|newsletter|webinar|ebook|whitepaper|downloaded|curious|interested in|do you (?:have|offer|support|integrate|work|do|ship|install|handle|serve|service|rent)|is there (?:a|an|any)|does it|can i (?:see|get|test|try)|informacion|informations|informazioni|tarifs|precios|preise|prezzi|precos|cuanto cuesta|combien|wie viel|quanto custa)\b/;

const PROBLEM =
  /\b(?:can'?t|cannot|cant|unable to|won'?t|doesn'?t|isn'?t|aren'?t|not (?:working|loading|syncing|arriving|showing|receiving|accepting|being delivered)|no longer|stopped|broken|broke|bug|errors?|crash\w*|fails?|failed|failing|issue|problem|glitch|blank|stuck|keeps|loop|redirect\w*|bounce\w*|locked|log ?in|login|sign ?in|password|2fa|two-factor|reset|charges?|charged|overcharged|billed|billing|receipt|declined|overdue|past due|vat|tax id|refund\w*|cancel\w*|downgrade|pause|unsubscribe me|close (?:my|our) account|delete (?:my|our) (?:account|data)|missing|missed|skipped|disappeared|wrong|leak\w*|damaged|noise|by mistake|accidentally|never (?:arrived|came|showed)|no one showed|didn'?t (?:show|fix|arrive|work)|how (?:do|can|should) (?:i|we)|where (?:do|can) (?:i|we) (?:find|change|download|see|update)|is there a way to|no puedo|n'arrive pas|ne (?:peux|peut|fonctionne|marche) (?:plus|pas)|non riesco|nao (?:consigo|funciona)|funktioniert nicht|sturzt ab|non funziona|nao consigo|nie moge|kan niet|kundig\w*|deux fois|zweimal|dos veces)\b/;

const CUSTOMER =
  /\b(?:(?:my|our) (?:account|acount|subscription|plan|membership|workspace|invoices?|bill|billing|receipt|payments?|order|delivery|package|shipment|dashboards?|admin|users|data|integration|card|credit card|company card|renewal|license|licence|license key|api|webhook|sso|setup|settings|reports?|pipelines?|contacts|leads|emails|sms|messages|inbox|calendar|team members|profile|password|login|trial|app|portal|booking|appointment|property|unit|apartment|lease|rent|balance|website|domain|hosting|campaign|crew|heater|internet|gift card|printer|course|download)|existing customer|(?:we're|we are|been) (?:a )?customers?|customers since|customer since|(?:seeing|got|have|see) (?:a|an|this|the) (?:\$?[\d.,]+ )?charge|since (?:we|the) (?:upgraded|signed|migrated|update|last update|release)|since (?:the|this|yesterday|this morning|last)|ticket ?#?\d+|order ?#?\d+|tenant|you (?:installed|sent|built|serviced|manage)|your (?:technician|installer|crew|plumber)|charged|billed|refund|cancel (?:my|our)|mi cuenta|mon (?:compte|abonnement|calendrier)|depuis (?:la mise a jour|hier|ce matin)|facture|mein(?:en)? (?:konto|abonnement)|mijn account|konta)\b/;

function firstMatch(pattern: RegExp, text: string): string | undefined {
  return pattern.exec(text)?.[0];
}

function quoted(snippet: string): string {
  return `"${snippet.length > 40 ? `${snippet.slice(0, 40)}…` : snippet}"`;
}

function ruleHits(text: string, { keys, surfaces }: Tokens): RuleHit[] {
  const hits: RuleHit[] = [];
  const hasLink = keys.includes("§url") || keys.includes("§email");

  const spamWords = new Set(text.match(SPAM_VOCABULARY) ?? []);
  if (spamWords.size > 0) {
    const words = [...spamWords].slice(0, 3).join(", ");
    if (hasLink) hits.push({ label: SPAM, weight: 8, reason: `link with spam vocabulary (${words})` });
    else
      hits.push({ label: SPAM, weight: spamWords.size >= 2 ? 6 : 4, reason: `spam vocabulary (${words})` });
  }
  const phishing = firstMatch(PHISHING, text);
  if (phishing !== undefined) {
    hits.push({ label: SPAM, weight: hasLink ? 8 : 4, reason: `phishing ${quoted(phishing)}` });
  }
  const pitch = firstMatch(PITCH, text);
  if (pitch !== undefined) hits.push({ label: SPAM, weight: 4, reason: `sales pitch ${quoted(pitch)}` });
  const job = firstMatch(JOB, text);
  if (job !== undefined) hits.push({ label: SPAM, weight: 5, reason: `job application ${quoted(job)}` });
  const abuse = firstMatch(ABUSE, text);
  if (abuse !== undefined) hits.push({ label: SPAM, weight: 4, reason: `abuse ${quoted(abuse)}` });

  const words = surfaces.filter((_, index) => !keys[index]?.startsWith("§"));
  const gibberish = words.filter(isGibberishWord).length;
  if (LOREM.test(text)) hits.push({ label: SPAM, weight: 8, reason: "placeholder text" });
  else if (
    words.length > 0 &&
    (gibberish / words.length >= 0.5 || words.every((word) => word.length === 1))
  ) {
    hits.push({ label: SPAM, weight: 8, reason: "gibberish" });
  } else if (words.length === 0 && !keys.includes("§url")) {
    hits.push({ label: SPAM, weight: 8, reason: "no words" });
  } else if (
    words.length <= 3 &&
    words.every((word) => /^(?:test\w*|asdf\w*|foo|bar|xxx+|abc)$/.test(word))
  ) {
    hits.push({ label: SPAM, weight: 8, reason: "test submission" });
  }

  const notYet = firstMatch(NOT_YET, text);
  if (notYet !== undefined) hits.push({ label: TIRE, weight: 2, reason: `no commitment ${quoted(notYet)}` });
  const ready = notYet === undefined ? firstMatch(READY, text) : undefined;
  const purchase = firstMatch(PURCHASE, text);
  const want = purchase ?? firstMatch(WANT, text);
  const terms = [
    ["quantity", firstMatch(QUANTITY, text)],
    ["budget", firstMatch(BUDGET, text)],
    ["deadline", firstMatch(DEADLINE, text)],
  ].filter((term): term is [string, string] => term[1] !== undefined);
  const detail = terms.map(([name, snippet]) => `${name} ${quoted(snippet)}`).join(", ");
  let urgent: RuleHit | undefined;
  if (ready !== undefined) {
    urgent = {
      label: URGENT,
      weight: 5,
      reason: `ready to buy ${quoted(ready)}${detail ? `, ${detail}` : ""}`,
    };
  } else if (notYet === undefined && purchase !== undefined && terms.length > 0) {
    urgent = {
      label: URGENT,
      weight: terms.length >= 2 ? 4 : 2.5,
      reason: `purchase ${quoted(purchase)} with ${detail}`,
    };
  } else if (notYet === undefined && want !== undefined && terms.length >= 2) {
    urgent = { label: URGENT, weight: 2.5, reason: `need ${quoted(want)} with ${detail}` };
  }

  const problem = firstMatch(PROBLEM, text);
  const customer = problem === undefined ? undefined : firstMatch(CUSTOMER, text);
  if (problem !== undefined && customer !== undefined) {
    hits.push({
      label: SUPPORT,
      weight: 4,
      reason: `customer ${quoted(customer)} with problem ${quoted(problem)}`,
    });
    // A customer's problem that mentions seats or dates is still a problem, unless they say they are buying.
    if (ready === undefined) urgent = undefined;
  } else if (problem !== undefined) {
    hits.push({ label: SUPPORT, weight: 1.5, reason: `problem ${quoted(problem)}` });
  }
  if (urgent !== undefined) hits.push(urgent);

  const interest = firstMatch(INTEREST, text);
  if (
    interest !== undefined &&
    urgent === undefined &&
    problem === undefined &&
    !hits.some((hit) => hit.label === SPAM)
  ) {
    hits.push({ label: TIRE, weight: 1.5, reason: `general interest ${quoted(interest)}` });
  }
  // When nothing else speaks, a message is general interest: an unneeded page to the on-call costs more.
  hits.push({ label: TIRE, weight: 0.5, reason: "default" });
  return hits;
}

// ---------------------------------------------------------------------------------------------------------------
// The model

export type LocalClassifier = (sanitizedText: string) => LocalVerdict;

const LABEL_COUNT = TRIAGE_LABELS.length;

/** The trained model: a feature's id, and per id the log-likelihood under each label (`id * 4 + label`). */
interface Model {
  ids: ReadonlyMap<string, number>;
  weights: Float64Array;
}

/** Trains NB on sanitized examples (as `classifyLocally` receives its input) and returns the classifier. */
export function trainLocalClassifier(
  examples: readonly LabelledExample[],
  settings: ClassifierSettings = DEFAULT_SETTINGS,
): LocalClassifier {
  const model = train(examples, settings.alpha);
  return (sanitizedText) => classifyWith(model, settings, sanitizedText);
}

function train(examples: readonly LabelledExample[], alpha: number): Model {
  const ids = new Map<string, number>();
  // Typed arrays and integer ids, not a map of arrays: the Lambda pays for this at every cold start.
  let counts = new Float64Array(LABEL_COUNT * 8_192);
  const totals = new Float64Array(LABEL_COUNT);
  for (const [text, label] of examples) {
    if (!Number.isInteger(label) || label < 0 || label >= LABEL_COUNT) {
      throw new Error(`label index ${label} out of range`);
    }
    eachFeature(tokenize(normalise(text)).keys, (key) => {
      let id = ids.get(key);
      if (id === undefined) {
        id = ids.size;
        ids.set(key, id);
        if ((id + 1) * LABEL_COUNT > counts.length) {
          const grown = new Float64Array(counts.length * 2);
          grown.set(counts);
          counts = grown;
        }
      }
      counts[id * LABEL_COUNT + label] = (counts[id * LABEL_COUNT + label] ?? 0) + 1;
      totals[label] = (totals[label] ?? 0) + 1;
    });
  }
  const denominators = Array.from(totals, (total) => Math.log(total + alpha * ids.size));
  const weights = new Float64Array(ids.size * LABEL_COUNT);
  for (let cell = 0; cell < weights.length; cell++) {
    weights[cell] = Math.log((counts[cell] ?? 0) + alpha) - (denominators[cell % LABEL_COUNT] ?? 0);
  }
  return { ids, weights };
}

function classifyWith(model: Model, settings: ClassifierSettings, sanitizedText: string): LocalVerdict {
  const raw = typeof sanitizedText === "string" ? sanitizedText.slice(0, MAX_INPUT) : "";
  if (raw.trim() === "")
    return { label: "TIRE_KICKER", classifier: "local", confidence: 1, reasons: ["no message"] };
  const text = normalise(raw);
  for (const [pattern, reason] of INJECTION) {
    const match = pattern.exec(text);
    if (match !== null) {
      return {
        label: "SPAM",
        classifier: "local",
        confidence: 0.99,
        reasons: [`prompt injection: ${reason} ${quoted(match[0].trim())}`],
      };
    }
  }

  const tokens = tokenize(text);
  const scores = [0, 0, 0, 0];
  const known: Known[] = [];
  eachFeature(tokens.keys, (key, start, end) => {
    const id = model.ids.get(key);
    if (id === undefined) return;
    const weights = model.weights.subarray(id * LABEL_COUNT, (id + 1) * LABEL_COUNT);
    known.push({ surface: tokens.surfaces.slice(start, end + 1).join(" "), weights });
    for (let label = 0; label < LABEL_COUNT; label++)
      scores[label] = (scores[label] ?? 0) + (weights[label] ?? 0);
  });
  if (known.length > 0) {
    const damp = known.length ** settings.lengthPower;
    for (let label = 0; label < LABEL_COUNT; label++) scores[label] = (scores[label] ?? 0) / damp;
  }
  const hits = ruleHits(text, tokens);
  for (const hit of hits) scores[hit.label] = (scores[hit.label] ?? 0) + hit.weight * settings.ruleScale;

  const best = argmax(scores);
  const probabilities = softmax(scores.map((score) => score / settings.temperature));
  return {
    label: TRIAGE_LABELS[best] ?? "TIRE_KICKER",
    classifier: "local",
    confidence: Math.round((probabilities[best] ?? 0) * 100) / 100,
    reasons: [
      ...hits
        .filter((hit) => hit.label === best && hit.reason !== "default" && settings.ruleScale > 0)
        .map((hit) => hit.reason),
      ...wordReasons(known, scores, best),
    ],
  };
}

interface Known {
  surface: string;
  weights: Float64Array;
}

/** The three words that favour the winner most over the runner-up: what a person would check first. */
function wordReasons(known: readonly Known[], scores: readonly number[], best: number): string[] {
  const runnerUp = argmax(scores.map((score, label) => (label === best ? Number.NEGATIVE_INFINITY : score)));
  const favouring = known
    .map(({ surface, weights }) => [surface, (weights[best] ?? 0) - (weights[runnerUp] ?? 0)] as const)
    .filter(([, margin]) => margin > 0.5)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, 3)
    .map(([surface]) => surface);
  return favouring.length === 0 ? [] : [`words: ${favouring.join(", ")}`];
}

function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((value, index) => {
    if (value > (values[best] ?? Number.NEGATIVE_INFINITY)) best = index;
  });
  return best;
}

function softmax(values: readonly number[]): number[] {
  const top = Math.max(...values);
  const exps = values.map((value) => Math.exp(value - top));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

const defaultClassifier = trainLocalClassifier(TRAIN_CORPUS);

/** Labels a sanitized lead message offline; see the top of this file for how and why. */
export function classifyLocally(sanitizedText: string): LocalVerdict {
  return defaultClassifier(sanitizedText);
}

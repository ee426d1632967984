// Reply extraction: only the part of an inbound email that a person just wrote becomes the text of a
// ticket comment; the full message stays stored. Mail clients mark what they quote in many ways
// (`>` prefixes, "On … wrote:" in the sender's language, Outlook header blocks, forward separators)
// and append device signatures. Every rule here is generic: it describes how clients write mail,
// never one particular message. When the rules would leave nothing (a bottom-post with inline
// answers, a pure forward) the whole text is returned rather than an empty comment.
import { Parser } from 'htmlparser2';

/** The line Guichet puts at the top of every notification; a reply is cut at it. */
export const REPLY_MARKER = '-- Reply above this line / Répondez au-dessus de cette ligne --';

const MARKER_RE = /Reply above this line|Répondez au-dessus de cette ligne/i;

// "wrote" as quote headers spell it; a header line ends with one of these (and a colon), or has it
// before the sender's address, as in "Am … schrieb Max <max@…>:".
const WROTE =
  'wrote|writes|a écrit|a ecrit|écrit|schrieb|escribió|escribio|ha scritto|scrisse|schreef|het volgende geschreven|' +
  'pisze|napisał\\(a\\)|napisał|napisała|escreveu|skrev|skriver|írta|kirjoitti|napsal\\(a\\)|napsal|napsala|yazdı|' +
  'пишет|написал\\(а\\)|написал|написала|пише|написав|написала|έγραψε|写道|書きました|のメッセージ|작성';
// Words that open an attribution line in the languages we see ("On", "Le", "Am", "El", "W dniu", …).
const OPENER =
  'On|Le|Am|El|Il|Op|W dniu|Dnia|Em|No dia|Den|Dne|Dňa|Dana|På|Pe|Στις|В|У|Στις';

const WROTE_END_RE = new RegExp(`(?:${WROTE})\\s*[:：]?$`, 'iu');
const OPENER_HEADER_RE = new RegExp(`^(?:${OPENER})\\s.{0,400}?(?:${WROTE})\\b.{0,200}[:：]$`, 'iu');
const EMAIL_RE = /[^\s<>()"']+@[^\s<>()"']+\.[a-z]{2,}/i;
const DATE_OR_TIME_RE = /\d{1,2}[:.h]\d{2}|\b(?:19|20)\d{2}\b|\d{4}年/;

// Separators Outlook, Thunderbird, Apple Mail, webmails write before an included message.
const DASHED_SEPARATOR_RE =
  /^[-=_*\s]*-{2,}[-=\s]*(?:original|origine|forward|transf|weitergeleitet|urspr|oprindelig|opprinnelig|ursprungligt|reenviado|inoltrato|encaminhad|doorgestuurd|oorspronkelijk|message|nachricht|mensaje|messaggio|mensagem|bericht|besked|meddelelse|melding|meddelande|wiadomo|сообщение|повідомлення|viesti|üzenet|zpráva|správa|mesaj|邮件|メッセージ|메시지)[^\n]{0,60}?-{2,}[-\s]*$/iu;
const FORWARD_INTRO_RE =
  /^(?:Begin forwarded message|Début du message (?:réexpédié|transféré)|Anfang der weitergeleiteten (?:Nachricht|E-Mail)|Inizio messaggio inoltrato|Comienzo del mensaje reenviado|Início da mensagem reencaminhada|Begin doorgestuurd bericht|Vidarebefordrat meddelande|Videresendt meddelelse)\s*:?$/iu;
const UNDERSCORE_RULE_RE = /^\s*_{10,}\s*$/;

// Header names of an included message: the From-like names start a block, the others confirm it.
const FROM_KEYS = 'From|De|Von|Van|Da|Od|Fra|Från|Frá|Lähettäjä|Feladó|От|Від|Kimden|Expéditeur|Absender|Remitente|Mittente|Afzender|Nadawca|差出人|发件人|寄件者|보낸 사람';
const OTHER_KEYS =
  'Sent|Date|To|Subject|Cc|Envoyé|Objet|À|A|Gesendet|Datum|An|Betreff|Enviado|Enviada|Fecha|Para|Asunto|Inviato|Data|Oggetto|Verzonden|Aan|Onderwerp|Wysłano|Do|Temat|Sendt|Til|Emne|Dato|Skickat|Till|Ämne|Отправлено|Кому|Тема|Дата|Надіслано|Lähetetty|Vastaanottaja|Aihe|Päivämäärä|Elküldve|Címzett|Tárgy|Dátum|Gönderildi|Kime|Konu|Odesláno|Komu|Předmět|送信日時|宛先|件名|日期|收件人|主题|发送时间|日時|받는 사람|제목|날짜';
const FROM_LINE_RE = new RegExp(`^[*>\\s]*(?:${FROM_KEYS})\\s*\\*?\\s*[:：]`, 'iu');
const HEADER_LINE_RE = new RegExp(`^[*>\\s]*(?:${FROM_KEYS}|${OTHER_KEYS})\\s*\\*?\\s*[:：]`, 'iu');

// Lines mobile clients and webmails append at the bottom of what the person wrote.
const DEVICE_SIGNATURE_RES = [
  /^[\s(<\[*_-]*(?:sent|sending|envoy[ée]|enviado|enviada|inviato|verzonden|verstuurd|gesendet|wysłane|wysłano|skickat|sendt|lähetetty|отправлено|надіслано|odesláno|gönderildi)\b.{0,80}\b(?:from|with|via|by|using|on|de|depuis|à partir|a partir|avec|von|mit|desde|con|do|dal|da|met|vanaf|van|z|ze|från|fra|med|с|з|iz|ile|por|par)\b.{0,100}$/iu,
  /^[\s(<\[*_-]*(?:get|télécharger|obtenir|holen sie sich|scarica|descargar|baixe|download)\b.{0,30}\b(?:outlook|gmail|yahoo|mail|app)\b.{0,100}$/iu,
  /^[\s(<\[*_-]*(?:von meinem|vom|from my|de mon|desde mi|dal mio|van mijn|z mojego|do meu|с моего|з мого)\b.{0,80}$/iu,
  /^.{0,40}\b(?:iphone|ipad|android|mobile|mobil|blackberry|galaxy|smartphone|phone|téléphone|handy)\b.{0,40}$/iu,
  /^(?:從我的|发自我的|來自我的|送信元|iPhoneから送信|Android.*から送信).{0,40}$/u,
];

function isDeviceSignature(line: string): boolean {
  const t = line.trim();
  if (t.length === 0 || t.length > 160) return false;
  // A sentence of the message ("I sent it from my phone yesterday, see below.") is longer and
  // punctuated; device lines are short labels.
  if (/[.!?]\s+\S/.test(t) && !/\bexcuse\b|\bpardon|typo/i.test(t)) return false;
  return DEVICE_SIGNATURE_RES.some((re) => re.test(t));
}

function isQuoteHeader(joined: string, nextNonBlank: string | undefined): boolean {
  const s = joined.trim();
  if (s.length < 6 || s.length > 600 || !/[:：]$/.test(s)) return false;
  if (OPENER_HEADER_RE.test(s)) return true;
  const cited = nextNonBlank !== undefined && nextNonBlank.trimStart().startsWith('>');
  if (WROTE_END_RE.test(s)) return cited || EMAIL_RE.test(s) || DATE_OR_TIME_RE.test(s) || s.length < 80;
  // Gmail's locale-neutral form: "2017-11-24 16:32 GMT+01:00 Name <name@example.com>:".
  return EMAIL_RE.test(s) && DATE_OR_TIME_RE.test(s) && /(?:>|\)|\]|\S@\S+)\s*[:：]$/.test(s);
}

/** True when an included message's header block (From/Sent/To/Subject, localised) starts at i. */
function isHeaderBlock(lines: string[], i: number, afterSeparator: boolean): boolean {
  if (!FROM_LINE_RE.test(lines[i]!) && !(HEADER_LINE_RE.test(lines[i]!) && afterSeparator)) return false;
  let headers = 1;
  let sawFrom = FROM_LINE_RE.test(lines[i]!);
  for (let j = i + 1; j < Math.min(lines.length, i + 8); j++) {
    const line = lines[j]!;
    if (line.trim() === '') break;
    if (HEADER_LINE_RE.test(line)) {
      headers++;
      if (FROM_LINE_RE.test(line)) sawFrom = true;
    }
  }
  return afterSeparator ? headers >= 2 || sawFrom : sawFrom && headers >= 3;
}

function previousNonBlank(lines: string[], i: number): string | undefined {
  for (let j = i - 1; j >= 0; j--) if (lines[j]!.trim() !== '') return lines[j];
  return undefined;
}

function nextNonBlank(lines: string[], i: number): string | undefined {
  for (let j = i; j < lines.length; j++) if (lines[j]!.trim() !== '') return lines[j];
  return undefined;
}

/** Index of the first line that belongs to quoted or included material, or lines.length. */
function findCut(lines: string[]): number {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const t = line.trim();
    if (MARKER_RE.test(line)) return i;
    if (t === '' || t.startsWith('>')) continue;
    if (DASHED_SEPARATOR_RE.test(t) || FORWARD_INTRO_RE.test(t)) return i;
    if (UNDERSCORE_RULE_RE.test(t)) {
      const next = nextNonBlank(lines, i + 1);
      if (next !== undefined && HEADER_LINE_RE.test(next)) return i;
      continue;
    }
    const prev = previousNonBlank(lines, i);
    const afterSeparator = prev !== undefined && (UNDERSCORE_RULE_RE.test(prev) || /^\s*-{5,}\s*$/.test(prev));
    if (isHeaderBlock(lines, i, afterSeparator)) return i;
    // Attribution lines wrap: try the line alone, then joined with the one or two that follow.
    let joined = '';
    for (let k = 0; k < 3 && i + k < lines.length; k++) {
      const part = lines[i + k]!.trim();
      if (part === '' || (k > 0 && part.startsWith('>') && !/^>\s*[:：]?$/.test(part))) break;
      joined = joined === '' ? part : `${joined} ${part}`;
      if (isQuoteHeader(joined, nextNonBlank(lines, i + k + 1))) return i;
    }
  }
  return lines.length;
}

const SIG_DELIMITER_RE = /^(?:-- ?|--|__|—)$/;

/** Drops a trailing signature block and device lines; keeps closings such as "Thanks, Alex". */
function stripSignature(lines: string[]): string[] {
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 15; i--) {
    if (SIG_DELIMITER_RE.test(lines[i]!.replace(/\s+$/, lines[i]!.startsWith('-- ') ? ' ' : ''))) {
      end = i;
      break;
    }
  }
  lines = lines.slice(0, end);
  while (lines.length > 0 && (lines.at(-1)!.trim() === '' || isDeviceSignature(lines.at(-1)!))) lines.pop();
  return lines;
}

function trimLines(lines: string[]): string {
  return lines.join('\n').replace(/^\s*\n/, '').trim();
}

/** The new text of a reply: quotes, quote headers, included messages and signatures removed. */
export function extractReply(text: string): string {
  const normalised = text.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '');
  const lines = normalised.split('\n');
  const above = lines.slice(0, findCut(lines));
  // Quoted lines left above the cut are a top quote or interleaved answers; keep the answers.
  const unquoted = above.filter((l) => !l.trimStart().startsWith('>'));
  const reply = trimLines(stripSignature(unquoted));
  if (reply !== '') return reply;
  // Nothing above the quote: a bottom-post. Take what is not quoted and not a header.
  const cut = findCut(lines);
  const below = lines.slice(cut + 1).filter((l) => !l.trimStart().startsWith('>'));
  const bottom = trimLines(stripSignature(below.slice(0, findCut(below))));
  return bottom !== '' && cut < lines.length ? bottom : normalised.trim();
}

const BLOCK_TAGS = new Set([
  'address', 'article', 'aside', 'center', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure',
  'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p',
  'pre', 'section', 'table', 'tbody', 'thead', 'tfoot', 'tr', 'ul', 'blockquote', 'body', 'html',
]);
const PARAGRAPH_TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'ul', 'ol', 'blockquote', 'pre']);
const SKIPPED_TAGS = new Set(['script', 'style', 'head', 'title', 'template', 'noscript', 'object', 'svg']);

/**
 * Readable text from an HTML body: blocks and `<br>` become line breaks, `<blockquote>` content is
 * prefixed with "> " (so extractReply drops it like a plain-text quote), scripts and styles vanish.
 */
export function htmlToText(html: string): string {
  const out: string[] = [];
  let line = '';
  let lineDepth = 0;
  let depth = 0;
  let skip = 0;
  let pre = 0;
  const flush = () => {
    const text = line.replace(/[ \t]+$/, '');
    out.push(text === '' ? '' : '> '.repeat(lineDepth) + text);
    line = '';
  };
  const breakLine = (blank: boolean) => {
    if (line !== '') flush();
    if (blank && out.length > 0 && out.at(-1) !== '') out.push('');
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIPPED_TAGS.has(name)) skip++;
        if (skip > 0) return;
        if (name === 'br') return breakLine(false);
        if (BLOCK_TAGS.has(name)) breakLine(PARAGRAPH_TAGS.has(name));
        if (name === 'blockquote') depth++;
        if (name === 'pre') pre++;
        if (name === 'li') line = '- ';
        if ((name === 'td' || name === 'th') && line !== '' && !line.endsWith(' ')) line += ' ';
      },
      onclosetag(name) {
        if (SKIPPED_TAGS.has(name)) skip = Math.max(0, skip - 1);
        if (skip > 0) return;
        if (BLOCK_TAGS.has(name)) breakLine(PARAGRAPH_TAGS.has(name));
        if (name === 'blockquote') depth = Math.max(0, depth - 1);
        if (name === 'pre') pre = Math.max(0, pre - 1);
      },
      ontext(data) {
        if (skip > 0) return;
        const parts = (pre > 0 ? data : data.replace(/[\s\u00a0]+/g, ' ')).split('\n');
        parts.forEach((part, k) => {
          if (k > 0) breakLine(false);
          const text = line === '' && pre === 0 ? part.replace(/^ +/, '') : part;
          if (text === '') return;
          if (line === '') lineDepth = depth;
          line += pre > 0 ? text : text.replace(/\u00a0/g, ' ');
        });
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  breakLine(false);
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

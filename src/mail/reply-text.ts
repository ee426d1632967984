// Reply extraction: only the part of an inbound email that a person just wrote becomes the text of a
// ticket comment; the full message stays stored. Clients mark what they include in many ways (`>`
// prefixes, "On … wrote:" in the sender's language, Outlook header blocks, forward separators).
// Every rule describes how clients write mail, never one message. Quoted lines followed by new text
// are inline answers and stay, for context; a bottom-post keeps what follows the quote; when nothing
// would be left, the whole text is returned. What is a signature below the new text is decided in
// signature.ts; this file cuts the quoted history and asks it.

import { isReplyMarker } from '../protocol/markers.ts';
import { dropSignatureBlock, isDeviceLine, replyDelimiter } from './signature.ts';
import { B, blank, E, QUOTED_RE, tidy } from './text-lines.ts';

// "wrote" as attribution lines spell it, and the words that open one ("On", "Le", "Am", "W dniu"…).
const WROTE =
  'wrote|writes|a écrit|a ecrit|schrieb|escribió|escribio|ha scritto|scrisse|schreef|het volgende geschreven|' +
  'pisze|napisał\\(a\\)|napisała?|escreveu|skrev|skriver|írta|kirjoitti|napsala?|napsal\\(a\\)|yazdı|пишет|' +
  'написала?|написал\\(а\\)|пише|написав|έγραψε|写道|書きました|のメッセージ|のメール|작성';
const OPENER = 'On|Le|Am|El|Il|Op|W dniu|Dnia|Em|No dia|Den|Dne|Dňa|Dana|På|Pe|Στις|В|У';
const OPENER_RE = new RegExp(`^(?:${OPENER})${E}`, 'iu');
const OPENER_HEADER_RE = new RegExp(`^(?:${OPENER})\\s.{0,400}?(?:${WROTE})${E}.{0,200}[:：]$`, 'iu');
const WROTE_END_RE = new RegExp(`(?:${WROTE})\\s*[:：]$`, 'iu');
const EMAIL_WROTE_RE = new RegExp(`@[^\\s]+.{0,100}${B}(?:${WROTE})${E}.{0,80}[:：]$`, 'iu');
// Lotus Notes' "Name wrote on 03/02/2020 10:00:", Horde's "Quoting Name <name@…>:", and Android's
// "---- Name wrote ----".
const WROTE_ON_RE = new RegExp(
  `${B}(?:${WROTE}) (?:on|le|am|el|il|op) .{0,60}\\d.{0,20}[:：]$|^(?:Quoting|Citation de|Zitat von|Cita de) .{1,200}[:：]$|` +
    `^-{2,}.{1,200}${B}(?:${WROTE})\\s*-{2,}$`,
  'iu',
);
const EMAIL_RE = /[^\s<>()"'[\]]+@[^\s<>()"'[\]]+\.[a-z]{2,}/i;
// The pattern backtracks over every run of non-space characters; most lines have no "@" at all.
const hasEmail = (s: string) => s.includes('@') && EMAIL_RE.test(s);
const DATE_RE = /\d{1,2}[:.h]\d{2}|\b(?:19|20)\d{2}\b|\d{4}年/;
const CITED_RE = /^\s*(?:>|\||[A-Z]{1,3}>)/;

// Separators clients write above an included or forwarded message.
const SEPARATOR_RE = new RegExp(
  '^[-=_*\\s]*-{2,}[-=\\s]*(?:[^\\s-]+ ){0,2}(?:original|origine|forward|transf|weitergeleitet|urspr|oprindelig|' +
    'opprinnelig|ursprungligt|reenviado|inoltrato|encaminhad|doorgestuurd|oorspronkelijk|message|nachricht|mensaje|' +
    'messaggio|mensagem|bericht|besked|meddelelse|melding|meddelande|wiadomo|сообщение|повідомлення|viesti|üzenet|' +
    'zpráva|správa|mesaj|ileti|μήνυμα|邮件|メッセージ|메시지).{0,60}?-{2,}[-=_*\\s]*$|' +
    '^(?:Begin forwarded message|Début du message (?:réexpédié|transféré)|Anfang der ' +
    'weitergeleiteten (?:Nachricht|E-Mail)|Inizio messaggio inoltrato|Comienzo del mensaje reenviado|Início da mensagem ' +
    'reencaminhada|Begin doorgestuurd bericht|Vidarebefordrat meddelande|Videresendt meddelelse)\\s*:?$',
  'iu',
);
const RULE_RE = /^\s*\**\s*(?:_{5,}|-{5,}|={4,})\s*\**\s*$/;

// Header names of an included message: the From-like ones open a block, the others confirm it.
const FROM_KEYS =
  'From|De|Von|Van|Da|Od|Fra|Från|Frá|Lähettäjä|Feladó|От|Від|Kimden|Expéditeur|Absender|Remitente|Mittente|' +
  'Afzender|Nadawca|Από|差出人|发件人|寄件者|보낸 사람';
const OTHER_KEYS =
  'Sent|Date|To|Subject|Cc|Reply-To|Envoyé|Objet|Sujet|À|A|Copie à|Message du|Gesendet|Datum|An|Betreff|' +
  'Enviad[oa](?: (?:em|el))?|Fecha|Para|Asunto|Assunto|Inviato|Data|Oggetto|Verzonden|Aan|Onderwerp|Wysłano|Do|' +
  'Temat|Sendt|Til|Emne|Dato|Skickat|Till|Ämne|Отправлено|Кому|Тема|Дата|Надіслано|Lähetetty|Vastaanottaja|Aihe|' +
  'Päivämäärä|Elküldve|Címzett|Tárgy|Dátum|Gönderildi|Kime|Konu|Odesláno|Komu|Předmět|Απεστάλη|Προς|Θέμα|' +
  '送信日時|宛先|件名|日期|收件人|主题|发送时间|받는 사람|제목|날짜';
const FROM_LINE_RE = new RegExp(`^[*\\s]*(?:${FROM_KEYS})\\s*\\*?\\s*[:：]`, 'iu');
const HEADER_LINE_RE = new RegExp(`^[*\\s]*(?:${FROM_KEYS}|${OTHER_KEYS})\\s*\\*?\\s*[:：]`, 'iu');

function isAttribution(s: string, next: string | undefined): boolean {
  if (s.length < 6 || s.length > 600) return false;
  // A wrapped attribution's own tail ("> wrote:", ">:") is not the quote it introduces.
  const cited = next !== undefined && CITED_RE.test(next) && !/^>\s*\S*\s*[:：]$/.test(next.trim());
  if (!/[:：]$/.test(s)) return WROTE_ON_RE.test(s) || (cited && hasEmail(s) && DATE_RE.test(s) && s.length < 200);
  // "On Monday I wrote the following:" is prose; a real attribution has a date, an address or a quote.
  if (OPENER_HEADER_RE.test(s) && (cited || /\d/.test(s) || hasEmail(s))) return true;
  if (EMAIL_WROTE_RE.test(s) || WROTE_ON_RE.test(s)) return true;
  if (WROTE_END_RE.test(s)) return cited || hasEmail(s) || DATE_RE.test(s);
  // Gmail's locale-neutral form: "2017-11-24 16:32 GMT+01:00 Name <name@example.com>:".
  return hasEmail(s) && DATE_RE.test(s) && /(?:>|\)|\]|@\S+)\s*[:：]$/.test(s);
}

/** End (exclusive) of an attribution starting at line i, which clients wrap over up to 4 lines. */
function attributionEnd(lines: string[], i: number): number {
  const first = lines[i]!.trim();
  const opener = OPENER_RE.test(first);
  // A wrapped attribution starts with its opener, a date or an address, never a finished sentence.
  const canWrap = (opener || DATE_RE.test(first) || hasEmail(first)) && !/\p{L}{2}[.!?]$/u.test(first);
  let joined = '';
  for (let j = i, parts = 0; j < Math.min(lines.length, i + 6) && parts < 4; j++) {
    const part = lines[j]!.trim();
    if (part === '' && opener && canWrap) continue;
    if (part === '' || (j > i && (!canWrap || OPENER_RE.test(part) || (part.startsWith('>') && part.length > 20)))) break;
    joined = joined === '' ? part : `${joined} ${part}`;
    parts++;
    let k = j + 1;
    while (k < lines.length && blank(lines[k])) k++;
    if (isAttribution(joined, lines[k])) return j + 1;
  }
  return -1;
}

/** The span of an included message's header block (From/Sent/To/Subject, localised) around i. */
function headerBlock(lines: string[], i: number, afterRule: boolean): { start: number; end: number } | null {
  let from = FROM_LINE_RE.test(lines[i]!);
  if (!from && !(afterRule && HEADER_LINE_RE.test(lines[i]!))) return null;
  // Hotmail and Outlook for Mac put Date or Subject above From: count the whole contiguous block.
  let start = i;
  while (start > 0 && HEADER_LINE_RE.test(lines[start - 1]!)) start--;
  let headers = i - start + 1;
  let end = i + 1;
  for (; end < lines.length && end < i + 10 && !blank(lines[end]); end++) {
    if (HEADER_LINE_RE.test(lines[end]!)) headers++;
    if (FROM_LINE_RE.test(lines[end]!)) from = true;
  }
  return (afterRule ? headers >= 2 || from : from && headers >= 3) ? { start, end } : null;
}

type Cut = { start: number; end: number; kind: 'marker' | 'separator' | 'headers' | 'attribution' | 'device' };

/** The first place where quoted or included material starts, at or after line `from`. */
function findCut(lines: string[], from: number): Cut | null {
  for (let i = from; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (isReplyMarker(t)) return { start: i, end: lines.length, kind: 'marker' };
    // Headers and separators are short; skipping long lines keeps every pattern below linear.
    if (t === '' || t.length > 1000 || QUOTED_RE.test(t)) continue;
    if (t.length < 200 && SEPARATOR_RE.test(t)) return { start: i, end: i + 1, kind: 'separator' };
    let p = i - 1;
    while (p >= 0 && blank(lines[p])) p--;
    const afterRule = p >= 0 && RULE_RE.test(lines[p]!);
    const block = headerBlock(lines, i, afterRule);
    if (block) return { start: afterRule && p >= from ? p : Math.max(from, block.start), end: block.end, kind: 'headers' };
    const end = attributionEnd(lines, i);
    if (end > 0) return { start: i, end, kind: 'attribution' };
    if (isDeviceLine(t, true) && blank(lines[i - 1]) && i + 1 < lines.length) return { start: i, end: i + 1, kind: 'device' };
  }
  return null;
}

function skipQuote(lines: string[], j: number): number {
  while (j < lines.length && (blank(lines[j]) || QUOTED_RE.test(lines[j]!))) j++;
  return j;
}

/** Drops the trailing quote, signature block, device lines and rules below what the person wrote. */
function finish(lines: string[]): string[] {
  const out = lines.slice();
  const drop = (l: string) => blank(l) || QUOTED_RE.test(l) || isDeviceLine(l) || /^[\s\-_=*#~+.·•ᐧ\u200b]+$/.test(l);
  const sig = replyDelimiter(out);
  if (sig >= 0) out.length = sig;
  while (out.length > 0 && drop(out.at(-1)!)) out.pop();
  while (out.length > 0 && blank(out[0])) out.shift();
  return out;
}

/**
 * After an attribution: 'inline' when new text follows its quote and more quotes follow that text
 * (answers between the questions), 'below' when one quote is followed by text (a bottom-post),
 * null when nothing new follows (the usual top-post).
 */
function answerAfter(lines: string[], end: number): 'inline' | 'below' | null {
  let j = end;
  while (j < lines.length && blank(lines[j])) j++;
  if (j >= lines.length || !QUOTED_RE.test(lines[j]!)) return null;
  j = skipQuote(lines, j);
  const next = findCut(lines, j);
  const rest = finish(lines.slice(j, next ? next.start : lines.length));
  if (rest.length === 0) return null;
  return rest.some((l) => QUOTED_RE.test(l)) ? 'inline' : 'below';
}

/** Keeps the lines above the first cut, stepping over attributions of inline answers. */
function reply(lines: string[]): { kept: string[]; cut: Cut | null } {
  const kept: string[] = [];
  let written = false;
  for (let i = 0; ; ) {
    const cut = findCut(lines, i);
    const slice = lines.slice(i, cut ? cut.start : lines.length);
    kept.push(...slice);
    written ||= finish(slice).length > 0;
    const answer = cut?.kind === 'attribution' ? answerAfter(lines, cut.end) : null;
    if (!cut || !answer) return { kept, cut };
    // A bottom-post's quote is history, not the context of an answer.
    i = answer === 'below' && !written ? skipQuote(lines, cut.end) : cut.end;
  }
}

/**
 * Clients that hard-wrap after quoting leave the tail of a long quoted line unmarked between two
 * quoted lines; it belongs to the quote. A short answer between two short quotes is a real answer.
 */
function unwrapQuotes(lines: string[]): string[] {
  return lines.map((l, i) => {
    const prev = lines[i - 1] ?? '';
    const wrapped = QUOTED_RE.test(prev) && prev.trim().length >= 60 && QUOTED_RE.test(lines[i + 1] ?? '');
    return wrapped && !blank(l) && !QUOTED_RE.test(l) ? `> ${l}` : l;
  });
}

/**
 * The new text of a reply: quotes, quote headers, included messages and signatures removed.
 * `senderName`, the From display name, lets a signature block that opens with it go.
 */
export function extractReply(text: string, senderName?: string): string {
  const normalised = text.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '');
  const lines = unwrapQuotes(normalised.split('\n'));
  const top = reply(lines);
  const result = tidy(dropSignatureBlock(finish(top.kept), senderName));
  if (result !== '' || !top.cut || top.cut.kind === 'marker') return result || normalised.trim();
  // Nothing above the first quote: a bottom-post or a bare forward. Skip the quote, or the
  // forwarded message's header block, and take what follows.
  let j = top.cut.end;
  while (j < lines.length && blank(lines[j])) j++;
  if (top.cut.kind === 'separator' && HEADER_LINE_RE.test(lines[j] ?? '')) while (!blank(lines[j])) j++;
  const below = finish(reply(lines.slice(skipQuote(lines, j))).kept);
  return tidy(dropSignatureBlock(below, senderName)) || normalised.trim();
}


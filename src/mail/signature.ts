// Signatures: which trailing lines of a mail are its sender's signature rather than what they just
// wrote, so that a ticket comment carries the client's words and not, on every comment, their name,
// title and phone number (the full message stays stored). Three kinds are recognised:
//   - a block below a delimiter: the standard "-- ", the bare "--" HTML mail leaves, or a rule;
//   - device and webmail lines ("Sent from my iPhone", "Get Outlook for Android");
//   - an undelimited name / title / phone / web block at the end, with the closing formula above it.
// A false positive hides a client's words from staff, so every rule leans towards keeping text.
// reply-text.ts cuts quoted history first and applies these to what is left; withoutSignature
// applies them to a first mail, where nothing else is cut. Pure functions over lines.

import { B, blank, E, QUOTED_RE, tidy } from './text-lines.ts';

// Device and webmail lines below what the person wrote: a sending verb followed by "from/with/via",
// "Get Outlook for …", "(sent) from my <device>". The first three, alone in their paragraph, also
// mark where an unmarked included message starts.
const SENT =
  'sent|envoy[ée]|enviad[oa]|inviato|verzonden|verstuurd|gesendet|wysłane|skickat|sendt|lähetetty|отправлено|' +
  'надіслано|odesláno';
const VIA = 'from|with|via|using|de|depuis|à partir de|avec|von|mit|desde|con|do|dal|da|met|vanaf|van|z|ze|från|fra|med|с|з';
const MY = 'my|a|an|mon|ma|mein|meinem|mi|il mio|mijn|mojego|meu|моего|мого';
const DEVICE =
  'iphone|ipad|ipod|android|mobile|mobil|mobilgerät|mobiltelefon|cell|blackberry|galaxy|smartphone|phone|' +
  'téléphone|portable|handy|tablet';
const DEVICE_RES = [
  `^[\\s(<[*_-]*(?:${SENT})\\s+(?:${VIA})${E}`,
  `^[\\s(<[*_-]*(?:get|obtenir|télécharger|holen sie sich|scarica|descargar|obtener|baixe|download)\\s+\\[?(?:outlook|gmail|yahoo)${E}`,
  `(?:von|mit) meinem .{1,60} (?:gesendet|versendet|verschickt)\\.?$`,
  `^[\\s(<[*_-]*(?:\\S+\\s+)?(?:${SENT}|from|by|via|de|depuis|von|desde)\\s+(?:(?:${MY})\\s+)?(?:\\S+\\s+)?(?:${DEVICE})(?:\\s+\\S+)?\\W*$`,
  '^(?:從我的|发自我的|來自我的|iPhoneから送信|.{0,20}から送信)',
].map((re) => new RegExp(re, 'iu'));

/** A device or webmail line; `strict`: only the first three forms, the ones that may open an included message. */
export function isDeviceLine(line: string, strict = false): boolean {
  const t = line.trim();
  if (t === '' || t.length > 120) return false;
  // A sentence of the message ("It was sent from my phone. See below.") is not a device label.
  if (/[.!?]\s+\S/.test(t) && !/excuse|pardon|typo|brevity/i.test(t)) return false;
  return DEVICE_RES.slice(0, strict ? 3 : undefined).some((re) => re.test(t));
}

/**
 * Where a reply's delimited signature starts: the first "-- " line, else a bare "--" or a rule
 * ("__…", as above a mailing-list footer) among the last 15 lines; -1 when there is none. In a
 * reply, what follows the first delimiter is a signature, a footer or included history, all of which
 * go; a first mail (withoutSignature) is stricter about what may follow one.
 */
export function replyDelimiter(lines: string[]): number {
  const sig = lines.indexOf('-- ');
  if (sig >= 0) return sig;
  return lines.findIndex((l, i) => i >= lines.length - 15 && /^(?:--|_{2,})\s*$/.test(l));
}

// ---------------------------------------------------------------------------------------------
// Signature blocks without a delimiter: the short name / title / phone / web block many people
// end every mail with ("Jane Doe\nHead of IT, Acme\n+33 1 23 45 67 89\nwww.acme.example").
// A false positive hides a client's words from staff, so a block goes only when every one of its
// lines reads like a signature line, it opens with a name, and it carries evidence that a name
// alone cannot give: a phone number, a job title or company form, a web or mail address — or the
// opening name is the sender's own display name. A closing formula ("Regards,", "Merci,") directly
// above a dropped block goes with it: it is part of the sign-off, not of what the client says;
// without a block below it, it stays ("Thanks,\nAlex" is kept whole).

const VALEDICTIONS =
  // en
  '(?:best|kind|warm|warmest|kindest|many|with)? ?regards|best|cheers|thanks(?: (?:again|a lot|in advance))?|' +
  'thank you(?: (?:very much|in advance))?|many thanks|thx|sincerely|(?:yours )?(?:sincerely|truly|faithfully)|' +
  'respectfully|all the best|best wishes|take care|' +
  // fr
  '(?:bien )?cordialement|bien (?:à|a) (?:vous|toi)|merci(?: (?:beaucoup|d\'avance|par avance|encore))?|' +
  '(?:sincères |meilleures |bien )?salutations|bonne (?:journée|journee|soirée|soiree)|(?:à|a) bientôt|' +
  '(?:bien )?amicalement|bises|' +
  // de
  '(?:mit )?(?:freundlichen|besten|herzlichen|lieben|vielen) grüßen|(?:viele|beste|liebe|herzliche|freundliche) ' +
  'grüße|mfg|lg|vg|gruß|grüße|danke(?: schön| sehr)?|vielen dank|' +
  // es, it, pt, nl
  '(?:un )?(?:cordial )?saludos?(?: cordiales)?|atentamente|cordialmente|(?:muchas )?gracias|un abrazo|' +
  '(?:cordiali |distinti )?saluti|grazie(?: mille)?|atenciosamente|obrigad[oa]|cumprimentos|' +
  '(?:met )?vriendelijke groet(?:en)?|groeten|bedankt';
// "Thanks & regards", "Danke und Gruß", "Mit freundlichen Grüßen / Kind regards".
const VALEDICTION_RE = new RegExp(
  `^(?:${VALEDICTIONS})(?:\\s*(?:[,&/]|and|et|und|y|e|en)\\s*(?:${VALEDICTIONS}))?\\s*[,.!]*$`,
  'iu',
);

// A name as people sign: capitalised words, initials, and the particles of family names.
const PARTICLE = "de|da|di|du|del|della|des|la|le|van|von|der|den|ten|ter|y|dos|das|bin|al|el|zu|st\\.?";
const NAME_WORD = "\\p{Lu}[\\p{L}'’\\-]*\\.?";
const NAME_RE = new RegExp(`^${NAME_WORD}(?:\\s+(?:${NAME_WORD}|(?:${PARTICLE})${E})){0,4}$`, 'u');
const PHONE_LABEL_RE = new RegExp(
  `${B}(?:tel|tél|téléphone|telephone|telefon|teléfono|telefono|telefone|phone|ph|mobile|mob|mobil|móvil|movil|cell|` +
    'cellulaire|portable|port|handy|fax|office|direct|dir|ligne directe|standard|celular|tlf|tfn|whatsapp|switchboard|' +
    `work|bureau|büro|ext|extension|poste|durchwahl|[tmfpdow])${E}\\.?\\s*[:.]?`,
  'giu',
);
const URL_RE =
  /^(?:(?:web|website|site|site web|internet|homepage|url)\s*[:.]?\s*)?<?(?:https?:\/\/(?:www\.)?|www\.)[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:\/(?:[a-z]{2}(?:-[a-z]{2})?\/?)?)?>?$/i;
const SOCIAL_RE = /^(?:https?:\/\/)?(?:[a-z]{2,3}\.)?(?:linkedin|twitter|x|facebook|instagram|github|gitlab|xing|mastodon)\.[a-z.]{2,8}\/[\w\-./@]{1,60}$/i;
const MAIL_LINE_RE = /^(?:(?:e-?mail|courriel|mail|correo|e-mail-adresse)\s*[:.]?\s*)?<?[^\s<>()"'[\]@]+@[^\s<>()"'[\]@]+\.[a-z]{2,}>?$/i;
// Job titles, in any case; department words ("Support", "IT") only capitalised and only as weak
// evidence, since a step list may name them ("Go to Support").
const TITLE_RE = new RegExp(
  `${B}(?:president|vice[- ]president|founder|co-?founder|owner|director|manager|head of|team lead|lead developer|` +
    'engineer|developer|consultant|analyst|administrator|assistant|coordinator|officer|specialist|architect|designer|' +
    'executive|supervisor|technician|accountant|secretary|intern|representative|' +
    'directeur|directrice|responsable|chef de (?:projet|service)|chargée? de|ingénieure?|développeu(?:r|se)|gérante?|' +
    'présidente?|fondat(?:eur|rice)|assistante?|comptable|technicien(?:ne)?|conseill(?:er|ère)|' +
    'geschäftsführer(?:in)?|leiter(?:in)?|abteilungsleiter(?:in)?|projektleiter(?:in)?|teamleiter(?:in)?|entwickler(?:in)?|' +
    'berater(?:in)?|inhaber(?:in)?|vorstand|sachbearbeiter(?:in)?|referent(?:in)?|ingenieur(?:in)?|' +
    'directora?|gerente|jef[ea] de|ingenier[oa]|desarrollador(?:a)?|consultor(?:a)?|analista|' +
    `coordinador(?:a)?|asistente|fundador(?:a)?|técnic[oa]|administrad(?:or|ora))${E}`,
  'iu',
);
const ACRONYM_TITLE_RE = new RegExp(`${B}(?:CEO|CTO|CFO|COO|CIO|CISO|CMO|CPO|VP|SVP|EVP|PDG|DG|DSI|DRH|RSSI)${E}`, 'u');
const DEPARTMENT_RE = new RegExp(
  `${B}(?:IT|HR|Support|Sales|Marketing|Operations|Service|Services|Team|Department|Soporte|Departamento|Vertrieb|` +
    `Abteilung|Kundenservice|Kundendienst|Informatique|Comptabilité|Commercial)${E}`,
  'u',
);
const COMPANY_RE =
  /(?:^|\s)(?:Inc|Ltd|LLC|LLP|GmbH|AG|SARL|SAS|SASU|SA|S\.A\.?|S\.L\.?|SL|SpA|S\.p\.A\.?|BV|B\.V\.?|NV|Corp|Co|Pty|PLC|plc|KG|e\.V\.?|Oy|AB|ApS|S\.r\.l\.?|Srl)\.?,?$/u;
// Words a title or an address line may hold in lower case; a line with more lower-case words than
// that reads as a sentence.
const LOWER_OK = new Set(
  ('of|and|the|for|at|in|on|de|du|des|la|le|les|et|à|au|aux|en|chez|und|für|der|die|das|bei|im|von|del|y|e|el|los|' +
    'las|da|di|do|dos|van|&|rue|avenue|av|bd|boulevard|place|chemin|allée|impasse|route|straße|strasse|str|calle|via|' +
    'floor|suite|étage|bâtiment|building|box').split('|'),
);

// "Jane Doe, Ph.D.", "Acme Ltd.", "Jean P.": an abbreviation's dot, not a sentence's.
const ABBREVIATION_END_RE =
  /(?:^|[\s(,])(?:\p{Lu}\.|(?:\p{L}\.){2,}|(?:Inc|Ltd|Co|Corp|Jr|Sr|Dr|Prof|Mgr|Dipl|Ing|St|Str|Av|Bd|Bldg|Dept|Abt|Dpto)\.)$/u;

/** Drops image placeholders and the link targets plain-text versions of HTML mail append. */
const bare = (line: string) =>
  line
    .replace(/<(?:mailto:|https?:\/\/)[^>\s]*>/gi, '')
    .replace(/\[(?:cid|image)[^\]]*\]/gi, '')
    .trim();

function isPhoneLine(t: string): boolean {
  let labelled = false;
  const rest = t
    .replace(PHONE_LABEL_RE, () => {
      labelled = true;
      return ' ';
    })
    .replace(/[|•·,;]/g, ' ')
    .trim();
  if (!/^[+(]?\d[\s+()\d.\-/]*$/.test(rest)) return false;
  const digits = rest.replace(/\D/g, '').length;
  if (digits < 7 || digits > 30) return false;
  // Not a date, a year range, an IP address or a version number ("10.0.17763.1234").
  if (/^(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{4}\s*-\s*\d{4}|\d{1,3}(?:\.\d{1,3}){3})$/.test(rest)) return false;
  if (/^\d+(?:\.\d+)+$/.test(rest) && rest.split('.').some((g) => g.length === 1)) return false;
  // An unlabelled run of bare digits is an order or ticket number unless dialled like a phone.
  return labelled || /^[+(0]/.test(rest) || /\d[\s.\-/]\d/.test(rest);
}

/** Evidence that a line belongs to a signature, beyond looking like one. */
function hasSignal(segment: string): boolean {
  const t = bare(segment);
  return (
    isPhoneLine(t) ||
    URL_RE.test(t) ||
    SOCIAL_RE.test(t) ||
    MAIL_LINE_RE.test(t) ||
    TITLE_RE.test(t) ||
    ACRONYM_TITLE_RE.test(t) ||
    COMPANY_RE.test(t)
  );
}

/** "Jane Doe | Head of IT | Acme": the parts of a line, as signatures separate them. */
const segments = (line: string) => bare(line).split(/\s+[|•·–—]\s+|\s+-\s+|\s*\|\s*|,\s+/).filter((s) => s !== '');

/** Short, no sentence punctuation at its end, few lower-case words: a line as signatures hold them. */
function isSignatureLine(line: string): boolean {
  const t = bare(line);
  if (t === '') return true; // an image placeholder alone
  if (t.length > 80 || QUOTED_RE.test(t) || /[?:;]$/.test(t)) return false;
  const words = t.split(/\s+/);
  if (words.length > 10) return false;
  // A title or a number may end with a slogan's "!" or an abbreviation's "."; other lines may not.
  if (hasSignal(t) || segments(t).some(hasSignal)) return true;
  if (/[.!]$/.test(t) && !ABBREVIATION_END_RE.test(t)) return false;
  if (DEPARTMENT_RE.test(t)) return true;
  const lower = words.filter((w) => /^\p{Ll}/u.test(w) && !LOWER_OK.has(w.toLowerCase().replace(/[.,]$/, '')));
  return lower.length < 2;
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase();
const nameWords = (s: string) => fold(s).match(/\p{L}{2,}/gu) ?? [];

/** The line names the sender: each of its words is a word of the sender's display name. */
function isSenderName(line: string, sender: string[]): boolean {
  if (sender.length === 0) return false;
  const first = segments(line)[0] ?? '';
  const words = nameWords(first.replace(/^[-–—~]\s*/, ''));
  return words.length > 0 && words.length <= 4 && words.every((w) => sender.includes(w));
}

// Capitalised words that open a step or name a product, not a person ("Open Settings", "Task Manager").
const NOT_NAME_RE = new RegExp(
  `${B}(?:open|click|go|start|select|press|choose|enter|type|run|install|restart|reboot|close|save|export|import|` +
    'settings|error|windows|update|server|file|edit|view|tools|help|step|version|page|menu|button|task|print|login|' +
    'ouvrir|cliquer|aller|choisir|fichier|erreur|paramètres|öffnen|klicken|datei|fehler|einstellungen|abrir|pulsar|' +
    `archivo|ajustes)${E}`,
  'iu',
);

/** A person's name as people sign ("Jane Doe", "J. Doe", "Jean-Pierre de la Fontaine"), or the sender's. */
function isName(line: string, sender: string[]): boolean {
  if (isSenderName(line, sender)) return true;
  const first = segments(line)[0] ?? '';
  return NAME_RE.test(first) && !NOT_NAME_RE.test(first);
}

// The client asks to be called, written to or delivered to: the number or address below is then
// part of the message even where it sits like a signature.
const CONTACT_RE = new RegExp(
  `${B}(?:call (?:me|us)|text me|reach (?:me|us|him|her)|contact\\p{L}*|kontakt\\p{L}*|ansprechpartner\\p{L}*|` +
    'interlocut\\p{L}*|(?:me|nous|le|la|les) (?:rappeler|joindre|appeler)|m[\'’]appeler|rappel(?:er|ez)|rufen sie|' +
    'erreichen sie|erreichbar|rückruf|anrufen|llám(?:ame|enme)|llamar(?:me|nos)?|(?:my|our|the|this|his|her|new) ' +
    '(?:phone|number|mobile|cell)|(?:mon|notre|son|le|ce|nouveau) (?:numéro|portable|téléphone)|(?:meine|unsere|seine|ihre|die|neue) ' +
    '(?:telefonnummer|nummer|handynummer)|(?:mi|nuestro|su|el|nuevo) (?:número|teléfono|móvil)|' +
    '(?:my|our|new|the|this) address|(?:ship|send|sent|deliver|post)\\p{L}{0,4} (?:\\S+ ){0,3}to|(?:mon|notre|nouvelle|cette) ' +
    "adresse|livr(?:er|aison|ez)|expédi(?:er|ez)|(?:meine|unsere|neue) (?:adresse|anschrift)|lieferadresse|liefern sie|" +
    'mi (?:dirección|direccion)|nueva dirección|envi(?:ar|en) a)' +
    `${E}`,
  'iu',
);

// A line that ends on a preposition, article or conjunction goes on below ("Please send it to").
const RUNS_ON_RE = new RegExp(
  `${B}(?:to|for|at|with|of|from|by|is|are|the|a|an|and|or|à|au|aux|de|du|des|pour|par|chez|avec|le|la|les|et|ou|` +
    `zu|für|mit|von|bei|der|die|das|und|oder|para|con|por|en|el|los|las|y|o)$`,
  'iu',
);

/**
 * Where the trailing signature block of `lines` (already trimmed at both ends) starts, closing
 * formula included, or -1 when there is none.
 */
function signatureStart(lines: string[], sender: string[]): number {
  const end = lines.length;
  if (end === 0) return -1;
  // Candidate starts: the first line of each of the last paragraphs, and the line after a closing
  // formula inside them ("Regards,\nJane Doe\n…" written without a blank line).
  const starts: number[] = [];
  let nonBlank = 0;
  for (let i = end - 1; i >= 0 && nonBlank <= 10; i--) {
    if (blank(lines[i])) continue;
    nonBlank++;
    if (!isSignatureLine(lines[i]!) && !VALEDICTION_RE.test(lines[i]!.trim())) break;
    if (blank(lines[i - 1]) || VALEDICTION_RE.test((lines[i - 1] ?? '').trim())) starts.push(i);
  }
  let found = -1;
  for (const s of starts) {
    const start = blockStart(lines, s, sender);
    if (start >= 0) found = start;
  }
  return found;
}

/** Where the signature starting at line s begins (its closing formula included), or -1. */
function blockStart(lines: string[], s: number, sender: string[]): number {
  const block = lines.slice(s).filter((l) => !blank(l));
  if (block.some((l) => !isSignatureLine(l))) return -1;
  const opener = block[0]!.trim();
  if (!isName(opener, sender)) return -1;
  const byName = isSenderName(opener, sender);
  const evidence = block.some((l) => hasSignal(l) || segments(l).slice(1).some(hasSignal));
  if (block.length < 2 && !(segments(opener).length > 1 && evidence)) return -1;
  if (!evidence && !byName) return -1;
  // A first name alone ("Jane") is as likely to open a sentence fragment: only the sender's.
  if (!byName && (segments(opener)[0] ?? '').split(/\s+/).length < 2) return -1;
  // The closing formula above the block, in its own paragraph or ending the one above, unless it
  // is all the client wrote ("Thanks!" above a signature).
  let start = s;
  let p = start - 1;
  while (p >= 0 && blank(lines[p])) p--;
  const written = (end: number) => lines.slice(0, end).filter((l) => !blank(l) && !QUOTED_RE.test(l));
  if (p >= 0 && VALEDICTION_RE.test(lines[p]!.trim()) && written(p).length > 0) start = p;
  // What stays must be the client's own words, and must not announce what follows or run on into it.
  const above = written(start);
  if (above.length === 0 || /[:：]$/.test(above.at(-1)!.trim()) || RUNS_ON_RE.test(above.at(-1)!.trim())) return -1;
  const reachable = block.some((l) => /\d/.test(l) || segments(l).some((x) => MAIL_LINE_RE.test(x)));
  if (reachable && above.some((l) => l.length < 2000 && CONTACT_RE.test(l))) return -1;
  return start;
}

/** `lines` without their trailing signature block (see signatureStart). */
export function dropSignatureBlock(lines: string[], senderName?: string): string[] {
  const sender = senderName ? nameWords(senderName) : [];
  const start = signatureStart(lines, sender);
  if (start < 0) return lines;
  const out = lines.slice(0, start);
  while (out.length > 0 && blank(out.at(-1))) out.pop();
  return out;
}

/**
 * A first mail's visible text: its signature (below the last "-- " delimiter, when what follows is
 * short enough to be one, or an undelimited name/title/phone block at the end) and trailing device
 * lines ("Sent from my iPhone") dropped. Unlike a reply, nothing else is cut: a forwarded message
 * or a quote in a first mail is its content.
 */
export function withoutSignature(text: string, senderName?: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/^\uFEFF/, '').split('\n');
  const sig = lines.lastIndexOf('-- ');
  if (sig > 0 && lines.slice(sig + 1).filter((l) => !blank(l)).length <= 10) lines.length = sig;
  else {
    // HTML mail loses the delimiter's trailing space ("--"); a dash line in the content may look the
    // same, so what follows it must read as a signature too.
    const bareSig = lines.findLastIndex((l) => /^--\s*$/.test(l));
    const after = lines.slice(bareSig + 1).filter((l) => !blank(l));
    if (bareSig > 0 && after.length <= 6 && after.every((l) => isSignatureLine(l) || isDeviceLine(l))) lines.length = bareSig;
  }
  const trim = (ls: string[]) => {
    while (ls.length > 0 && (blank(ls.at(-1)) || isDeviceLine(ls.at(-1)!))) ls.pop();
    while (ls.length > 0 && blank(ls[0])) ls.shift();
    return ls;
  };
  return tidy(trim(dropSignatureBlock(trim(lines), senderName))) || text.trim();
}

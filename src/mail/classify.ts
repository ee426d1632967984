// Stage 3: decide whether a person wrote this message. Guichet must never answer a machine: a
// bounce or an auto-reply that got an acknowledgement would start a mail loop. The order matters:
// delivery reports first (many carry `Auto-Submitted: auto-replied` too), then auto-replies (which
// RFC 3834 asks to send with an empty Return-Path, so that signal alone cannot mean "bounce"), then
// list and bulk mail. `X-Auto-Response-Suppress` is deliberately ignored: Outlook sets it on
// ordinary mail a person sends.
import type { InboundMail } from './types.ts';

export type Classification =
  | { kind: 'human' }
  | { kind: 'auto_reply'; reason: string }
  | { kind: 'bounce'; reason: string; status?: string; recipients?: string[] }
  | { kind: 'bulk'; reason: string };

type ClassifiedMail = Pick<InboundMail, 'headers' | 'from' | 'subject' | 'text'>;

const MAILER_DAEMON_RE = /^(?:mailer[-_]?daemon|post[-_]?master|mail[-_]?daemon)(?:[+@]|$)/i;
const MAILER_DAEMON_NAME_RE =
  /^"?(?:mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|mail administrator|internet mail delivery)\b/i;
const LIST_HEADER_RE = /^(?:list-(?:id|unsubscribe|post|subscribe|help|owner|archive)|mailing-list)$/;
const NO_REPLY_RE = /^(?:no-?reply|do-?not-?reply|donotreply)(?:[+@]|$)/i;

// Subjects MTAs give to non-standard bounces (no multipart/report, but a failure all the same).
const BOUNCE_SUBJECT_RE = new RegExp(
  [
    'undeliver(?:ed|able)', 'undelivered mail', 'delivery (?:status notification|failure|has failed|failed|problem|notification)',
    'mail delivery (?:failed|failure|system|subsystem)', 'returned mail', 'returned to sender', 'failure notice',
    'non[- ]?delivery', 'nondeliverable', 'could not be delivered', 'message not delivered', 'delivery report',
    'rejected:', 'mail system error', 'non remis', 'non distribuable', 'échec de (?:la )?(?:remise|distribution)',
    'unzustellbar', 'nicht zustellbar', 'no se puede entregar', 'non recapitabile', 'onbestelbaar',
    'delivery notification', 'warning: could not send', 'notice of delivery failure', 'error sending your mail',
    'メールエラー', '配信エラー', '送信エラー', '配送エラー', '未配達',
  ].join('|'),
  'i',
);

// Vacation subjects, as a whole subject or a prefix ("Out of Office: …", "Réponse automatique : …")
// after any Re:/AW:/TR:, so that a person writing about an "absence de facture" or an "out of office
// policy" is not taken for a responder. Lotus-style "X is out of the office." may stand anywhere.
const AUTO_REPLY_SUBJECT_RE = new RegExp(
  '^(?:\\[[^\\]]*\\]\\s*|(?:re|aw|sv|tr|fw|fwd|wg|vs|ref)\\s*:\\s*)*(?:' +
    [
      'out of (?:the )?office', 'automatic reply', 'auto[- ]?reply', 'auto[- ]?response', 'automatic response',
      'réponse automatique', 'reponse automatique', 'automatische antwort', 'respuesta automática', 'risposta automatica',
      'automatisch antwoord', 'resposta automática', 'automatisk svar', 'autosvar', 'automatyczna odpowiedź',
      'автоответ', 'автоматический ответ', 'absent du bureau', 'absence du bureau', 'abwesenheitsnotiz',
      'fuera de la oficina', 'fuori sede', 'absence', 'absent', 'abwesend', 'abwesenheit', 'ausente', 'assente',
      'afwezig', 'vacation', 'on leave', 'congés?', 'frånvarande', 'fraværende',
    ].join('|') +
    ')(?:\\s+auto-?reply)?\\s*(?:[:：(\\-–]|$)|\\bis out of (?:the )?office\\b|\\best absente? du bureau\\b',
  'i',
);

function header(mail: ClassifiedMail, name: string): string {
  return (mail.headers[name] ?? '').trim();
}

/** Status and failed recipients from a delivery report's text, or from the bare SMTP reply. */
function bounceDetails(mail: ClassifiedMail): { status?: string; recipients?: string[] } {
  const text = mail.text ?? '';
  const details: { status?: string; recipients?: string[] } = {};
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(text) ?? /(?<![\d.])([45]\.\d{1,3}\.\d{1,3})(?![.\d])/.exec(text);
  if (status) details.status = status[1];
  const recipients = new Set<string>();
  for (const m of text.matchAll(/^(?:Final|Original)-Recipient:\s*(?:rfc822\s*;)?\s*<?([^\s<>;]+@[^\s<>;]+?)>?\s*$/gim)) {
    recipients.add(m[1]!.toLowerCase());
  }
  for (const addr of header(mail, 'x-failed-recipients').split(/[,\s]+/)) {
    if (addr.includes('@')) recipients.add(addr.replace(/[<>]/g, '').toLowerCase());
  }
  if (recipients.size > 0) details.recipients = [...recipients];
  return details;
}

/** An empty reverse path (`<>`): what MTAs send bounces from, and RFC 3834 asks responders to use. */
function emptyReturnPath(mail: ClassifiedMail, returnPath: string | null | undefined): boolean {
  if (returnPath != null) return /^\s*<?\s*>?\s*$/.test(returnPath);
  // mailparser turns "Return-Path: <>" into an empty value; an absent header says nothing.
  return 'return-path' in mail.headers && /^\s*<?\s*>?\s*$/.test(mail.headers['return-path']!);
}

/** The sender as written, for the mail a parser cannot give an address to ("MAILER-DAEMON <>"). */
function sender(mail: ClassifiedMail): { address: string; name: string; nullSender: boolean } {
  const raw = header(mail, 'from');
  const address = mail.from?.address ?? /[^\s<>"]+@[^\s<>"]+/.exec(raw)?.[0]?.toLowerCase() ?? '';
  const name = (mail.from?.name || raw.replace(/<[^>]*>/g, '')).trim().replace(/^"|"$/g, '');
  // "From: <>" is the null sender itself; mailparser leaves such a header empty.
  const nullSender = address === '' && 'from' in mail.headers && (raw === '' || /<\s*>/.test(raw));
  return { address, name, nullSender };
}

/** How a message should be treated: from a person, or an automated reply, bounce or bulk mail. */
export function classify(mail: ClassifiedMail, returnPath?: string | null): Classification {
  const contentType = header(mail, 'content-type').toLowerCase();
  const { address: fromAddress, name: fromName, nullSender } = sender(mail);
  const emptyPath = emptyReturnPath(mail, returnPath);
  const subject = mail.subject ?? '';
  const autoSubmitted = header(mail, 'auto-submitted').toLowerCase();
  const automatic = autoSubmitted !== '' && !/^no\b/.test(autoSubmitted);
  const precedence = header(mail, 'precedence').toLowerCase();

  if (/multipart\/report/.test(contentType)) {
    // RFC 6522 reports: delivery status (bounce), feedback (abuse complaint about our mail, which
    // must stop mail to that contact as a bounce does) or disposition (a read receipt).
    if (/report-type\s*=\s*"?disposition-notification/.test(contentType)) return { kind: 'auto_reply', reason: 'read receipt' };
    const type = /report-type\s*=\s*"?([\w-]+)/.exec(contentType)?.[1] ?? 'report';
    const details = bounceDetails(mail);
    // A DSN with a 2.x.x status reports a success (a delivery or relay notice), not a failure.
    const reason = type !== 'delivery-status' ? type : details.status?.startsWith('2.') ? 'delivered' : 'delivery status report';
    return { kind: 'bounce', reason, ...details };
  }
  if (MAILER_DAEMON_RE.test(fromAddress) || MAILER_DAEMON_NAME_RE.test(fromName) || nullSender) {
    return { kind: 'bounce', reason: `from ${fromAddress || fromName || '<>'}`, ...bounceDetails(mail) };
  }
  const machine = header(mail, 'x-failed-recipients') !== '' || automatic || emptyPath || NO_REPLY_RE.test(fromAddress);
  if (BOUNCE_SUBJECT_RE.test(subject) && machine) {
    return { kind: 'bounce', reason: 'delivery failure subject', ...bounceDetails(mail) };
  }
  // Amazon SES relays bounces, complaints and delivery notices as JSON through SNS.
  const fromAmazon = /@(?:[\w-]+\.)*amazon(?:aws|ses)\.com$/.test(fromAddress);
  const ses = fromAmazon ? /"notificationType"\s*:\s*"(Bounce|Complaint|Delivery)"/.exec(mail.text ?? '') : null;
  if (ses) return { kind: 'bounce', reason: `ses ${ses[1]!.toLowerCase()}`, ...bounceDetails(mail) };
  if (automatic) return { kind: 'auto_reply', reason: `auto-submitted: ${autoSubmitted}` };
  if (/^auto[-_]?reply/.test(precedence)) return { kind: 'auto_reply', reason: `precedence: ${precedence}` };
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autogenerated']) {
    if (header(mail, name) !== '') return { kind: 'auto_reply', reason: name };
  }
  if (AUTO_REPLY_SUBJECT_RE.test(subject)) return { kind: 'auto_reply', reason: 'vacation subject' };
  if (emptyPath) return { kind: 'bounce', reason: 'empty return path', ...bounceDetails(mail) };
  if (/^(?:bulk|junk|list)\b/.test(precedence)) return { kind: 'bulk', reason: `precedence: ${precedence}` };
  // List-Id, List-Unsubscribe, List-Post … (RFC 2369/2919) and ezmlm's Mailing-List.
  const list = Object.keys(mail.headers).find((name) => LIST_HEADER_RE.test(name));
  if (list) return { kind: 'bulk', reason: list };
  return { kind: 'human' };
}

/**
 * The Message-IDs a bounce names as the mail it returns: its In-Reply-To/References, and any in its
 * text or in the returned message (message/rfc822 or text/rfc822-headers part).
 */
export function returnedMessageIds(mail: Pick<InboundMail, 'inReplyTo' | 'references' | 'text' | 'attachments'>): string[] {
  const returned = mail.attachments
    .filter((a) => a.contentType.startsWith('message/') || a.contentType === 'text/rfc822-headers')
    .map((a) => a.content.subarray(0, 64 * 1024).toString('latin1'));
  const quoted = [mail.text, ...returned].flatMap((t) => t.match(/<[^<>\s@]+@[^<>\s]+>/g) ?? []);
  return [...new Set([...mail.inReplyTo, ...mail.references, ...quoted])];
}

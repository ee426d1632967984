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

const MAILER_DAEMON_RE = /^(?:mailer-daemon|postmaster|mail-daemon|maildaemon|mailerdaemon)(?:[+@]|$)/i;
const MAILER_DAEMON_NAME_RE = /^(?:mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|mail administrator|internet mail delivery)$/i;

// Subjects MTAs give to non-standard bounces (no multipart/report, but a failure all the same).
const BOUNCE_SUBJECT_RE = new RegExp(
  [
    'undeliver(?:ed|able)', 'undelivered mail', 'delivery (?:status notification|failure|has failed|failed|problem|notification)',
    'mail delivery (?:failed|failure|system|subsystem)', 'returned mail', 'returned to sender', 'failure notice',
    'non[- ]?delivery', 'nondeliverable', 'could not be delivered', 'message not delivered', 'delivery report',
    'rejected:', 'mail system error', 'non remis', 'non distribuable', 'échec de (?:la )?(?:remise|distribution)',
    'unzustellbar', 'nicht zustellbar', 'no se puede entregar', 'non recapitabile', 'onbestelbaar',
    'delivery notification', 'warning: could not send', 'notice of delivery failure',
  ].join('|'),
  'i',
);

// Vacation and "I am away" subjects, matched at the start (after Re:/AW:/TR: …) so that a person
// writing about "absence de facture" or an "out of office policy" is not taken for a responder.
const SUBJECT_PREFIX = '^(?:\\[[^\\]]*\\]\\s*|(?:re|aw|sv|tr|fw|fwd|wg|vs|ref)\\s*:\\s*)*';
const AUTO_REPLY_SUBJECT_RE = new RegExp(
  SUBJECT_PREFIX +
    '(?:out of (?:the )?office|automatic reply|auto[- ]?reply|auto[- ]?response|automatic response|autoreply|' +
    'réponse automatique|reponse automatique|automatische antwort|respuesta automática|risposta automatica|' +
    'automatisch antwoord|resposta automática|automatisk svar|autosvar|automatyczna odpowiedź|автоответ|' +
    'автоматический ответ|absent du bureau|absence du bureau|abwesenheitsnotiz|fuera de la oficina|fuori sede|' +
    '(?:absence|absent|abwesend|abwesenheit|ausente|assente|afwezig|vacation|on leave|congés?|frånvarande|fraværende)\\s*(?:[:：-]|$))',
  'i',
);

function header(mail: ClassifiedMail, name: string): string {
  return (mail.headers[name] ?? '').trim();
}

/** Status and failed recipients from a delivery report's text, or from the bare SMTP reply. */
function bounceDetails(mail: ClassifiedMail): { status?: string; recipients?: string[] } {
  const text = mail.text ?? '';
  const details: { status?: string; recipients?: string[] } = {};
  const status = /^Status:\s*([245]\.\d{1,3}\.\d{1,3})/im.exec(text) ?? /\b([45]\.\d{1,3}\.\d{1,3})\b/.exec(text);
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

function isEmptyPath(value: string | null | undefined): boolean {
  return value != null && /^\s*<?\s*>?\s*$/.test(value) && value.trim() !== '';
}

/** How a message should be treated: from a person, or an automated reply, bounce or bulk mail. */
export function classify(mail: ClassifiedMail, returnPath?: string | null): Classification {
  const contentType = header(mail, 'content-type').toLowerCase();
  const fromAddress = mail.from?.address ?? '';
  const fromName = (mail.from?.name ?? '').trim();
  const subject = mail.subject ?? '';
  const autoSubmitted = header(mail, 'auto-submitted').toLowerCase();

  if (/multipart\/report/.test(contentType) && /report-type\s*=\s*"?delivery-status/.test(contentType)) {
    return { kind: 'bounce', reason: 'delivery status report', ...bounceDetails(mail) };
  }
  if (MAILER_DAEMON_RE.test(fromAddress) || MAILER_DAEMON_NAME_RE.test(fromName)) {
    return { kind: 'bounce', reason: `from ${fromAddress || fromName}`, ...bounceDetails(mail) };
  }
  if (BOUNCE_SUBJECT_RE.test(subject) && (header(mail, 'x-failed-recipients') !== '' || autoSubmitted !== '' || isEmptyPath(returnPath ?? header(mail, 'return-path')))) {
    return { kind: 'bounce', reason: 'delivery failure subject', ...bounceDetails(mail) };
  }
  if (/multipart\/report/.test(contentType) && /report-type\s*=\s*"?disposition-notification/.test(contentType)) {
    return { kind: 'auto_reply', reason: 'read receipt' };
  }
  if (autoSubmitted !== '' && !/^no\b/.test(autoSubmitted)) {
    return { kind: 'auto_reply', reason: `auto-submitted: ${autoSubmitted}` };
  }
  for (const name of ['x-autoreply', 'x-autorespond', 'x-autoresponder', 'x-autogenerated']) {
    if (header(mail, name) !== '') return { kind: 'auto_reply', reason: name };
  }
  if (AUTO_REPLY_SUBJECT_RE.test(subject)) return { kind: 'auto_reply', reason: 'vacation subject' };
  if (isEmptyPath(returnPath ?? header(mail, 'return-path'))) {
    return { kind: 'bounce', reason: 'empty return path', ...bounceDetails(mail) };
  }
  const precedence = header(mail, 'precedence').toLowerCase();
  if (/^(?:bulk|junk|list)\b/.test(precedence)) return { kind: 'bulk', reason: `precedence: ${precedence}` };
  if (header(mail, 'list-id') !== '') return { kind: 'bulk', reason: 'list-id' };
  if (header(mail, 'list-unsubscribe') !== '') return { kind: 'bulk', reason: 'list-unsubscribe' };
  return { kind: 'human' };
}

// Classification of inbound mail: people get tickets and acknowledgements; bounces, auto-replies
// and bulk mail never do. Fixtures are the typed values parse.ts produces (lower-cased headers).
import { describe, expect, it } from 'vitest';
import { classify, type Classification } from '../../src/mail/classify.ts';
import type { InboundMail } from '../../src/mail/types.ts';

type Mail = Pick<InboundMail, 'headers' | 'from' | 'subject' | 'text'>;

function mail(overrides: Partial<Mail> = {}): Mail {
  return {
    headers: { from: 'Ann Client <ann@client.example>', subject: 'Re: [#12] Export fails' },
    from: { address: 'ann@client.example', name: 'Ann Client' },
    subject: 'Re: [#12] Export fails',
    text: 'It still fails.\n\nOn Mon, 3 Feb 2020 at 10:00, Support <support@example.com> wrote:\n> Can you retry?',
    ...overrides,
  };
}

const withHeaders = (headers: Record<string, string>, rest: Partial<Mail> = {}) =>
  mail({ headers: { from: 'Ann Client <ann@client.example>', ...headers }, ...rest });

const DSN_TEXT = [
  'This is the mail system at host mx.example.org.',
  "I'm sorry to have to inform you that your message could not be delivered.",
  '',
  'Reporting-MTA: dns; mx.example.org',
  '',
  'Final-Recipient: rfc822; Gone@Client.example',
  'Original-Recipient: rfc822;gone@client.example',
  'Action: failed',
  'Status: 5.1.1',
  'Diagnostic-Code: smtp; 550 5.1.1 <gone@client.example>: Recipient address rejected',
].join('\n');

const cases: { name: string; mail: Mail; returnPath?: string | null; kind: Classification['kind']; reason?: RegExp }[] = [
  // People.
  { name: 'an ordinary reply', mail: mail(), kind: 'human' },
  { name: 'Outlook sets X-Auto-Response-Suppress on mail people write', mail: withHeaders({ 'x-auto-response-suppress': 'All' }), kind: 'human' },
  { name: 'Auto-Submitted: no is a person', mail: withHeaders({ 'auto-submitted': 'no' }), kind: 'human' },
  { name: 'a normal Return-Path', mail: withHeaders({ 'return-path': 'ann@client.example' }), returnPath: '<ann@client.example>', kind: 'human' },
  { name: 'fr subject about an absence of invoice', mail: mail({ subject: 'Absence de facture sur la commande 42' }), kind: 'human' },
  { name: 'en subject about an office policy', mail: mail({ subject: 'Re: Out of office policy question' }), kind: 'human' },
  { name: 'a person forwarding a bounce they received', mail: mail({ subject: 'Fwd: Undelivered Mail Returned to Sender', text: `Can you help?\n\n${DSN_TEXT}` }), kind: 'human' },
  { name: 'SES-like JSON pasted by a person', mail: mail({ text: 'We got {"notificationType":"Bounce"} what is it?' }), kind: 'human' },
  // Subjects that used to mean "auto-reply" on their own (changed: a subject alone is not evidence).
  { name: 'fr Absence subject alone (no longer an auto-reply: no header says so)', mail: mail({ subject: 'Absence : retour le 12 mars' }), kind: 'human' },
  { name: 'Lotus-style subject alone (no longer an auto-reply: no header says so)', mail: mail({ subject: 'Ann Client is out of the office.' }), kind: 'human' },
  { name: 'Outlook OOF subject with only X-Auto-Response-Suppress (set on human mail too)', mail: withHeaders({ 'x-auto-response-suppress': 'All' }, { subject: 'Automatic reply: [#12] Export fails' }), kind: 'human' },
  // Weak headers alone do not make an auto-reply either.
  { name: 'X-MS-Exchange-Inbox-Rules-Loop alone (a rule forwarding a person\'s mail)', mail: withHeaders({ 'x-ms-exchange-inbox-rules-loop': 'ann@client.example' }), kind: 'human' },
  { name: 'a no-reply sender with an ordinary subject', mail: mail({ from: { address: 'no-reply@client.example', name: '' } }), kind: 'human' },

  // Auto-replies.
  { name: 'Auto-Submitted: auto-replied', mail: withHeaders({ 'auto-submitted': 'auto-replied' }), kind: 'auto_reply', reason: /auto-replied/ },
  { name: 'Auto-Submitted: auto-generated', mail: withHeaders({ 'auto-submitted': 'auto-generated' }), kind: 'auto_reply', reason: /auto-generated/ },
  { name: 'X-Autoreply', mail: withHeaders({ 'x-autoreply': 'yes' }), kind: 'auto_reply', reason: /x-autoreply/ },
  { name: 'X-Autorespond', mail: withHeaders({ 'x-autorespond': 'Vacation' }), kind: 'auto_reply', reason: /x-autorespond/ },
  { name: 'Precedence: auto_reply', mail: withHeaders({ precedence: 'auto_reply' }), kind: 'auto_reply' },
  { name: 'X-Autoresponder', mail: withHeaders({ 'x-autoresponder': 'true' }), kind: 'auto_reply', reason: /x-autoresponder/ },
  { name: 'iCloud vacation: X-Apple-Action, no Auto-Submitted', mail: withHeaders({ 'x-apple-action': 'VACATION' }, { subject: 'Auto reply: Export fails' }), kind: 'auto_reply', reason: /x-apple-action/ },
  // A subject alone used to be enough; it no longer is (people write such subjects too): these
  // responders' subjects now need a header, and the same subjects bare are a person (below).
  { name: 'en Out of Office subject with Auto-Submitted', mail: withHeaders({ 'auto-submitted': 'auto-replied' }, { subject: 'Out of Office: Re: [#12] Export fails' }), kind: 'auto_reply', reason: /auto-replied/ },
  { name: 'en Automatic reply subject with an empty Return-Path (Exchange)', mail: withHeaders({ 'return-path': '', 'x-auto-response-suppress': 'All' }, { subject: 'Automatic reply: [#12] Export fails' }), kind: 'auto_reply', reason: /vacation subject and empty return path/ },
  { name: 'en Automatic reply subject with X-MS-Exchange-Inbox-Rules-Loop', mail: withHeaders({ 'x-ms-exchange-inbox-rules-loop': 'ann@client.example' }, { subject: 'Automatic reply: [#12] Export fails' }), kind: 'auto_reply', reason: /inbox-rules-loop/ },
  { name: 'fr Réponse automatique subject with Precedence: junk', mail: withHeaders({ precedence: 'junk' }, { subject: 'Réponse automatique : [#12] Export' }), kind: 'auto_reply', reason: /precedence: junk/ },
  { name: 'de Abwesenheitsnotiz subject from a no-reply sender', mail: mail({ from: { address: 'noreply@client.example', name: '' }, subject: 'Abwesenheitsnotiz: [#12] Export' }), kind: 'auto_reply', reason: /noreply/ },
  { name: 'Autoreply subject behind Re: with List-Id', mail: withHeaders({ 'list-id': '<users.lists.example.org>' }, { subject: 'RE: Autoreply' }), kind: 'auto_reply', reason: /list-id/ },
  { name: 'Lotus-style subject with Auto-Submitted', mail: withHeaders({ 'auto-submitted': 'auto-generated' }, { subject: 'Ann Client is out of the office.' }), kind: 'auto_reply' },
  { name: 'RFC 3834 responder with an empty Return-Path', mail: withHeaders({ 'auto-submitted': 'auto-replied', 'return-path': '' }), kind: 'auto_reply' },
  { name: 'vacation subject with an empty envelope sender', mail: mail({ subject: 'Automatic reply: hello' }), returnPath: '<>', kind: 'auto_reply' },
  { name: 'read receipt', mail: withHeaders({ 'content-type': 'multipart/report; report-type=disposition-notification; boundary=x' }), kind: 'auto_reply', reason: /receipt/ },

  // Bounces.
  { name: 'empty envelope sender', mail: mail(), returnPath: '<>', kind: 'bounce', reason: /empty return path/ },
  { name: 'empty envelope sender given bare', mail: mail(), returnPath: '', kind: 'bounce' },
  { name: 'Return-Path: <> as mailparser leaves it', mail: withHeaders({ 'return-path': '' }), kind: 'bounce' },
  { name: 'from MAILER-DAEMON', mail: mail({ from: { address: 'mailer-daemon@mx.example.org', name: 'Mail Delivery System' } }), kind: 'bounce', reason: /mailer-daemon/ },
  { name: 'from postmaster', mail: mail({ from: { address: 'postmaster@client.example', name: '' } }), kind: 'bounce' },
  { name: 'from "Mail Delivery Subsystem" without an address', mail: mail({ headers: { from: 'Mail Delivery Subsystem' }, from: null }), kind: 'bounce' },
  { name: 'From: <> (null sender)', mail: mail({ headers: { from: '' }, from: null }), kind: 'bounce' },
  { name: 'X-Failed-Recipients under a subject in no known language', mail: withHeaders({ 'x-failed-recipients': 'gone@client.example' }, { subject: 'Nedoručitelná zpráva' }), kind: 'bounce', reason: /x-failed-recipients/ },
  { name: 'bounce subject with X-Failed-Recipients', mail: withHeaders({ 'x-failed-recipients': 'gone@client.example' }, { subject: 'Mail delivery failed: returning message to sender' }), kind: 'bounce' },
  { name: 'fr bounce subject from a no-reply sender', mail: mail({ from: { address: 'no-reply@mx.example.fr', name: '' }, subject: 'Message non remis : [#12]' }), kind: 'bounce' },
  { name: 'ARF abuse report', mail: withHeaders({ 'content-type': 'multipart/report; report-type=feedback-report; boundary=x' }), kind: 'bounce', reason: /feedback-report/ },
  { name: 'bounce wins over Auto-Submitted', mail: withHeaders({ 'auto-submitted': 'auto-replied' }, { from: { address: 'mailer-daemon@mx.example.org', name: '' } }), kind: 'bounce' },

  // Bulk.
  { name: 'Precedence: bulk', mail: withHeaders({ precedence: 'bulk' }), kind: 'bulk', reason: /bulk/ },
  { name: 'Precedence: junk', mail: withHeaders({ precedence: 'junk' }), kind: 'bulk' },
  { name: 'Precedence: list', mail: withHeaders({ precedence: 'list' }), kind: 'bulk', reason: /list/ },
  { name: 'List-Id', mail: withHeaders({ 'list-id': '<users.lists.example.org>' }), kind: 'bulk', reason: /list-id/ },
  { name: 'List-Unsubscribe', mail: withHeaders({ 'list-unsubscribe': '<mailto:unsubscribe@news.example>' }), kind: 'bulk', reason: /list-unsubscribe/ },
];

// Mail a person writes whose subject starts the way out-of-office replies do (issue 9, item 5): with
// no automatic header it is a person's, and gets a ticket and an acknowledgement.
// `true`: the subject starts exactly as a responder's does ("Automatic reply: …"), so it adds weight to
// a weak header; `false`: it only starts with the same words ("Vacation request …"), so it adds none.
const LOOKALIKES: [language: string, subject: string, responderShaped: boolean][] = [
  ['en', 'Out of office: the VPN drops every hour', true],
  ['en', 'Out of Office: Re: [#12] Export fails', true],
  ['en', 'Automatic reply: [#12] Export fails', true],
  ['en', 'Automatic reply to invoices is broken', false],
  ['en', 'Auto-reply: your responder answers our customers twice', true],
  ['en', 'Vacation request for March', false],
  ['en', 'Vacation: the leave calendar is empty', true],
  ['en', 'RE: Autoreply', true],
  ['en', 'Absence: the import fails since Monday', true],
  ['fr', 'Congés : le calendrier ne s\'affiche plus', true],
  ['fr', 'Absence : retour le 12 mars impossible à saisir', true],
  ['fr', 'Réponse automatique : elle part en boucle chez nos clients', true],
  ['fr', 'Absent du bureau : le badge ne fonctionne plus', true],
  ['de', 'Abwesenheit: Import schlägt seit Montag fehl', true],
  ['de', 'Abwesenheitsnotiz: wird nicht mehr versendet', true],
  ['de', 'Automatische Antwort: Fehler beim Export', true],
  ['es', 'Ausente: no puedo acceder al portal', true],
  ['es', 'Respuesta automática: no se envía', true],
  ['es', 'Fuera de la oficina: la VPN se corta', true],
  ['it', 'Assente: la fattura non si scarica', true],
  ['it', 'Risposta automatica: non funziona più', true],
  ['it', 'Fuori sede: il calendario non si sincronizza', true],
  ['nl', 'Afwezig: de export werkt niet', true],
  ['nl', 'Automatisch antwoord: wordt niet verstuurd', true],
  ['sv', 'Automatiskt svar: fakturan saknas', true],
];

// Each kind of header evidence, as the responders that set it write it.
// `strong`: enough alone; otherwise it only confirms a responder-shaped subject, and alone gives `alone`.
type Evidence = { name: string; headers: Record<string, string>; returnPath?: string; from?: string } & (
  | { strong: true }
  | { strong: false; alone: Classification['kind'] }
);
const EVIDENCE: Evidence[] = [
  { name: 'Auto-Submitted: auto-replied', headers: { 'auto-submitted': 'auto-replied' }, strong: true },
  { name: 'Auto-Submitted: auto-generated', headers: { 'auto-submitted': 'auto-generated' }, strong: true },
  { name: 'X-Autoreply', headers: { 'x-autoreply': 'yes' }, strong: true },
  { name: 'X-Autorespond', headers: { 'x-autorespond': 'Vacation' }, strong: true },
  { name: 'Precedence: auto_reply', headers: { precedence: 'auto_reply' }, strong: true },
  { name: 'X-Apple-Action: VACATION', headers: { 'x-apple-action': 'VACATION' }, strong: true },
  { name: 'an empty envelope sender', headers: {}, returnPath: '<>', strong: false, alone: 'bounce' },
  { name: 'Return-Path: <> as mailparser leaves it', headers: { 'return-path': '' }, strong: false, alone: 'bounce' },
  { name: 'Precedence: bulk', headers: { precedence: 'bulk' }, strong: false, alone: 'bulk' },
  { name: 'X-MS-Exchange-Inbox-Rules-Loop', headers: { 'x-ms-exchange-inbox-rules-loop': 'ann@client.example' }, strong: false, alone: 'human' },
  { name: 'List-Id', headers: { 'list-id': '<users.lists.example.org>' }, strong: false, alone: 'bulk' },
  { name: 'a no-reply sender', headers: {}, from: 'noreply@client.example', strong: false, alone: 'human' },
];

describe('a subject alone never makes a mail automatic', () => {
  it.each(LOOKALIKES)('%s "%s" with no automatic header → human', (_lang, subject, _shaped) => {
    expect(classify(mail({ subject }))).toEqual({ kind: 'human' });
    // Outlook's X-Auto-Response-Suppress and an ordinary Return-Path change nothing.
    const outlook = withHeaders({ 'x-auto-response-suppress': 'All', 'return-path': '<ann@client.example>' }, { subject });
    expect(classify(outlook, '<ann@client.example>')).toEqual({ kind: 'human' });
  });

  it.each(LOOKALIKES)('%s "%s" with each kind of automatic header → auto_reply (weak ones only for a responder-shaped subject)', (_lang, subject, shaped) => {
    for (const e of EVIDENCE) {
      const m = withHeaders(e.headers, { subject, ...(e.from ? { from: { address: e.from, name: '' } } : {}) });
      const want = e.strong || shaped ? 'auto_reply' : e.alone;
      expect(classify(m, e.returnPath).kind, `${subject} + ${e.name}`).toBe(want);
    }
  });

  it.each(EVIDENCE.filter((e) => !e.strong))('$name with an ordinary subject stays what it was', (e) => {
    const m = withHeaders(e.headers, e.from ? { from: { address: e.from, name: '' } } : {});
    expect(classify(m, e.returnPath).kind).toBe(e.strong ? 'auto_reply' : e.alone);
  });
});

describe('classify', () => {
  it.each(cases)('$name → $kind', ({ mail: m, returnPath, kind, reason }) => {
    const verdict = classify(m, returnPath);
    expect(verdict.kind).toBe(kind);
    if (reason) expect('reason' in verdict ? verdict.reason : '').toMatch(reason);
  });

  it('reads the status and the failed recipients of a delivery status report', () => {
    const verdict = classify(
      withHeaders({ 'content-type': 'multipart/report; report-type=delivery-status; boundary="b"' }, { subject: 'Undelivered Mail Returned to Sender', text: DSN_TEXT }),
    );
    expect(verdict).toEqual({ kind: 'bounce', reason: 'delivery status report', status: '5.1.1', recipients: ['gone@client.example'] });
  });

  it('tells a successful delivery notice from a failure', () => {
    const text = 'Final-Recipient: rfc822; ann@client.example\nAction: relayed\nStatus: 2.0.0';
    const verdict = classify(withHeaders({ 'content-type': 'multipart/report; report-type=delivery-status' }, { text }));
    expect(verdict).toMatchObject({ kind: 'bounce', reason: 'delivered', status: '2.0.0' });
  });

  it('takes the enhanced status code from a non-standard bounce and X-Failed-Recipients', () => {
    const verdict = classify(
      withHeaders({ 'x-failed-recipients': 'Gone@Client.example' }, {
        from: { address: 'mailer-daemon@mx.example.org', name: '' },
        text: 'A message that you sent could not be delivered.\n  gone@client.example\n    host mx.client.example: 550 5.7.1 Rejected by policy (server 10.1.2.3)',
      }),
    );
    expect(verdict).toMatchObject({ kind: 'bounce', status: '5.7.1', recipients: ['gone@client.example'] });
  });

  it('does not take an IP address for a status code', () => {
    const verdict = classify(mail({ from: { address: 'postmaster@mx.example.org', name: '' }, text: 'Connection to 4.2.2.1 timed out' }));
    expect(verdict).toEqual({ kind: 'bounce', reason: 'from postmaster@mx.example.org' });
  });
});

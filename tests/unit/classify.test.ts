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

  // Auto-replies.
  { name: 'Auto-Submitted: auto-replied', mail: withHeaders({ 'auto-submitted': 'auto-replied' }), kind: 'auto_reply', reason: /auto-replied/ },
  { name: 'Auto-Submitted: auto-generated', mail: withHeaders({ 'auto-submitted': 'auto-generated' }), kind: 'auto_reply', reason: /auto-generated/ },
  { name: 'X-Autoreply', mail: withHeaders({ 'x-autoreply': 'yes' }), kind: 'auto_reply', reason: /x-autoreply/ },
  { name: 'X-Autorespond', mail: withHeaders({ 'x-autorespond': 'Vacation' }), kind: 'auto_reply', reason: /x-autorespond/ },
  { name: 'Precedence: auto_reply', mail: withHeaders({ precedence: 'auto_reply' }), kind: 'auto_reply' },
  { name: 'en Out of Office subject', mail: mail({ subject: 'Out of Office: Re: [#12] Export fails' }), kind: 'auto_reply', reason: /vacation/ },
  { name: 'en Automatic reply subject', mail: mail({ subject: 'Automatic reply: [#12] Export fails' }), kind: 'auto_reply' },
  { name: 'fr Réponse automatique subject', mail: mail({ subject: 'Réponse automatique : [#12] Export' }), kind: 'auto_reply' },
  { name: 'fr Absence subject', mail: mail({ subject: 'Absence : retour le 12 mars' }), kind: 'auto_reply' },
  { name: 'de Abwesenheitsnotiz subject', mail: mail({ subject: 'Abwesenheitsnotiz: [#12] Export' }), kind: 'auto_reply' },
  { name: 'Autoreply subject behind Re:', mail: mail({ subject: 'RE: Autoreply' }), kind: 'auto_reply' },
  { name: 'Lotus-style subject', mail: mail({ subject: 'Ann Client is out of the office.' }), kind: 'auto_reply' },
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

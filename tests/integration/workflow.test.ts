// The whole life of a ticket by email, through the real pipeline (Dovecot in, smtp-server out), on
// both engines: feedback and the answer, resolution with its confirm / still-broken links, closing,
// replies to closed tickets and duplicates, requalification, auto-close, private visibility,
// fields by email, and one notification per client-visible change, in the client's language.
import { afterEach, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { issueStaffToken } from '../../src/http/auth.ts';
import { autoCloseResolved } from '../../src/jobs/auto-close.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { clientMail, deliveryReport, getTicket, SUPPORT } from '../support/guichet.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { startSmtpSink, type Captured, type SmtpSink } from '../support/smtp-sink.ts';

const suite = await mailSuite('workflow');

const tokens = new WeakMap<Guichet, Map<string, string>>();

/** The staff member's own API token, made on first use: the API acts as whoever holds it. */
async function tokenOf(g: Guichet, email: string): Promise<string> {
  const mine = tokens.get(g) ?? new Map<string, string>();
  tokens.set(g, mine);
  if (!mine.has(email)) {
    const staff = await g.database.db.selectFrom('staff').select('id').where('email', '=', email).executeTakeFirstOrThrow();
    mine.set(email, (await issueStaffToken(g.database.db, staff.id, 'workflow test', new Date())).token);
  }
  return mine.get(email)!;
}

async function api(g: Guichet, method: string, url: string, body: unknown, staff = 'agent@help.example.test') {
  const res = await g.http.request(`/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${await tokenOf(g, staff)}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function mailtoLinks(m: Captured): Array<{ to: string; subject: string; body: string }> {
  const html = String(m.parsed.html);
  return [...html.matchAll(/href="(mailto:[^"]+)"/g)].map((x) => {
    const url = new URL(x[1]!.replace(/&amp;/g, '&'));
    return { to: decodeURIComponent(url.pathname), subject: url.searchParams.get('subject') ?? '', body: url.searchParams.get('body') ?? '' };
  });
}

suite('workflow on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Pipeline | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
  });

  async function start(overrides: Record<string, unknown> = {}) {
    // A ticket's whole life in a minute sends one client more automatic mail than the default budget
    // allows (loops.test.ts proves that budget); here every notice must go.
    p = await startPipeline(engine, peers.dovecot, peers.sink, { automaticMail: { maxPer10Minutes: 100, maxPerDay: 1000 }, ...overrides });
    await p.g.database.db.insertInto('staff').values({
      email: 'agent@help.example.test', name: 'Agnès', password_hash: 'x', role: 'agent', active: 1, created_at: new Date().toISOString(),
    }).execute();
    return p;
  }

  it('lives a ticket by email: feedback, answer, resolution, confirmation, in French', async () => {
    const p = await start({ defaultLanguage: 'fr' });
    const first = clientMail({ from: 'Zoé <zoe@client.test>', subject: 'La facture est vide', body: 'Type: correction\r\nPriorité : bloquant\r\n\r\nLa page facture est blanche.' });
    await p.deliver(first.raw);
    const created = await p.sent(2);
    const ack = created.find((m) => m.envelope.to.includes('zoe@client.test'));
    const alert = created.find((m) => m.envelope.to.includes('agent@help.example.test'));
    expect(ack!.envelope.to).toEqual(['zoe@client.test']);
    expect(ack!.parsed.subject).toBe('[#1] La facture est vide');
    expect(ack!.parsed.text).toContain('Répondez au-dessus de cette ligne');
    expect(alert!.envelope.to).toEqual(['agent@help.example.test']);
    expect(alert!.parsed.subject).toMatch(/^\[#1\] /);
    let ticket = await getTicket(p.g, 1);
    expect(ticket).toMatchObject({ type: 'correction', priority: 'blocking', status: 'new', awaiting: 'staff' });
    expect(ticket.entries[0].text).toBe('La page facture est blanche.');

    // Feedback: the client is asked, the ticket waits on them.
    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'feedback', message: 'Quel navigateur utilisez-vous ?' })).toMatchObject({ status: 200, body: { status: 'feedback', awaiting: 'client' } });
    const [feedback] = await p.sent(1);
    expect(feedback!.envelope.to).toEqual(['zoe@client.test']);
    expect(feedback!.parsed.subject).toBe('[#1] La facture est vide');
    expect(feedback!.parsed.text).toContain('Quel navigateur utilisez-vous ?');
    expect(feedback!.parsed.text).toContain('Retour d');
    expect(feedback!.header('auto-submitted')).toBe('auto-generated');
    expect(feedback!.header('x-auto-response-suppress')).toBe('All');
    expect(feedback!.parsed.references).toContain(first.messageId);

    // The answer returns the ticket to its status and alerts staff; no mail to the client.
    await p.deliver(clientMail({ from: 'zoe@client.test', subject: 'RE: [#1] La facture est vide', body: 'Firefox 130.\r\n\r\nLe lun. 23 nov. 2026, Support a écrit :\r\n> Quel navigateur' }).raw);
    const [replyAlert] = await p.sent(1);
    expect(replyAlert!.envelope.to).toEqual(['agent@help.example.test']);
    ticket = await getTicket(p.g, 1);
    expect(ticket).toMatchObject({ status: 'new', awaiting: 'staff' });
    expect(ticket.entries.at(-1).text).toBe('Firefox 130.');

    // Resolved: the client is asked to verify, with two links.
    expect((await api(p.g, 'PATCH', '/tickets/1', { assignee: 'agent@help.example.test' })).body.status).toBe('assigned');
    const [assigned] = await p.sent(1);
    expect(assigned!.parsed.text).toContain('Agnès');
    expect((await api(p.g, 'PATCH', '/tickets/1', { resolution: 'fixed', message: 'Corrigé en production.' })).body).toMatchObject({ status: 'resolved', resolution: 'fixed' });
    const [resolved] = await p.sent(1);
    const links = mailtoLinks(resolved!);
    expect(links).toHaveLength(2);
    expect(links.every((l) => l.to === SUPPORT && l.subject.includes('[#1]'))).toBe(true);

    // A plain reply only comments; the confirm link closes, resolution kept.
    const confirm = links.find((l) => l.body.startsWith('[confirm'))!;
    await p.deliver(clientMail({ from: 'zoe@client.test', subject: confirm.subject, body: confirm.body }).raw);
    const [closed] = await p.sent(2).then((m) => m.filter((x) => x.envelope.to.includes('zoe@client.test')));
    expect(closed!.parsed.text).toMatch(/fermé/i);
    ticket = await getTicket(p.g, 1);
    expect(ticket).toMatchObject({ status: 'closed', resolution: 'fixed' });

    // A reply to the closed ticket opens a new one linked to it.
    await p.deliver(clientMail({ from: 'zoe@client.test', subject: 'Re: [#1] La facture est vide', body: 'Ça recommence !' }).raw);
    const mails = await p.sent(2);
    expect(mails.find((m) => m.envelope.to.includes('zoe@client.test'))!.parsed.subject).toBe('[#2] La facture est vide');
    expect(await getTicket(p.g, 2)).toMatchObject({ linked_to: 1, status: 'new' });
    expect((await getTicket(p.g, 1)).status).toBe('closed');
  });

  it('reopens on "still broken", refuses invalid transitions, requalifies, follows duplicates, auto-closes', async () => {
    const p = await start();
    await p.deliver(clientMail({ subject: 'Export fails', body: 'CSV is empty' }).raw);
    await p.deliver(clientMail({ subject: 'Export broken too', body: 'Same thing' }).raw);
    await p.sent(4); // two acks, two staff alerts

    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'resolved' })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/with a resolution/) } });
    expect((await api(p.g, 'PATCH', '/tickets/1', { status: 'confirmed' })).status).toBe(200);
    await p.sent(1); // confirmed
    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'new' })).toMatchObject({ status: 409, body: { error: 'a ticket cannot go back to new' } });
    expect((await api(p.g, 'PATCH', '/tickets/1', { status: 'closed' })).status).toBe(409);
    expect(await api(p.g, 'PATCH', '/tickets/1', { priority: 'bogus' })).toMatchObject({ status: 422 });

    expect((await api(p.g, 'PATCH', '/tickets/1', { priority: 'critical' })).body.priority).toBe('critical');
    const [priority] = await p.sent(1);
    expect(priority!.parsed.text).toMatch(/priority/i);
    expect(priority!.parsed.text).toMatch(/critical/);
    expect(priority!.parsed.text).toMatch(/minor/);

    await api(p.g, 'PATCH', '/tickets/1', { resolution: 'fixed' });
    const [resolved] = await p.sent(1);
    const broken = mailtoLinks(resolved!).find((l) => l.body.startsWith('[still-broken'))!;
    await p.deliver(clientMail({ subject: broken.subject, body: `Still empty.\r\n\r\n${broken.body}` }).raw);
    const reopenedMails = await p.sent(2);
    expect(reopenedMails.find((m) => m.envelope.to.includes('ada@example.com'))!.parsed.text).toMatch(/reopened/i);
    expect(await getTicket(p.g, 1)).toMatchObject({ status: 'confirmed', resolution: 'reopened', awaiting: 'staff' });

    // A forged marker (wrong token) is a plain comment.
    await api(p.g, 'PATCH', '/tickets/1', { resolution: 'fixed' });
    await p.sent(1);
    await p.deliver(clientMail({ subject: 'Re: [#1] Export fails', body: '[confirm #1 0000000000000000]' }).raw);
    await p.sent(1); // staff alert only
    expect((await getTicket(p.g, 1)).status).toBe('resolved');

    // Duplicate: the client is told which ticket to follow; later replies land there.
    expect((await api(p.g, 'PATCH', '/tickets/2', { duplicate_of: 1 })).body).toMatchObject({ status: 'closed', resolution: 'duplicate', duplicate_of: 1 });
    const [dup] = await p.sent(1);
    expect(dup!.parsed.text).toContain('#1');
    await p.deliver(clientMail({ subject: 'Re: [#2] Export broken too', body: 'Any news?' }).raw);
    await p.sent(1); // staff alert
    expect((await getTicket(p.g, 1)).entries.at(-1).text).toBe('Any news?');
    expect((await getTicket(p.g, 2)).entries).toHaveLength(1);

    // Left resolved past the configured days: closed with a notice.
    const deps = { notices: p.g.notifier, autoCloseDays: 14 };
    expect(await autoCloseResolved(p.g.database.db, deps, new Date())).toEqual([]);
    const fifteenDaysAgo = new Date(Date.now() - 15 * 86_400_000).toISOString();
    await p.g.database.db.updateTable('ticket').set({ resolved_at: fifteenDaysAgo }).where('number', '=', 1).execute();
    expect(await autoCloseResolved(p.g.database.db, deps, new Date())).toEqual([1]);
    p.g.outbox.kick();
    const [auto] = await p.sent(1);
    expect(auto!.parsed.text).toMatch(/automatically/i);
    expect(await getTicket(p.g, 1)).toMatchObject({ status: 'closed', resolution: 'fixed' });
  });

  it('tells watchers of public tickets only, keeps internal notes in, and says which fields fell back', async () => {
    // Bob is of no organisation: he becomes a watcher only where anyone in Cc may.
    const p = await start({ intake: { unknownSenders: 'accept', watchers: 'any' } });
    await p.deliver(clientMail({ subject: 'Public one', cc: 'bob@example.com', body: 'Hello' }).raw);
    await p.deliver(clientMail({ subject: 'Private one', cc: 'bob@example.com', body: 'Visibility: private\r\nType: whatever\r\n\r\nSecret stuff' }).raw);
    const created = await p.sent(4);
    const privateAck = created.find((m) => m.parsed.subject === '[#2] Private one')!;
    expect(privateAck.parsed.text).toContain('whatever');
    expect(await getTicket(p.g, 2)).toMatchObject({ visibility: 'private', type: 'assistance' });
    expect((await getTicket(p.g, 2)).entries[0].text).toBe('Secret stuff');

    await api(p.g, 'POST', '/tickets/1/replies', { message: 'Internal: check the logs', internal: true });
    await api(p.g, 'POST', '/tickets/1/replies', { message: 'We are on it.' });
    await api(p.g, 'POST', '/tickets/2/replies', { message: 'Private answer.' });
    const replies = await p.sent(3);
    expect(replies.map((m) => [m.parsed.subject, m.envelope.to[0]]).sort()).toEqual([
      ['[#1] Public one', 'ada@example.com'],
      ['[#1] Public one', 'bob@example.com'],
      ['[#2] Private one', 'ada@example.com'],
    ]);
    expect(replies.some((m) => String(m.parsed.text).includes('Internal'))).toBe(false);
    expect(replies.find((m) => m.parsed.subject === '[#1] Public one')!.parsed.text).toContain('We are on it.');
  });

  it('finds the project from the address or a pseudo-header, and otherwise asks which one', async () => {
    const p = await start();
    const db = p.g.database.db;
    const at = new Date().toISOString();
    const [shop, blog] = await db.insertInto('project').values([
      { key: 'SHOP', name: 'Web shop', default_type: 'assistance', created_at: at },
      { key: 'BLOG', name: 'Blog', default_type: 'assistance', created_at: at },
    ]).returning(['id', 'key']).execute();
    await db.insertInto('product').values([{ project_id: shop!.id, name: 'Checkout' }, { project_id: shop!.id, name: 'Search' }]).execute();

    await p.deliver(clientMail({ to: 'support+shop@help.example.test', subject: 'By address', body: 'Products: checkout, Nope\r\n\r\nPay button' }).raw);
    await p.deliver(clientMail({ subject: 'By header', body: 'Projet : blog\r\n\r\nComments' }).raw);
    await p.sent(4);
    const rows = await Promise.all([1, 2].map((n) => getTicket(p.g, n)));
    expect(rows.map((t) => ({ number: t.number, project_id: t.project_id, description: t.description }))).toEqual([
      { number: 1, project_id: shop!.id, description: 'Pay button' },
      { number: 2, project_id: blog!.id, description: 'Comments' },
    ]);
    const products = await db.selectFrom('ticket_product').innerJoin('product', 'product.id', 'ticket_product.product_id').select('product.name').execute();
    expect(products).toEqual([{ name: 'Checkout' }]);
    expect(await db.selectFrom('ticket_watcher').selectAll().execute()).toEqual([]);

    // Nothing says which: the client is asked, and the held message waits for the answer.
    const question = clientMail({ subject: 'Which one?', body: 'Something is off' });
    await p.deliver(question.raw);
    const [ask] = await p.sent(1);
    expect(ask!.parsed.inReplyTo).toBe(question.messageId);
    const links = mailtoLinks(ask!);
    expect(links.map((l) => l.to)).toEqual(['support+blog@help.example.test', 'support+shop@help.example.test']);
    expect((await p.processed(3)).at(-1)).toMatchObject({ state: 'held', outcome: 'awaiting project choice' });
    expect(await db.selectFrom('ticket').select('id').execute()).toHaveLength(2);

    const pick = links[1]!;
    await p.deliver(clientMail({ to: pick.to, subject: pick.subject, body: pick.body }).raw);
    const [ack] = (await p.sent(2)).filter((m) => m.envelope.to.includes('ada@example.com'));
    expect(ack!.parsed.subject).toBe('[#3] Which one?');
    expect(ack!.parsed.inReplyTo).toBe(question.messageId);
    const third = await getTicket(p.g, 3);
    expect({ project_id: third.project_id, description: third.description }).toEqual({ project_id: shop!.id, description: 'Something is off' });
    expect(await db.selectFrom('ticket').select('id').execute()).toHaveLength(3);
  });

  it('stops mailing a contact whose address bounced until the contact writes again; a delay report marks nothing', async () => {
    const p = await start();
    const db = p.g.database.db;
    const bounceOf = () => db.selectFrom('contact').select(['bounced_at', 'bounce_reason']).where('email', '=', 'bob@client.test').executeTakeFirstOrThrow();
    await p.deliver(clientMail({ from: 'bob@client.test', subject: 'Slow site', body: 'The site is slow.' }).raw);
    const ack = (await p.sent(2)).find((m) => m.envelope.to.includes('bob@client.test'))!;
    const ackState = async () => (await db.selectFrom('outbox').select('state').where('message_id', '=', ack.parsed.messageId!).executeTakeFirstOrThrow()).state;

    await p.deliver(deliveryReport(ack.parsed.messageId!, { recipient: 'bob@client.test', status: '4.4.7' }));
    expect((await p.processed(2))[1]).toMatchObject({ state: 'ignored', outcome: 'bounce: delivery status report' });
    expect(await ackState()).toBe('sent');
    expect(await bounceOf()).toEqual({ bounced_at: null, bounce_reason: null });

    await p.deliver(deliveryReport(ack.parsed.messageId!, { recipient: 'bob@client.test' }));
    expect((await p.processed(3))[2]).toMatchObject({ state: 'ignored', outcome: 'bounce: delivery status report' });
    expect(await ackState()).toBe('bounced');
    expect(await bounceOf()).toEqual({ bounced_at: expect.any(String), bounce_reason: 'delivery status report (5.1.1)' });

    // A question from staff would be mailed to the client: nothing goes to an address that bounced.
    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'feedback', message: 'Which page?' })).toMatchObject({ status: 200 });
    expect(await p.sent(0)).toEqual([]);
    expect(await db.selectFrom('outbox').select('recipient').where('event', '=', 'feedback-requested').execute()).toEqual([]);

    // The client writes again: the address works, and the next question reaches them.
    await p.deliver(clientMail({ from: 'bob@client.test', subject: 'RE: [#1] Slow site', body: 'The checkout page.' }).raw);
    await p.processed(4);
    expect(await bounceOf()).toEqual({ bounced_at: null, bounce_reason: null });
    await p.sent(1);
    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'feedback', message: 'Since when?' })).toMatchObject({ status: 200 });
    const [question] = await p.sent(1);
    expect(question!.envelope.to).toEqual(['bob@client.test']);
    expect(question!.parsed.text).toContain('Since when?');
  });

  it('lets staff open a ticket for a client and announce maintenance to each contact of an organisation', async () => {
    const p = await start();
    const db = p.g.database.db;
    const at = new Date().toISOString();
    const acme = await db.insertInto('organisation').values({ name: 'Acme', requires_validation: 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
    const other = await db.insertInto('organisation').values({ name: 'Other', requires_validation: 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('contact').values([
      { email: 'amy@acme.test', name: 'Amy', organisation_id: acme.id, state: 'active', created_at: at },
      { email: 'bo@acme.test', name: 'Bo', organisation_id: acme.id, state: 'active', created_at: at },
      { email: 'new@acme.test', name: '', organisation_id: acme.id, state: 'pending', created_at: at },
      { email: 'zed@other.test', name: '', organisation_id: other.id, state: 'active', created_at: at },
    ]).execute();

    const opened = await api(p.g, 'POST', '/tickets', { reporter: 'carl@client.test', summary: 'Called about the backup', description: 'As discussed on the phone.', priority: 'major' });
    expect(opened).toMatchObject({ status: 201, body: { number: 1 } });
    const [ack] = await p.sent(1);
    expect(ack!.envelope.to).toEqual(['carl@client.test']);
    expect(ack!.parsed.subject).toBe('[#1] Called about the backup');
    expect(await getTicket(p.g, 1)).toMatchObject({ reporter: 'carl@client.test', priority: 'major' });

    const announced = await api(p.g, 'POST', '/announcements', {
      organisation: 'Acme', summary: 'Server update', message: 'The server restarts on Sunday.', starts_at: '2026-11-29T06:00:00Z', ends_at: '2026-11-29T07:00:00Z',
    });
    expect(announced).toMatchObject({ status: 201, body: { number: 2, recipients: 2 } });
    const mails = await p.sent(2);
    expect(mails.map((m) => m.envelope.to).sort()).toEqual([['amy@acme.test'], ['bo@acme.test']]);
    for (const m of mails) {
      expect(m.parsed.subject).toBe('[#2] Server update');
      expect(m.header('cc')).toBe('');
      expect(m.header('bcc')).toBe('');
      expect(m.raw).not.toMatch(/amy@acme\.test[\s\S]*bo@acme\.test|bo@acme\.test[\s\S]*amy@acme\.test/);
      expect(m.parsed.text).toContain('The server restarts on Sunday.');
    }
    expect(await getTicket(p.g, 2)).toMatchObject({ type: 'maintenance', reporter: null });

    await p.deliver(clientMail({ from: 'bo@acme.test', subject: 'Re: [#2] Server update', body: 'Fine for us.' }).raw);
    await p.sent(1); // staff alert
    expect((await getTicket(p.g, 2)).entries.at(-1).text).toBe('Fine for us.');
  });

  it('requalifies the type, closes with wont_fix, lets staff reopen, records the evaluation silently, and reopens on reply when configured', async () => {
    const p = await start({ workflow: { replyToClosed: 'reopen' } });
    await p.deliver(clientMail({ subject: 'Add dark mode', body: 'Type: question\r\n\r\nPlease add a dark theme.' }).raw);
    await p.sent(2);

    expect((await api(p.g, 'PATCH', '/tickets/1', { urgency: 'low', impact: 'all users', cost_estimate: '3 days' })).body).toMatchObject({ urgency: 'low', impact: 'all users', cost_estimate: '3 days' });
    expect((await api(p.g, 'PATCH', '/tickets/1', { type: 'evolution', message: 'This is a feature request.' })).body.type).toBe('evolution');
    const [typed] = await p.sent(1);
    expect(typed!.parsed.text).toMatch(/assistance/i);
    expect(typed!.parsed.text).toMatch(/Change request/);
    expect(typed!.parsed.text).toContain('This is a feature request.');
    expect(await api(p.g, 'PATCH', '/tickets/1', { type: 'maintenance' })).toMatchObject({ status: 200 });
    await p.sent(1);

    expect((await api(p.g, 'PATCH', '/tickets/1', { resolution: 'wont_fix', message: 'Not planned.' })).body).toMatchObject({ status: 'closed', resolution: 'wont_fix' });
    const [closed] = await p.sent(1);
    expect(closed!.parsed.text).toMatch(/closed/i);
    expect(await api(p.g, 'PATCH', '/tickets/1', { status: 'feedback' })).toMatchObject({ status: 409, body: { error: 'a closed ticket cannot be set to feedback; reopen it first' } });

    expect((await api(p.g, 'PATCH', '/tickets/1', { reopen: true })).body).toMatchObject({ status: 'confirmed', resolution: 'reopened' });
    const [reopened] = await p.sent(1);
    expect(reopened!.parsed.text).toMatch(/reopened/i);
    await api(p.g, 'PATCH', '/tickets/1', { resolution: 'suspended' });
    await p.sent(1);

    // replyToClosed: reopen — the client's reply reopens the ticket instead of opening a new one.
    await p.deliver(clientMail({ subject: 'Re: [#1] Add dark mode', body: 'Any chance after all?' }).raw);
    const mails = await p.sent(2); // reopened notice + staff alert
    expect(mails.map((m) => m.envelope.to[0]).sort()).toEqual(['ada@example.com', 'agent@help.example.test']);
    expect(await getTicket(p.g, 1)).toMatchObject({ status: 'confirmed', resolution: 'reopened', awaiting: 'staff' });
    expect(await p.g.database.db.selectFrom('ticket').select('number').execute()).toEqual([{ number: 1 }]);
    const events = await p.g.database.db.selectFrom('event').select(['field', 'to_value']).where('field', 'in', ['urgency', 'type']).orderBy('id').execute();
    expect(events).toEqual([{ field: 'urgency', to_value: 'low' }, { field: 'type', to_value: 'evolution' }, { field: 'type', to_value: 'maintenance' }]);
  });
});

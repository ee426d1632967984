// Authorisation at the edges of the intake, through the real pipeline (Dovecot in, smtp-server out)
// on both engines: a copy of a message is one message, Guichet's own mail coming back is never
// answered, a reply to a duplicate lands only where its sender may write, a stranger's automatic
// mail writes nothing on a ticket, and a project named by mail must be one the sender may use.
import { afterEach, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { validateContact } from '../../src/accounts/contacts.ts';
import { cleanEnv, runGuichet } from '../support/cli.ts';
import { API_TOKEN, clientMail, getTicket, SUPPORT } from '../support/guichet.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';

const suite = await mailSuite('mail edges');

suite('mail edges on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Pipeline | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
    peers.sink.clear();
  });
  const start = async (overrides: Record<string, unknown> = {}) => (p = await startPipeline(engine, peers.dovecot, peers.sink, overrides));

  async function acme(g: Guichet): Promise<void> {
    const db = g.database.db;
    const { id } = await db.insertInto('organisation').values({ name: 'Acme', requires_validation: 0, created_at: new Date().toISOString() }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('organisation_domain').values({ domain: 'acme.test', organisation_id: id }).execute();
  }

  async function staffReply(g: Guichet, message: string): Promise<void> {
    const res = await g.http.request('/api/v1/tickets/1/replies', {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    });
    expect(res.status).toBe(201);
  }

  it('takes the same Message-ID from the same sender once, however its trace headers differ', async () => {
    const p = await start();
    const first = clientMail({ subject: 'Printer on fire', body: 'Smoke everywhere.', headers: { 'Delivered-To': 'support@help.example.test' } });
    await p.deliver(first.raw);
    await p.sent(1);
    // The same mail again, through another route: other trace headers, other bytes.
    await p.deliver(`Received: from relay2.example.com by mx.help.example.test; ${new Date().toUTCString()}\r\nDelivered-To: support+alias@help.example.test\r\n${first.raw}`);
    const rows = await p.processed(2);
    expect(rows.map((r) => [r.state, r.outcome])).toEqual([
      ['processed', 'ticket'],
      ['ignored', `duplicate of message ${rows[0]!.id} (same Message-ID from the same sender)`],
    ]);
    expect(await p.g.database.db.selectFrom('ticket').select('number').execute()).toEqual([{ number: 1 }]);
    expect((await getTicket(p.g, 1)).entries).toHaveLength(1);

    // Another sender's mail under that Message-ID is not taken for a copy (nobody silences a client so).
    await p.deliver(clientMail({ from: 'mallory@elsewhere.test', subject: 'Printer on fire', body: 'Me too', messageId: first.messageId }).raw);
    await p.processed(3);
    await p.sent(1);
    expect(await p.g.database.db.selectFrom('ticket').select('number').orderBy('number').execute()).toEqual([{ number: 1 }, { number: 2 }]);
  });

  it("takes the same request twice as one ticket, and holds a sender's mail past the day's bound of new tickets until staff release it", async () => {
    const p = await start({ intake: { unknownSenders: 'accept', maxNewTicketsPerDay: 2 }, automaticMail: { maxPer10Minutes: 20, maxPerDay: 50 } });
    const printer = () => clientMail({ subject: 'Printer on fire', body: 'It burns.' }).raw;
    await p.deliver(printer());
    await p.sent(1);
    // The same subject and text again (a new Message-ID: a resend, or a responder): a comment, unanswered.
    await p.deliver(printer());
    await p.deliver(clientMail({ subject: 'Scanner jammed', body: 'Paper stuck.' }).raw);
    await p.deliver(clientMail({ subject: 'Fax silent', body: 'No tone.' }).raw);
    const rows = await p.processed(4);
    await p.sent(1);
    expect(rows.map((r) => [r.state, r.outcome])).toEqual([
      ['processed', 'ticket'],
      ['processed', 'copy of the request of ticket #1 (same subject and text within a day): a comment, not acknowledged'],
      ['processed', 'ticket'],
      ['held', "held for staff: the sender's bound of new tickets a day (intake.maxNewTicketsPerDay) is reached (2 opened in the last 24 hours)"],
    ]);
    expect((await getTicket(p.g, 1)).entries.map((e: { text: string }) => e.text)).toEqual(['It burns.', 'It burns.']);

    // Staff see it and let it through, from the command line.
    const env = cleanEnv({ GUICHET_DATABASE_URL: p.databaseUrl, GUICHET_SUPPORT_ADDRESS: SUPPORT, GUICHET_DATA_DIR: p.g.config.dataDir, GUICHET_SMTP_URL: peers.sink.url });
    const listed = await runGuichet(['inbound', 'list', '--held'], { cwd: p.g.config.dataDir, env });
    expect(listed.stdout).toMatch(new RegExp(`^\\s+${rows[3]!.id} held .* ada@example.com — held for staff`));
    const released = await runGuichet(['inbound', 'release', String(rows[3]!.id)], { cwd: p.g.config.dataDir, env });
    expect(released.stdout).toBe(`message ${rows[3]!.id} released: processed: ticket #3\n`);
    const [ack] = await p.sent(1);
    expect(ack!.parsed.subject).toBe('[#3] Fax silent');
    expect(await p.g.intake.release(rows[3]!.id)).toBeNull();
  }, 90_000);

  it("never answers its own mail coming back, nor mail from a plus variant of its address", async () => {
    const p = await start();
    await p.deliver(clientMail({ subject: 'Hello', body: 'First' }).raw);
    const [ack] = await p.sent(1);
    // A forwarding rule sends our acknowledgement back to us under the client's name.
    await p.deliver(clientMail({ subject: ack!.parsed.subject!, body: 'We received your request', messageId: ack!.parsed.messageId! }).raw);
    await p.deliver(clientMail({ from: `Support <${SUPPORT.replace('@', '+loop@')}>`, subject: 'Re: [#1] Hello', body: 'An echo' }).raw);
    // A responder resends it whole under a Message-ID of its own: our loop header is still on it.
    await p.deliver(clientMail({ subject: ack!.parsed.subject!, body: 'We received your request', headers: { 'X-Guichet-Loop': ack!.parsed.headers.get('x-guichet-loop') as string } }).raw);
    const rows = await p.processed(4);
    expect(rows.slice(1).map((r) => [r.state, r.outcome])).toEqual([
      ['ignored', 'our own mail came back (its Message-ID is ours): loop guard'],
      ['ignored', 'sent from the support address itself (loop guard)'],
      ['ignored', 'our own mail came back (it carries our loop header): loop guard'],
    ]);
    await p.g.outbox.idle();
    expect(peers.sink.messages.filter((m) => m.envelope.to.includes('ada@example.com'))).toHaveLength(1);
    expect((await getTicket(p.g, 1)).entries).toHaveLength(1);
  });

  it('files a reply to a duplicate only where its sender may write, and lets no stranger machine write on a ticket', async () => {
    const p = await start();
    const db = p.g.database.db;
    const at = new Date().toISOString();
    for (const [name, domain] of [['Acme', 'acme.test'], ['Beta', 'beta.test']] as const) {
      const { id } = await db.insertInto('organisation').values({ name, requires_validation: 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
      await db.insertInto('organisation_domain').values({ domain, organisation_id: id }).execute();
    }
    await p.deliver(clientMail({ from: 'ada@acme.test', subject: 'Acme payroll export', body: 'Visibility: private\r\n\r\nSalaries inside.' }).raw);
    await p.deliver(clientMail({ from: 'bob@beta.test', subject: 'Export broken', body: 'Same here?' }).raw);
    await p.sent(2);
    const marked = await p.g.http.request('/api/v1/tickets/2', {
      method: 'PATCH',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ duplicate_of: 1 }),
    });
    expect(marked.status).toBe(200);
    await p.sent(1);

    await p.deliver(clientMail({ from: 'bob@beta.test', subject: 'Re: [#2] Export broken', body: 'Any news?' }).raw);
    // An auto-reply from a stranger naming Acme's ticket.
    await p.deliver(clientMail({ from: 'carol@stranger.test', subject: 'Automatic reply: [#1] Acme payroll export', body: 'I am away.', headers: { 'Auto-Submitted': 'auto-replied' } }).raw);
    const rows = await p.processed(4);
    expect(rows.slice(2).map((r) => [r.state, r.outcome])).toEqual([
      ['quarantined', 'sender bob@beta.test may not write on ticket #1, which ticket #2 duplicates'],
      ['ignored', expect.stringMatching(/^auto-reply: /)],
    ]);
    expect(rows[3]!.ticket_id).toBeNull();
    const acme = await getTicket(p.g, 1);
    expect(acme.entries.map((e: { text: string }) => e.text)).toEqual(['Salaries inside.']);
    const events = await db.selectFrom('event').select(['actor', 'kind']).where('actor', 'like', 'email:%').execute();
    expect(events).toEqual([]);
  });

  it("files a ticket only on a project the sender's organisation may use, whatever the mail names", async () => {
    const p = await start();
    const db = p.g.database.db;
    const at = new Date().toISOString();
    const [shop, hr] = await db.insertInto('project').values([
      { key: 'SHOP', name: 'Web shop', default_type: 'assistance', created_at: at },
      { key: 'HR', name: 'Payroll', default_type: 'assistance', created_at: at },
    ]).returning(['id', 'key']).execute();
    await db.insertInto('project_address').values({ address: 'payroll@help.example.test', project_id: hr!.id }).execute();
    const { id: acme } = await db.insertInto('organisation').values({ name: 'Acme', requires_validation: 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('organisation_domain').values({ domain: 'acme.test', organisation_id: acme }).execute();
    await db.insertInto('organisation_project').values({ organisation_id: acme, project_id: shop!.id }).execute();

    await p.deliver(clientMail({ from: 'ada@acme.test', to: 'support+hr@help.example.test', subject: 'By plus address', body: 'x' }).raw);
    await p.deliver(clientMail({ from: 'ada@acme.test', to: 'payroll@help.example.test', subject: 'By project address', body: 'y' }).raw);
    await p.deliver(clientMail({ from: 'ada@acme.test', subject: 'By pseudo-header', body: 'Project: HR\r\n\r\nz' }).raw);
    await p.sent(3);
    const tickets = await db.selectFrom('ticket').select(['number', 'project_id']).orderBy('number').execute();
    expect(tickets).toEqual([1, 2, 3].map((number) => ({ number, project_id: shop!.id })));
  });

  it("keeps a first mail's signature out of its description, and in its full text", async () => {
    const p = await start();
    await p.deliver(clientMail({ subject: 'Export empty', body: 'The CSV export is empty.\r\n\r\nAda\r\n-- \r\nAda Lovelace\r\nAnalyst, Acme\r\n+33 1 23 45 67 89' }).raw);
    await p.sent(1);
    const ticket = await getTicket(p.g, 1);
    expect(ticket.description).toBe('The CSV export is empty.\n\nAda');
    expect(ticket.entries[0].full_text).toContain('+33 1 23 45 67 89');
  });

  it("makes at most maxWatchers watchers of a first mail's Cc, only of the reporter's organisation, never ours or a blocked contact", async () => {
    const p = await start();
    await acme(p.g);
    const db = p.g.database.db;
    await db.insertInto('project').values({ key: 'PAY', name: 'Payroll', default_type: 'assistance', created_at: new Date().toISOString() }).execute();
    const { id: pay } = await db.selectFrom('project').select('id').executeTakeFirstOrThrow();
    await db.insertInto('project_address').values({ address: 'payroll@help.example.test', project_id: pay }).execute();
    await db.insertInto('contact').values({ email: 'eve@acme.test', name: 'Eve', organisation_id: null, state: 'blocked', created_at: new Date().toISOString() }).execute();
    const colleagues = Array.from({ length: 12 }, (_, i) => `c${i + 1}@acme.test`);
    const cc = ['eve@acme.test', 'carol@stranger.test', 'support+loop@help.example.test', 'payroll+x@help.example.test', ...colleagues];
    await p.deliver(clientMail({ from: 'ada@acme.test', cc: cc.join(', '), subject: 'Flood', body: 'Everyone look.' }).raw);
    await p.sent(1);
    expect((await getTicket(p.g, 1)).watchers.sort()).toEqual(colleagues.slice(0, 10).sort());

    await staffReply(p.g, 'We are on it.');
    const told = await p.sent(11);
    expect(told.map((m) => m.envelope.to[0]).sort()).toEqual(['ada@acme.test', ...colleagues.slice(0, 10)].sort());
  });

  it('lets a stranger in Cc hear and write only once staff validated the address (watchers: any, unknown senders held)', async () => {
    const p = await start({ intake: { unknownSenders: 'hold', watchers: 'any' } });
    await acme(p.g);
    await p.deliver(clientMail({ from: 'ada@acme.test', cc: 'carol@stranger.test', subject: 'Shared problem', body: 'Carol sees it too.' }).raw);
    await p.sent(1);
    expect((await getTicket(p.g, 1)).watchers).toEqual(['carol@stranger.test']);
    await staffReply(p.g, 'First answer.');
    expect((await p.sent(1)).map((m) => m.envelope.to[0])).toEqual(['ada@acme.test']);
    await p.deliver(clientMail({ from: 'carol@stranger.test', subject: 'Re: [#1] Shared problem', body: 'Me too!' }).raw);
    expect((await p.processed(2))[1]).toMatchObject({ state: 'quarantined', outcome: 'sender carol@stranger.test may not write on ticket #1' });

    await validateContact(p.g.database.db, p.g.intake, 'carol@stranger.test');
    await staffReply(p.g, 'Second answer.');
    expect((await p.sent(2)).map((m) => m.envelope.to[0]).sort()).toEqual(['ada@acme.test', 'carol@stranger.test']);
    await p.deliver(clientMail({ from: 'carol@stranger.test', subject: 'Re: [#1] Shared problem', body: 'Thanks!' }).raw);
    expect((await p.processed(3))[2]).toMatchObject({ state: 'processed', outcome: 'comment' });
  });
});

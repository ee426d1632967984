// End to end on real peers: mail delivered to Dovecot → Guichet's poller → ticket and entries in
// the database (SQLite and PostgreSQL) → acknowledgement captured by a real SMTP server.
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { recordRaw } from '../../src/mail/inbound.ts';
import { storeRawBytes } from '../../src/mail/raw-store.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { buildGuichet, clientMail, deliveryReport, getTicket, SUPPORT } from '../support/guichet.ts';
import { waitUntil } from '../support/wait.ts';

const suite = await mailSuite('end-to-end intake');

suite('intake end to end on $name', (engine) => {
  const peers = mailPeers(engine);
  let guichet: Guichet | null = null;
  let mailbox = 0;
  let databaseUrl = '';

  afterEach(async () => {
    await guichet?.stop();
    guichet = null;
    peers.sink.clear();
  });

  /** Each test reads its own mailbox of the shared Dovecot and its own fresh database. */
  async function start(): Promise<{ g: Guichet; box: string }> {
    const box = `T${++mailbox}`;
    await peers.dovecot.append('Subject: bootstrap\r\n\r\nx\r\n', box).then(async () => {
      const c = await peers.dovecot.connect();
      await c.mailboxOpen(box);
      await c.messageDelete('1:*');
      await c.logout();
    });
    databaseUrl = await engine.freshUrl();
    // Bob, in Cc of the first test, is of no organisation: anyone in Cc may watch here.
    guichet = await buildGuichet({
      databaseUrl, imapUrl: peers.dovecot.url.replace(/INBOX$/, box), smtpUrl: peers.sink.url,
      overrides: { intake: { unknownSenders: 'accept', watchers: 'any' } },
    });
    await guichet.start({ listen: false });
    return { g: guichet, box };
  }

  const inbound = (g: Guichet) => g.database.db.selectFrom('inbound_message').selectAll().orderBy('id').execute();
  const processed = (g: Guichet, n: number) =>
    waitUntil(async () => {
      const rows = await inbound(g);
      return rows.filter((r) => r.state !== 'pending').length >= n && rows;
    }, `${n} processed messages`);

  // The poll schedule never fires in these tests (see buildGuichet): every message appended after
  // start reaches Guichet through IMAP IDLE.
  it('turns a new mail into a ticket and acknowledges it, threaded on the client message', async () => {
    const { g, box } = await start();
    const first = clientMail({ subject: 'The invoice page is blank', body: 'Since this morning the page is empty.\r\n\r\nAda', cc: 'Bob <bob@example.com>' });
    await peers.dovecot.append(first.raw, box);

    const [ack] = await peers.sink.waitFor(1);
    expect(ack!.envelope.to).toEqual(['ada@example.com']);
    expect(ack!.parsed.subject).toBe('[#1] The invoice page is blank');
    expect(ack!.parsed.inReplyTo).toBe(first.messageId);
    expect(ack!.parsed.references).toBe(first.messageId);
    expect(ack!.parsed.messageId).toMatch(/^<ticket-1\.ticket-received\.[0-9a-f-]+@help\.example\.test>$/);
    expect(ack!.header('auto-submitted')).toBe('auto-replied');
    expect(ack!.header('x-auto-response-suppress')).toBe('All');
    // Answered at the reporter's own reply address: a plus variant of the support address with a token.
    expect(ack!.parsed.replyTo?.value[0]?.address).toMatch(new RegExp(`^${SUPPORT.replace('@', '\\+t1-[a-z2-7]{20}@').replaceAll('.', '\\.')}$`));
    expect(ack!.parsed.text).toContain('#1');
    expect(ack!.parsed.html).toContain('The invoice page is blank');

    const ticket = await getTicket(g, 1);
    expect(ticket).toMatchObject({ number: 1, summary: 'The invoice page is blank', status: 'new', resolution: 'open', reporter: 'ada@example.com', watchers: ['bob@example.com'] });
    expect(ticket.entries).toHaveLength(1);
    expect(ticket.entries[0].text).toContain('Since this morning the page is empty.');

    await g.outbox.idle();
    const outbox = await g.database.db.selectFrom('outbox').selectAll().executeTakeFirstOrThrow();
    expect(outbox).toMatchObject({ state: 'sent', attempts: 1 });
    expect(outbox.server_response).toMatch(/^250/);
    // The IMAP message is marked, so a person looking at the mailbox sees it was handled.
    const c = await peers.dovecot.connect();
    await c.mailboxOpen(box);
    const msg = await c.fetchOne('*', { flags: true });
    await c.logout();
    expect(msg && [...msg.flags!]).toContain('\\Seen');
  });

  it('files replies on the ticket by subject tag or by In-Reply-To, and acknowledges only the new ticket', async () => {
    const { g, box } = await start();
    const first = clientMail({ subject: 'Cannot log in', body: 'The login form says error 500.' });
    await peers.dovecot.append(first.raw, box);
    const [ack] = await peers.sink.waitFor(1);

    await peers.dovecot.append(clientMail({
      subject: 'RE: TR: [#1] Cannot log in',
      body: 'Still failing on Firefox 130.\r\n\r\nOn Mon, 3 Nov 2026 at 10:00, Example Support <support@help.example.test> wrote:\r\n> We received your request',
    }).raw, box);
    await peers.dovecot.append(clientMail({
      subject: 'Re: Cannot log in',
      body: 'And on Chrome too.\r\n\r\nLe lun. 3 nov. 2026 à 10:00, Support a écrit :\r\n> quoted',
      inReplyTo: ack!.parsed.messageId!,
      references: `${first.messageId} ${ack!.parsed.messageId}`,
    }).raw, box);
    await processed(g, 3);

    const ticket = await getTicket(g, 1);
    expect(ticket.entries.map((e: any) => e.text)).toEqual([
      'The login form says error 500.',
      'Still failing on Firefox 130.',
      'And on Chrome too.',
    ]);
    expect(ticket.entries[1].full_text).toContain('> We received your request');
    expect(ticket.awaiting).toBe('staff');
    const rows = await inbound(g);
    expect(rows.map((r) => [r.state, r.outcome])).toEqual([
      ['processed', 'ticket'],
      ['processed', 'comment'],
      ['processed', 'comment'],
    ]);
    await g.outbox.idle();
    expect(peers.sink.messages).toHaveLength(1);
  });

  it('opens a new ticket when the tag names one that does not exist, and says so', async () => {
    const { g, box } = await start();
    await peers.dovecot.append(clientMail({ subject: 'Re: [#4242] Old thread', body: 'Hello again' }).raw, box);
    const [ack] = await peers.sink.waitFor(1);
    expect(ack!.parsed.subject).toBe('[#1] Old thread');
    expect(ack!.parsed.text).toContain('4242');
    expect((await getTicket(g, 1)).summary).toBe('Old thread');
  });

  it('keeps a stranger off a ticket: quarantined with the reason, never on the thread', async () => {
    const { g, box } = await start();
    await peers.dovecot.append(clientMail({ subject: 'Broken export', body: 'CSV export is empty' }).raw, box);
    await peers.sink.waitFor(1);
    await peers.dovecot.append(clientMail({ from: 'mallory@evil.test', subject: 'Re: [#1] Broken export', body: 'Close this please' }).raw, box);
    const rows = await processed(g, 2);
    expect(rows[1]).toMatchObject({ state: 'quarantined', outcome: 'sender mallory@evil.test may not write on ticket #1' });
    expect((await getTicket(g, 1)).entries).toHaveLength(1);
  });

  it('records a message it cannot parse and still processes the next one', async () => {
    const { g, box } = await start();
    // A header block past the MIME parser's 1 MiB bound: the parse throws.
    const bomb = `From: ada@example.com\r\nSubject: bomb\r\nX-Padding: ${'a'.repeat(1_100_000)}\r\n\r\nbody\r\n`;
    await peers.dovecot.append(bomb, box);
    await peers.dovecot.append(clientMail({ subject: 'After the bomb', body: 'fine' }).raw, box);
    const rows = await processed(g, 2);
    expect(rows[0]).toMatchObject({ state: 'failed' });
    expect(rows[0]!.outcome).toMatch(/^parse failed: .*header size/i);
    expect(rows[0]!.size).toBeGreaterThan(1_100_000);
    expect(rows[1]).toMatchObject({ state: 'processed', outcome: 'ticket' });
    expect((await getTicket(g, 1)).summary).toBe('After the bomb');
  });

  it('quarantines a message over the size limit and still processes the next one', async () => {
    const { g, box } = await start();
    // Over the size limit: recorded as quarantined with the reason, raw bytes kept.
    await g.stop();
    guichet = await buildGuichet({ databaseUrl, imapUrl: peers.dovecot.url.replace(/INBOX$/, box), smtpUrl: peers.sink.url, overrides: { limits: { maxMessageBytes: 2048 } } });
    await guichet.start({ listen: false });
    await peers.dovecot.append(clientMail({ subject: 'Huge', body: 'x'.repeat(5000) }).raw, box);
    await peers.dovecot.append(clientMail({ subject: 'Small one', body: 'fine' }).raw, box);
    const rows = await processed(guichet, 2);
    expect(rows[0]!.state).toBe('quarantined');
    expect(rows[0]!.outcome).toMatch(/exceeds limits\.maxMessageBytes/);
    expect(rows[1]).toMatchObject({ state: 'processed', outcome: 'ticket' });
    expect((await getTicket(guichet, 1)).summary).toBe('Small one');
  });

  it('does not duplicate anything after a restart, even when the mailbox is read again from the start', async () => {
    const { g, box } = await start();
    await peers.dovecot.append(clientMail({ subject: 'Once only', body: 'one' }).raw, box);
    await peers.sink.waitFor(1);
    await g.outbox.idle();
    await g.stop();

    // Same database, and the mailbox cursor forgotten: the poller fetches the message again.
    // Bob, in Cc of the first test, is of no organisation: anyone in Cc may watch here.
    guichet = await buildGuichet({
      databaseUrl, imapUrl: peers.dovecot.url.replace(/INBOX$/, box), smtpUrl: peers.sink.url,
      overrides: { intake: { unknownSenders: 'accept', watchers: 'any' } },
    });
    await guichet.database.db.deleteFrom('mailbox_cursor').execute();
    await guichet.start({ listen: false });
    await guichet.poller!.pollNow();
    await peers.dovecot.append(clientMail({ subject: 'Second', body: 'two' }).raw, box);
    await processed(guichet, 2);
    await peers.sink.waitFor(2);
    await guichet.outbox.idle();

    const tickets = await guichet.database.db.selectFrom('ticket').select(['number', 'summary']).orderBy('number').execute();
    expect(tickets).toEqual([{ number: 1, summary: 'Once only' }, { number: 2, summary: 'Second' }]);
    expect(peers.sink.messages.map((m) => m.parsed.subject)).toEqual(['[#1] Once only', '[#2] Second']);
  });

  it('replays a message stored before a crash exactly once', async () => {
    const { g, box } = await start();
    await g.stop();
    guichet = null;
    // The crash: raw bytes stored and the row written, then the process died before applying.
    const mail = clientMail({ subject: 'Crash course', body: 'boom' });
    const again = await buildGuichet({ databaseUrl, imapUrl: peers.dovecot.url.replace(/INBOX$/, box), smtpUrl: peers.sink.url });
    const { uid, uidValidity } = await peers.dovecot.append(mail.raw, box);
    const bytes = await storeRawBytes(path.join(again.config.dataDir, 'raw'), Buffer.from(mail.raw));
    await recordRaw(again.database.db, bytes, { mailbox: box, uidValidity, uid }, new Date());
    guichet = again;
    await guichet.start({ listen: false });
    await processed(guichet, 1);
    await peers.sink.waitFor(1);
    await guichet.outbox.idle();
    expect(await guichet.database.db.selectFrom('ticket').select('number').execute()).toEqual([{ number: 1 }]);
    expect(peers.sink.messages).toHaveLength(1);
  });

  it('never answers automated mail: an auto-reply to the acknowledgement is logged on the ticket, nothing is sent', async () => {
    const { g, box } = await start();
    await peers.dovecot.append(clientMail({ subject: 'Hello', body: 'Please help', headers: { 'Content-Language': 'fr-FR' } }).raw, box);
    const [ack] = await peers.sink.waitFor(1);
    expect(ack!.parsed.text).toContain('Répondez au-dessus de cette ligne');
    expect(ack!.parsed.text).toMatch(/Bonjour/);
    await peers.dovecot.append(clientMail({
      subject: `Réponse automatique : ${ack!.parsed.subject}`,
      body: 'Je suis absente jusqu’au 30 novembre.',
      inReplyTo: ack!.parsed.messageId!,
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Autoreply': 'yes' },
    }).raw, box);
    await peers.dovecot.append(deliveryReport(ack!.parsed.messageId!), box);
    const rows = await processed(g, 3);
    expect(rows[1]).toMatchObject({ state: 'ignored' });
    expect(rows[1]!.outcome).toMatch(/^auto-reply/);
    expect(rows[2]).toMatchObject({ state: 'ignored' });
    expect(rows[2]!.outcome).toMatch(/^bounce/);
    const events = await g.database.db.selectFrom('event').select(['kind']).where('kind', '=', 'auto_reply').execute();
    expect(events).toHaveLength(1);
    expect((await getTicket(g, 1)).entries).toHaveLength(1);
    await g.outbox.idle();
    expect(peers.sink.messages).toHaveLength(1);
    expect(await g.database.db.selectFrom('ticket').select('number').execute()).toEqual([{ number: 1 }]);
  });
});

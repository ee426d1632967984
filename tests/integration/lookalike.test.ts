// Nothing human dropped (issue 9, item 5), through the real pipeline (Dovecot in, smtp-server out)
// on both engines: a person whose subject starts like an out-of-office ("Absence: …", "Congés : …")
// gets a ticket and an acknowledgement; a real auto-reply with the same subject gets nothing.
import { afterEach, expect, it } from 'vitest';
import { clientMail, getTicket } from '../support/guichet.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';

const suite = await mailSuite('look-alike subjects');

const SUBJECTS = [
  'Absence: the import fails since Monday',
  "Congés : le calendrier ne s'affiche plus",
  'Abwesenheit: Import schlägt seit Montag fehl',
  'Out of office: the VPN drops every hour',
];

suite('look-alike subjects on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Pipeline | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
    peers.sink.clear();
  });

  it('answers a person whatever their subject starts with, and never a responder using the same subject', async () => {
    p = await startPipeline(engine, peers.dovecot, peers.sink);
    // People, with what their mail programs add (Outlook's X-Auto-Response-Suppress is no evidence).
    for (const [i, subject] of SUBJECTS.entries()) {
      const headers: Record<string, string> = i === 0 ? { 'X-Auto-Response-Suppress': 'All' } : {};
      await p.deliver(clientMail({ from: `Client ${i} <client${i}@example.com>`, subject, body: `It is broken (${i}).`, headers }).raw);
    }
    const acks = await p.sent(SUBJECTS.length);
    expect(acks.map((m) => [m.envelope.to, m.parsed.subject]).sort()).toEqual(
      SUBJECTS.map((subject, i) => [[`client${i}@example.com`], `[#${i + 1}] ${subject}`]).sort(),
    );
    let rows = await p.processed(SUBJECTS.length);
    expect(rows.map((r) => [r.state, r.outcome])).toEqual(SUBJECTS.map(() => ['processed', 'ticket']));
    for (const [i, subject] of SUBJECTS.entries()) {
      expect(await getTicket(p.g, i + 1)).toMatchObject({ summary: subject, status: 'new', reporter: `client${i}@example.com` });
    }

    // Responders writing the same subjects, each with a header that says so.
    for (const [i, subject] of SUBJECTS.entries()) {
      await p.deliver(clientMail({
        from: `Away ${i} <away${i}@example.com>`,
        subject,
        body: 'I am out of the office until Monday.',
        headers: { 'Auto-Submitted': 'auto-replied' },
      }).raw);
    }
    rows = await p.processed(2 * SUBJECTS.length);
    expect(rows.slice(SUBJECTS.length).map((r) => [r.state, r.outcome])).toEqual(
      SUBJECTS.map(() => ['ignored', 'auto-reply: auto-submitted: auto-replied']),
    );
    await p.g.outbox.idle();
    expect(peers.sink.messages).toHaveLength(SUBJECTS.length);
    expect(await p.g.database.db.selectFrom('ticket').select('number').orderBy('number').execute()).toEqual(
      SUBJECTS.map((_, i) => ({ number: i + 1 })),
    );
  });
});

// Accounts before tickets (seed 000/002), through the real pipeline: unknown senders are held and
// told once, validation turns held mail into tickets in arrival order, refusal tells once, blocked
// addresses are held silently, organisation domains make members.
import { afterEach, expect, it } from 'vitest';
import { refuseContact, validateContact, blockContact } from '../../src/accounts/contacts.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { clientMail } from '../support/guichet.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';

const suite = await mailSuite('accounts');

suite('accounts on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Pipeline | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
  });

  const hold = { intake: { unknownSenders: 'hold' } };

  it('holds mail from an unknown sender, tells them once, and files it in order once validated', async () => {
    p = await startPipeline(engine, peers.dovecot, peers.sink, hold);
    await p.deliver(clientMail({ from: 'Zoé <zoe@newclient.test>', subject: 'Première demande', body: 'Bonjour' }).raw);
    await p.deliver(clientMail({ from: 'zoe@newclient.test', subject: 'Second request', body: 'Again' }).raw);
    const rows = await p.processed(2);
    expect(rows.map((r) => [r.state, r.outcome])).toEqual([
      ['held', 'awaiting account validation'],
      ['held', 'awaiting account validation'],
    ]);
    const [pending] = await p.sent(1);
    expect(pending!.envelope.to).toEqual(['zoe@newclient.test']);
    expect(pending!.header('auto-submitted')).toBe('auto-replied');
    expect(pending!.parsed.text).toMatch(/validat/i);
    expect(await p.g.database.db.selectFrom('ticket').select('id').execute()).toEqual([]);

    const released = await validateContact(p.g.database.db, p.g.intake, 'ZOE@newclient.test');
    expect(released.map((r) => [r.state, r.ticketNumber])).toEqual([['processed', 1], ['processed', 2]]);
    const acks = await p.sent(2);
    expect(acks.map((m) => m.parsed.subject).sort()).toEqual(['[#1] Première demande', '[#2] Second request']);
    expect(peers.sink.messages.filter((m) => m.envelope.to.includes('zoe@newclient.test'))).toHaveLength(3);
  });

  it('refuses a pending contact once, and holds a blocked one silently', async () => {
    p = await startPipeline(engine, peers.dovecot, peers.sink, hold);
    await p.deliver(clientMail({ from: 'spam@nowhere.test', subject: 'Buy now', body: 'x' }).raw);
    await p.processed(1);
    await p.sent(1); // account pending
    await refuseContact(p.g.database.db, p.g.notifier, 'spam@nowhere.test', new Date());
    p.g.outbox.kick();
    const [refused] = await p.sent(1);
    expect(refused!.envelope.to).toEqual(['spam@nowhere.test']);
    expect(refused!.parsed.text).toMatch(/not|refus/i);

    await p.deliver(clientMail({ from: 'spam@nowhere.test', subject: 'Buy now again', body: 'x' }).raw);
    await p.deliver(clientMail({ from: 'ok@client.test', subject: 'Real one', body: 'y' }).raw);
    const rows = await p.processed(3);
    expect(rows[1]).toMatchObject({ state: 'held', outcome: 'contact refused' });
    expect(rows[2]).toMatchObject({ state: 'held', outcome: 'awaiting account validation' });
    await blockContact(p.g.database.db, 'ok@client.test');
    await p.deliver(clientMail({ from: 'ok@client.test', subject: 'Blocked now', body: 'z' }).raw);
    const after = await p.processed(4);
    expect(after[3]).toMatchObject({ state: 'held', outcome: 'contact blocked' });
    const mails = await p.sent(1); // only ok@client.test's first "pending" notice
    expect(mails.map((m) => m.envelope.to[0])).toEqual(['ok@client.test']);
    await p.g.outbox.idle();
    expect(peers.sink.messages.filter((m) => m.envelope.to.includes('spam@nowhere.test'))).toHaveLength(2);
  });

  it('makes members of an organisation from its mail domain, pending where it validates members', async () => {
    p = await startPipeline(engine, peers.dovecot, peers.sink, hold);
    const db = p.g.database.db;
    const at = new Date().toISOString();
    const open = await db.insertInto('organisation').values({ name: 'Open Corp', requires_validation: 0, created_at: at }).returning('id').executeTakeFirstOrThrow();
    const strict = await db.insertInto('organisation').values({ name: 'Strict SA', requires_validation: 1, created_at: at }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('organisation_domain').values([{ domain: 'open.test', organisation_id: open.id }, { domain: 'strict.test', organisation_id: strict.id }]).execute();

    await p.deliver(clientMail({ from: 'amy@open.test', subject: 'Member request', body: 'hello' }).raw);
    await p.deliver(clientMail({ from: 'sam@strict.test', subject: 'Strict request', body: 'hello' }).raw);
    const rows = await p.processed(2);
    expect(rows.map((r) => r.state)).toEqual(['processed', 'held']);
    const contacts = await db.selectFrom('contact').select(['email', 'state', 'organisation_id']).orderBy('email').execute();
    expect(contacts).toEqual([
      { email: 'amy@open.test', state: 'active', organisation_id: open.id },
      { email: 'sam@strict.test', state: 'pending', organisation_id: strict.id },
    ]);
    // Sent over a pool of connections: the order of arrival is not the order of queueing.
    const mails = (await p.sent(2)).sort((a, b) => a.envelope.to[0]!.localeCompare(b.envelope.to[0]!));
    expect(mails.map((m) => [m.envelope.to[0], m.parsed.subject?.startsWith('[#1]')])).toEqual([
      ['amy@open.test', true],
      ['sam@strict.test', false],
    ]);
  });
});

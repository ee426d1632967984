// Who a mail is from, through the real pipeline (Dovecot in, smtp-server out) on both engines: a
// forged staff From, a forged reporter under each authentication.clients mode, DMARC pass and fail
// stamped by a trusted server (and a forged stamp below an untrusted hop), DKIM verified here
// against the test's own DNS records, and reply tokens (valid, forged, another sender's).
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { afterEach, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { DnsResolver } from '../../src/mail/dkim.ts';
import { API_TOKEN, clientMail, getTicket, SUPPORT } from '../support/guichet.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';

const suite = await mailSuite('authentication');
const TRUSTED = 'mx.help.example.test';
const pass = `${TRUSTED}; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com; dmarc=pass (p=reject) header.from=example.com`;
const fail = `${TRUSTED}; spf=fail smtp.mailfrom=example.com; dkim=none; dmarc=fail (p=reject) header.from=example.com`;

// One RSA key published at s1._domainkey.example.com in the test's DNS.
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const resolver: DnsResolver = async (name, rrtype) => {
  if (rrtype === 'TXT' && name === 's1._domainkey.example.com') return [[`v=DKIM1; k=rsa; p=${publicKey}`]];
  throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
};
async function signed(raw: string, domain = 'example.com'): Promise<string> {
  // mailauth reads `signatureData` (its own README's form); its type declarations still describe older top-level options.
  const options = { signatureData: [{ signingDomain: domain, selector: 's1', privateKey: keys.privateKey.export({ type: 'pkcs1', format: 'pem' }) }] };
  const { signatures } = await dkimSign(raw, options as unknown as Parameters<typeof dkimSign>[1]);
  return signatures + raw;
}

suite('authentication on $name', (engine) => {
  const peers = mailPeers(engine);
  let p: Pipeline | null = null;
  afterEach(async () => {
    await p?.stop();
    p = null;
    peers.sink.clear();
  });
  const start = async (overrides: Record<string, unknown> = {}, dns?: DnsResolver) =>
    (p = await startPipeline(engine, peers.dovecot, peers.sink, overrides, dns));
  const api = (g: Pipeline['g'], method: string, path: string, body: unknown) =>
    g.http.request(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const replyToOf = (m: { parsed: { replyTo?: { value: Array<{ address?: string }> } } }) => m.parsed.replyTo!.value[0]!.address!;

  it('quarantines a forged staff From; staff answer by mail with commands, the client sees only the text; a refused command changes nothing and is answered', async () => {
    const p = await start();
    const db = p.g.database.db;
    await addStaff(db, { email: 'paul@help.example.test', name: 'Paul Durand' }, new Date());
    await p.deliver(clientMail({ subject: 'Printer on fire', body: 'It burns.' }).raw);
    const opened = await p.sent(2);
    const alert = opened.find((m) => m.envelope.to.includes('paul@help.example.test'))!;
    const staffAddress = replyToOf(alert);
    expect(staffAddress).toMatch(/^support\+s1-[a-z2-7]{20}@help\.example\.test$/);

    // Anyone can write Paul's address in From.
    await p.deliver(clientMail({ from: 'Paul Durand <paul@help.example.test>', subject: 'Re: [#1] Printer on fire', body: 'Status: closed\n\nDone.' }).raw);
    expect((await p.processed(2))[1]).toMatchObject({ state: 'quarantined', outcome: 'unauthenticated mail from a staff address' });
    expect((await getTicket(p.g, 1)).status).toBe('new');

    // Paul answers the alert from his mail program: its reply address carries his token.
    const answer = 'Status: resolved\nResolution: fixed\n\nFixed in 2.4, please confirm.\n\nOn Monday Ada wrote:\n> It burns.';
    await p.deliver(clientMail({ from: 'Paul Durand <paul@help.example.test>', to: staffAddress, subject: `Re: ${alert.parsed.subject}`, body: answer }).raw);
    const toClient = await p.sent(2);
    expect(toClient.every((m) => m.envelope.to.join() === 'ada@example.com')).toBe(true);
    const reply = toClient.find((m) => m.parsed.text!.includes('Fixed in 2.4, please confirm.'))!;
    expect(reply).toBeDefined();
    for (const m of toClient) {
      expect(m.raw).not.toContain('paul@help.example.test');
      expect(m.parsed.text).not.toContain('Resolution: fixed');
    }
    const resolved = await getTicket(p.g, 1);
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'fixed' });
    expect(resolved.entries.at(-1)).toMatchObject({ kind: 'reply', text: 'Fixed in 2.4, please confirm.' });

    // `#note`: internal, nothing mailed.
    await p.deliver(clientMail({ from: 'paul@help.example.test', to: staffAddress, subject: 'Re: [#1] Printer on fire', body: '#note\nThe toner was the cause.' }).raw);
    await p.processed(4);
    await p.g.outbox.idle();
    expect(peers.sink.messages).toHaveLength(4);
    const note = await db.selectFrom('entry').select(['kind', 'text', 'author_staff_id']).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(note).toMatchObject({ kind: 'note', text: 'The toner was the cause.' });

    // A command the workflow refuses takes the whole mail back, and Paul is told why.
    await p.deliver(clientMail({ from: 'paul@help.example.test', to: staffAddress, subject: 'Re: [#1] Printer on fire', body: 'Duplicate: #99\n\nSee the other ticket.' }).raw);
    const [refused] = await p.sent(1);
    expect(refused!.envelope.to).toEqual(['paul@help.example.test']);
    expect(refused!.parsed.subject).toMatch(/^\[#1\] Your mail was not applied/);
    expect(refused!.parsed.text).toMatch(/#99/);
    // … and so does one it cannot read.
    await p.deliver(clientMail({ from: 'paul@help.example.test', to: staffAddress, subject: 'Re: [#1] Printer on fire', body: 'Status: solved\n\nDone.' }).raw);
    const [unread] = await p.sent(1);
    expect(unread!.parsed.text).toContain('no status "solved"');
    const after = await getTicket(p.g, 1);
    expect(after.entries).toHaveLength(resolved.entries.length);
    expect(after).toMatchObject({ status: 'resolved', duplicate_of: null });
  });

  it('binds a reply to the ticket and the sender its token was made for', async () => {
    const p = await start({ authentication: { clients: 'strict', trustedAuthservIds: [TRUSTED] } });
    const stamped = { 'Authentication-Results': pass };
    await p.deliver(clientMail({ subject: 'First', body: 'One', headers: stamped }).raw);
    await p.deliver(clientMail({ subject: 'Second', body: 'Two', headers: stamped }).raw);
    const acks = await p.sent(2);
    const first = replyToOf(acks.find((m) => m.parsed.subject === '[#1] First')!);
    expect(first).toMatch(/^support\+t1-[a-z2-7]{20}@help\.example\.test$/);

    // No tag, no In-Reply-To, no DMARC verdict: the token alone files it, and authenticates it.
    await p.deliver(clientMail({ to: first, subject: 'any news', body: 'Still burning.' }).raw);
    // A token for #1 keeps the reply on #1 whatever the subject says.
    await p.deliver(clientMail({ to: first, subject: 'Re: [#2] Second', body: 'About the first one.' }).raw);
    // Another sender holding Ada's reply address proves nothing: quarantined (strict).
    await p.deliver(clientMail({ from: 'eve@example.com', to: first, subject: 'Re: [#1] First', body: 'Close it.' }).raw);
    // A made-up token proves nothing either.
    await p.deliver(clientMail({ to: SUPPORT.replace('@', '+t1-aaaaaaaaaaaaaaaaaaaa@'), subject: 'Re: [#1] First', body: 'Forged.' }).raw);
    const rows = await p.processed(6);
    expect(rows.slice(2).map((r) => [r.state, r.outcome])).toEqual([
      ['processed', 'comment'],
      ['processed', 'comment'],
      ['quarantined', 'unauthenticated mail from eve@example.com (no reply token, no DMARC or DKIM pass)'],
      ['quarantined', 'unauthenticated mail from ada@example.com (no reply token, no DMARC or DKIM pass)'],
    ]);
    expect((await getTicket(p.g, 1)).entries.map((e: { text: string }) => e.text)).toEqual(['One', 'Still burning.', 'About the first one.']);
    expect((await getTicket(p.g, 2)).entries).toHaveLength(1);
  });

  it('acts on a forged reporter only as the mode allows: participant acts, authenticated flags, strict quarantines', async () => {
    const outcomes: Record<string, unknown> = {};
    for (const clients of ['participant', 'authenticated', 'strict'] as const) {
      // The ticket is opened with a trusted DMARC pass, so each mode starts from the same place.
      const p = await start({ authentication: { clients, trustedAuthservIds: [TRUSTED] } });
      await p.deliver(clientMail({ subject: 'Invoice wrong', body: 'Total is off.', headers: { 'Authentication-Results': pass } }).raw);
      await p.sent(1);
      expect((await api(p.g, 'PATCH', '/tickets/1', { status: 'feedback', message: 'Which invoice?' })).status).toBe(200);
      await p.sent(1);
      // A forger writes as Ada: no token, no verdict.
      await p.deliver(clientMail({ subject: 'Re: [#1] Invoice wrong', body: 'Never mind, close it.' }).raw);
      const [row] = (await p.processed(2)).slice(1);
      const ticket = await getTicket(p.g, 1);
      outcomes[clients] = { state: row!.state, status: ticket.status, entries: ticket.entries.length, flag: ticket.entries.at(-1).unverified };
      await p.stop();
      peers.sink.clear();
    }
    p = null;
    expect(outcomes).toEqual({
      participant: { state: 'processed', status: 'new', entries: 2, flag: null },
      authenticated: {
        state: 'processed', status: 'feedback', entries: 2,
        flag: 'no reply token, DMARC or DKIM pass: filed as a comment, the workflow did not act on it',
      },
      strict: { state: 'quarantined', status: 'feedback', entries: 1, flag: null },
    });
  });

  it('believes DMARC stamped by the trusted server, quarantines a DMARC fail on a known contact, and ignores a stamp below an untrusted hop', async () => {
    const p = await start({ authentication: { clients: 'strict', trustedAuthservIds: [TRUSTED] } });
    await p.deliver(clientMail({ subject: 'Login loop', body: 'Cannot log in.', headers: { 'Authentication-Results': pass } }).raw);
    await p.sent(1);
    await p.deliver(clientMail({ subject: 'Re: [#1] Login loop', body: 'Close it.', headers: { 'Authentication-Results': fail } }).raw);
    await p.deliver(clientMail({
      subject: 'Re: [#1] Login loop', body: 'Close it.',
      headers: { Received: 'from laptop.evil.test by smtp.evil.test; Mon, 2 Mar 2026 09:59:00 +0000', 'Authentication-Results': pass },
    }).raw);
    await p.deliver(clientMail({ subject: 'Re: [#1] Login loop', body: 'Works now.', headers: { 'Authentication-Results': pass } }).raw);
    const rows = await p.processed(4);
    expect(rows.slice(1).map((r) => [r.state, r.outcome])).toEqual([
      ['quarantined', `dmarc=fail for example.com (${TRUSTED}): mail claiming to come from a known contact`],
      ['quarantined', 'unauthenticated mail from ada@example.com (no reply token, no DMARC or DKIM pass)'],
      ['processed', 'comment'],
    ]);
    expect((await getTicket(p.g, 1)).entries.map((e: { text: string }) => e.text)).toEqual(['Cannot log in.', 'Works now.']);
  });

  it('verifies DKIM itself where configured: an aligned signature authenticates, a tampered or foreign one does not', async () => {
    const p = await start({ authentication: { clients: 'strict', verifyDkim: true } }, resolver);
    await p.deliver(await signed(clientMail({ subject: 'Signed request', body: 'Hello.' }).raw));
    await p.sent(1);
    const tampered = (await signed(clientMail({ subject: 'Re: [#1] Signed request', body: 'Original words.' }).raw)).replace('Original words.', 'Changed words.');
    await p.deliver(tampered);
    await p.deliver(await signed(clientMail({ subject: 'Re: [#1] Signed request', body: 'Signed by a mailer.' }).raw, 'mailer.example.net'));
    await p.deliver(await signed(clientMail({ subject: 'Re: [#1] Signed request', body: 'Signed again.' }).raw));
    const rows = await p.processed(4);
    expect(rows.map((r) => r.state)).toEqual(['processed', 'quarantined', 'quarantined', 'processed']);
    expect((await getTicket(p.g, 1)).entries.map((e: { text: string }) => e.text)).toEqual(['Hello.', 'Signed again.']);
  });
});

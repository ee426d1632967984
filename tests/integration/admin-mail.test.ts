// The admin's People and Mail pages through Hono's app.request (no port), on both engines: a pending
// contact validated from the page (their held mail becomes a ticket), refused and blocked; the
// quarantine listing what mail wrote as text, a quarantined message processed again, a message held
// past its sender's bound let through, a rejection; the raw download and the outbox preview served
// with their own headers; every form refused without the session's token.
import { afterAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { mailFrameHeaders } from '../../src/http/admin/guard.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();
const PIPE = { mailbox: 'pipe', uidValidity: null, uid: null };

describe.each(engines)('admin People and Mail pages on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), overrides: { intake: { unknownSenders: 'hold', maxNewTicketsPerDay: 1 } } });
    const password = await addStaff(g.database.db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: false }, new Date());
    const b = browser(g);
    const login = await b.request('/admin/login');
    const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email: 'paul@help.example.test', password } });
    expect(res.res.status).toBe(303);
    const csrf = hidden((await b.request('/admin/accounts')).text, '_csrf');
    expect(csrf).not.toBe('');
    return { g, b, csrf, db: g.database.db };
  }

  const deliver = (g: Guichet, mail: Parameters<typeof clientMail>[0]) => g.intake.handle(Buffer.from(clientMail(mail).raw), PIPE);

  it('validates a pending contact from the queue: the held mail becomes a ticket; refuses and blocks others (agents may)', async () => {
    const { g, b, csrf, db } = await setup();
    try {
      await deliver(g, { from: 'Zoé <zoe@newclient.test>', subject: 'Invoice <script>alert(1)</script> missing', body: 'Hello,\nthe <b>March</b> invoice is missing.' });
      await deliver(g, { from: 'spam@nowhere.test', subject: 'Buy now', body: 'Cheap' });
      await deliver(g, { from: 'pest@nowhere.test', subject: 'Again', body: 'Again' });

      const queue = await b.request('/admin/accounts');
      expect(queue.res.status).toBe(200);
      expect(queue.text).toContain('zoe@newclient.test');
      expect(queue.text).toContain('Invoice &lt;script&gt;alert(1)&lt;/script&gt; missing');
      expect(queue.text).toContain('the &lt;b&gt;March&lt;/b&gt; invoice is missing.');
      expect(queue.text).not.toContain('<script>');
      // The nav counts the queue.
      expect(queue.text).toMatch(/href="\/admin\/accounts" aria-current="page"><span>Pending accounts<\/span><span class="count">3<\/span>/);

      // Another site's form (no token) changes nothing.
      const forged = await b.request('/admin/accounts/validate', { form: { email: 'zoe@newclient.test' } });
      expect(forged.res.status).toBe(403);
      expect((await db.selectFrom('contact').select('state').where('email', '=', 'zoe@newclient.test').executeTakeFirstOrThrow()).state).toBe('pending');
      expect(await db.selectFrom('ticket').select('id').execute()).toHaveLength(0);

      const validated = await b.request('/admin/accounts/validate', { form: { _csrf: csrf, email: 'Zoe@NewClient.test' } });
      expect(validated.res.status).toBe(303);
      const ticket = await db.selectFrom('ticket').innerJoin('contact', 'contact.id', 'ticket.reporter_id').select(['ticket.number', 'ticket.summary', 'contact.email']).executeTakeFirstOrThrow();
      expect(ticket).toMatchObject({ number: 1, summary: 'Invoice <script>alert(1)</script> missing', email: 'zoe@newclient.test' });
      const after = await b.request(validated.res.headers.get('location')!);
      expect(after.text).toContain('zoe@newclient.test validated: 1 held message(s) processed.');
      // A crafted link cannot make the page claim a decision that was not taken.
      expect((await b.request('/admin/accounts?done=validate&email=spam%40nowhere.test&n=9')).text).not.toContain('validated:');

      const refused = await b.request('/admin/accounts/refuse', { form: { _csrf: csrf, email: 'spam@nowhere.test', message: 'We only serve our clients.' } });
      expect(refused.res.status).toBe(303);
      const told = await db.selectFrom('outbox').select(['recipient', 'text']).where('recipient', '=', 'spam@nowhere.test').execute();
      expect(told.some((m) => m.text.includes('We only serve our clients.'))).toBe(true);
      // Refusing twice is refused with the reason, and changes nothing.
      const again = await b.request('/admin/accounts/refuse', { form: { _csrf: csrf, email: 'spam@nowhere.test' } });
      expect(again.res.status).toBe(409);
      expect(again.text).toContain('spam@nowhere.test is refused, not pending');

      expect((await b.request('/admin/accounts/block', { form: { _csrf: csrf, email: 'pest@nowhere.test', back: 'contacts' } })).res.headers.get('location')).toMatch(/^\/admin\/accounts\/contacts\?/);
      const states = await db.selectFrom('contact').select(['email', 'state']).orderBy('email').execute();
      expect(states).toEqual([
        { email: 'pest@nowhere.test', state: 'blocked' },
        { email: 'spam@nowhere.test', state: 'refused' },
        { email: 'zoe@newclient.test', state: 'active' },
      ]);

      const contacts = await b.request('/admin/accounts/contacts?state=refused');
      expect(contacts.text).toContain('spam@nowhere.test');
      expect(contacts.text).not.toContain('zoe@newclient.test');
      // A refused contact can still be validated from the list.
      expect(contacts.text).toContain('action="/admin/accounts/validate"');
      expect((await b.request('/admin/accounts/organisations')).res.status).toBe(200);
      // An invalid form is refused by its schema.
      expect((await b.request('/admin/accounts/block', { form: { _csrf: csrf, email: 'not an address' } })).res.status).toBe(422);
    } finally {
      await g.stop();
    }
  });

  it('shows quarantined mail as text, processes it again, lets a held message through, rejects, and serves the raw bytes as a download', async () => {
    const { g, b, csrf, db } = await setup();
    try {
      await deliver(g, { from: 'Zoé <zoe@newclient.test>', subject: 'First', body: 'Hello' });
      await b.request('/admin/accounts/validate', { form: { _csrf: csrf, email: 'zoe@newclient.test' } });
      // A stranger writes on ticket #1: quarantined.
      const stranger = await deliver(g, {
        from: '"<script>alert(2)</script>" <mallory@elsewhere.test>',
        subject: 'Re: [#1] First <img src=x onerror=alert(3)>',
        body: 'Let me in <script>alert(4)</script>',
      });
      expect(stranger.state).toBe('quarantined');
      const other = await deliver(g, { from: 'eve@elsewhere.test', subject: 'Re: [#1] First', body: 'Me too' });
      expect(other.state).toBe('quarantined');
      // Zoé's second new ticket today is past her bound of one: held for staff.
      const flood = await deliver(g, { from: 'zoe@newclient.test', subject: 'Second', body: 'Another one' });
      expect(flood.state).toBe('held');

      const list = await b.request('/admin/quarantine');
      expect(list.res.status).toBe(200);
      expect(list.text).toContain('Re: [#1] First &lt;img src=x onerror=alert(3)&gt;');
      expect(list.text).toContain('sender mallory@elsewhere.test may not write on ticket #1');
      // The admin's own script tag is the only one: nothing mail wrote becomes markup.
      expect(list.text).not.toMatch(/<script>|<img src=x/);
      expect(list.text).toMatch(/<span>Quarantine<\/span><span class="count">2<\/span>/);

      const view = await b.request(`/admin/quarantine/${stranger.inboundId}`);
      expect(view.res.status).toBe(200);
      expect(view.text).toContain('&lt;script&gt;alert(2)&lt;/script&gt; &lt;mallory@elsewhere.test&gt;');
      expect(view.text).toContain('Let me in &lt;script&gt;alert(4)&lt;/script&gt;');
      expect(view.text).not.toMatch(/<script>|<img src=x/);
      expect(view.text).toContain('Decision log');

      const raw = await b.request(`/admin/quarantine/${stranger.inboundId}/raw`);
      expect(raw.res.status).toBe(200);
      expect(raw.res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(raw.res.headers.get('content-disposition')).toBe(`attachment; filename="message-${stranger.inboundId}.eml"`);
      expect(raw.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(raw.text).toContain('From: "<script>alert(2)</script>" <mallory@elsewhere.test>');

      // Without the token: nothing released, nothing rejected.
      expect((await b.request(`/admin/quarantine/${stranger.inboundId}/release`, { form: {} })).res.status).toBe(403);
      expect((await b.request(`/admin/quarantine/${other.inboundId}/reject`, { form: { _csrf: 'forged' } })).res.status).toBe(403);
      expect((await db.selectFrom('inbound_message').select('state').where('id', '=', stranger.inboundId).executeTakeFirstOrThrow()).state).toBe('quarantined');

      // Staff decide Mallory may follow the ticket (a watcher, her account validated), then process
      // the message again: a comment on #1.
      const t1 = await db.selectFrom('ticket').select('id').where('number', '=', 1).executeTakeFirstOrThrow();
      await db.insertInto('ticket_watcher').values({ ticket_id: t1.id, email: 'mallory@elsewhere.test' }).execute();
      expect((await b.request('/admin/accounts/validate', { form: { _csrf: csrf, email: 'mallory@elsewhere.test' } })).res.status).toBe(303);
      const released = await b.request(`/admin/quarantine/${stranger.inboundId}/release`, { form: { _csrf: csrf } });
      expect(released.res.status).toBe(303);
      const row = await db.selectFrom('inbound_message').select(['state', 'outcome', 'ticket_id']).where('id', '=', stranger.inboundId).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ state: 'processed', ticket_id: t1.id });
      expect(row.outcome).toMatch(/^comment/);
      const shown = await b.request(released.res.headers.get('location')!);
      expect(shown.text).toContain('Processed again: Processed — comment');
      expect(shown.text).toContain('href="/admin/tickets/1');
      expect((await db.selectFrom('entry').select('text').where('ticket_id', '=', t1.id).orderBy('id').execute()).at(-1)!.text).toContain('Let me in');

      // The held message goes through past the bound: ticket #2.
      const let_ = await b.request(`/admin/quarantine/${flood.inboundId}/release`, { form: { _csrf: csrf } });
      expect(let_.res.status).toBe(303);
      expect(await db.selectFrom('ticket').select('summary').where('number', '=', 2).executeTakeFirst()).toEqual({ summary: 'Second' });

      // Rejected: ignored for good, with who decided; a second rejection is refused.
      const rejected = await b.request(`/admin/quarantine/${other.inboundId}/reject`, { form: { _csrf: csrf } });
      expect(rejected.res.status).toBe(303);
      expect(await db.selectFrom('inbound_message').select(['state', 'outcome']).where('id', '=', other.inboundId).executeTakeFirstOrThrow())
        .toEqual({ state: 'ignored', outcome: 'rejected by paul@help.example.test' });
      expect((await b.request(`/admin/quarantine/${other.inboundId}/reject`, { form: { _csrf: csrf } })).res.status).toBe(409);
      expect((await b.request(`/admin/quarantine/${other.inboundId}/release`, { form: { _csrf: csrf } })).res.status).toBe(409);

      expect((await b.request('/admin/quarantine')).text).toContain('No message waits for staff.');
      expect((await b.request('/admin/quarantine/999999')).res.status).toBe(404);
    } finally {
      await g.stop();
    }
  });

  it('lists the outbox, previews a notification in a sandboxed frame under its own CSP, and retries a failed one', async () => {
    const { g, b, csrf, db } = await setup();
    try {
      await deliver(g, { from: 'Zoé <zoe@newclient.test>', subject: 'First', body: 'Hello' });
      const first = await db.selectFrom('outbox').select(['id', 'html']).where('recipient', '=', 'zoe@newclient.test').orderBy('id').executeTakeFirstOrThrow();
      await db.updateTable('outbox').set({ state: 'failed', attempts: 7, last_error: 'relay said <script>alert(5)</script>' }).where('id', '=', first.id).execute();

      const list = await b.request('/admin/outbox?state=failed');
      expect(list.res.status).toBe(200);
      expect(list.text).toContain('zoe@newclient.test');
      expect(list.text).toContain('relay said &lt;script&gt;alert(5)&lt;/script&gt;');
      expect(list.text).not.toContain('<script>');

      const view = await b.request(`/admin/outbox/${first.id}`);
      expect(view.text).toContain(`<iframe class="preview" sandbox="" referrerpolicy="no-referrer" src="/admin/outbox/${first.id}/html"`);
      // The HTML part is never inline in the admin's page.
      expect(view.text).not.toContain(first.html.slice(0, 200));
      expect(view.res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);

      const preview = await b.request(`/admin/outbox/${first.id}/html`);
      expect(preview.res.status).toBe(200);
      expect(preview.text).toBe(first.html);
      expect(preview.res.headers.get('content-security-policy')).toBe(mailFrameHeaders()['content-security-policy']);
      expect(mailFrameHeaders()['content-security-policy']).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; img-src data:;/);
      expect(preview.res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(preview.res.headers.get('x-content-type-options')).toBe('nosniff');
      // Without a session: the login page, not the mail.
      expect((await g.http.request(`/admin/outbox/${first.id}/html`)).status).toBe(303);

      expect((await b.request(`/admin/outbox/${first.id}/retry`, { form: {} })).res.status).toBe(403);
      const retried = await b.request(`/admin/outbox/${first.id}/retry`, { form: { _csrf: csrf } });
      expect(retried.res.status).toBe(303);
      expect((await db.selectFrom('outbox').select(['state', 'attempts']).where('id', '=', first.id).executeTakeFirstOrThrow()).attempts).toBe(7);
      expect((await b.request(retried.res.headers.get('location')!)).text).toContain('Queued again');
      // Once it is no longer failed, retrying is refused.
      await db.updateTable('outbox').set({ state: 'sent' }).where('id', '=', first.id).execute();
      expect((await b.request(`/admin/outbox/${first.id}/retry`, { form: { _csrf: csrf } })).res.status).toBe(409);

      const french = await b.request('/admin/outbox', { headers: { 'accept-language': 'fr' } });
      expect(french.text).toContain('<h1>Envois</h1>');
    } finally {
      await g.stop();
    }
  });
});

// The staff admin through Hono's app.request (no port), on both engines: the login (double-submit
// token, argon2, the bound on failed attempts), the session cookie, the security headers, the
// anti-CSRF check on every form, escaping of what mail wrote, and the ticket page's composer going
// through the staff verbs (a reply mailed to the client, a refusal shown, a stale page refused).
import { afterAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet, clientMail } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();

describe.each(engines)('staff admin on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    const password = await addStaff(g.database.db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
    await g.intake.handle(Buffer.from(clientMail({ subject: 'Checkout <script>alert(1)</script> fails', body: 'The <b>pay</b> button is grey.' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
    return { g, password };
  }

  async function signedIn(g: Guichet, password: string) {
    const b = browser(g);
    const login = await b.request('/admin/login');
    const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), next: '/admin/tickets/1', email: 'Paul@help.example.test', password } });
    expect(res.res.status).toBe(303);
    expect(res.res.headers.get('location')).toBe('/admin/tickets/1');
    return { b, cookie: res.cookies.find((c) => c.startsWith('guichet_session='))! };
  }

  it('logs in with a double-submit token and argon2, bounds failed attempts, and sets a strict session cookie', async () => {
    const { g, password } = await setup();
    try {
      const b = browser(g);
      const gated = await b.request('/admin/tickets/1');
      expect(gated.res.status).toBe(303);
      expect(gated.res.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Ftickets%2F1');
      expect((await b.request('/admin/tickets?queue=all&q=x')).res.headers.get('location')).toBe('/admin/login?next=%2Fadmin%2Ftickets%3Fqueue%3Dall%26q%3Dx');

      const login = await b.request('/admin/login');
      expect(login.res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(login.res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(login.res.headers.get('x-content-type-options')).toBe('nosniff');
      const token = hidden(login.text, '_csrf');
      // Without the token (another site's form): refused, whatever the password.
      expect((await b.request('/admin/login', { form: { email: 'paul@help.example.test', password } })).res.status).toBe(403);
      // An open redirect through `next` is not followed.
      const fresh = await b.request('/admin/login');
      const wrong = await b.request('/admin/login', { form: { _csrf: hidden(fresh.text, '_csrf'), email: 'paul@help.example.test', password: 'nope' } });
      expect(wrong.res.status).toBe(401);
      expect(wrong.text).toContain('Wrong email or password.');
      for (let i = 0; i < 4; i++) {
        const again = await b.request('/admin/login');
        await b.request('/admin/login', { form: { _csrf: hidden(again.text, '_csrf'), email: 'paul@help.example.test', password: `guess${i}` } });
      }
      const throttled = await b.request('/admin/login');
      const blocked = await b.request('/admin/login', { form: { _csrf: hidden(throttled.text, '_csrf'), email: 'paul@help.example.test', password } });
      expect(blocked.res.status).toBe(429);
      expect(blocked.text).toMatch(/Too many failed attempts for this address. Try again in \d+ minute/);
      expect(token).not.toBe('');

      await g.database.db.deleteFrom('login_failure').execute();
      const again = await b.request('/admin/login');
      const ok = await b.request('/admin/login', { form: { _csrf: hidden(again.text, '_csrf'), next: 'https://evil.test/', email: 'paul@help.example.test', password } });
      expect(ok.res.headers.get('location')).toBe('/admin/tickets');
      const cookie = ok.cookies.find((c) => c.startsWith('guichet_session='))!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Lax/);
      expect(cookie).toMatch(/Path=\/admin/);
      // The database holds only the digest of the cookie.
      const stored = await g.database.db.selectFrom('staff_session').select('id').execute();
      expect(stored.map((s) => s.id)).not.toContain(b.jar.get('guichet_session'));

      const list = await b.request('/admin/tickets');
      expect(list.res.status).toBe(200);
      expect(list.text).toContain('Checkout &lt;script&gt;alert(1)&lt;/script&gt; fails');
      expect(list.text).not.toContain('<script>');

      const logout = await b.request('/admin/logout', { form: { _csrf: hidden(list.text, '_csrf') } });
      expect(logout.res.status).toBe(303);
      expect((await b.request('/admin/tickets')).res.status).toBe(303);
    } finally {
      await g.stop();
    }
  });

  it('answers from the ticket page through the staff verbs: CSRF checked, the reply mailed, a refusal shown, a stale page refused', async () => {
    const { g, password } = await setup();
    try {
      const { b } = await signedIn(g, password);
      const db = g.database.db;
      const pageOf = async () => (await b.request('/admin/tickets/1')).text;
      let page = await pageOf();
      expect(page).toContain('The &lt;b&gt;pay&lt;/b&gt; button is grey.');

      // A form without the session's token changes nothing.
      const forged = await b.request('/admin/tickets/1/answer', { form: { version: hidden(page, 'version'), message: 'Hi', kind: 'reply' } });
      expect(forged.res.status).toBe(403);
      expect(await db.selectFrom('entry').select('id').execute()).toHaveLength(1);

      const sent = await db.selectFrom('outbox').select('id').execute();
      const answered = await b.request('/admin/tickets/1/answer', {
        form: { _csrf: hidden(page, '_csrf'), version: hidden(page, 'version'), message: 'Which browser do you use?', kind: 'reply', status: 'feedback', priority: 'major' },
      });
      expect(answered.res.status).toBe(303);
      const ticket = await db.selectFrom('ticket').selectAll().executeTakeFirstOrThrow();
      expect(ticket).toMatchObject({ status: 'feedback', priority: 'major' });
      const mails = await db.selectFrom('outbox').select(['recipient', 'event', 'text']).where('id', 'not in', sent.map((s) => s.id)).execute();
      expect(mails.find((m) => m.event === 'staff-reply')).toMatchObject({ recipient: 'ada@example.com' });
      expect(mails.find((m) => m.event === 'staff-reply')!.text).toContain('Which browser do you use?');

      // The workflow's refusal is shown, and nothing of the submit is kept.
      page = await pageOf();
      const refused = await b.request('/admin/tickets/1/answer', {
        form: { _csrf: hidden(page, '_csrf'), version: hidden(page, 'version'), message: 'Duplicate it', kind: 'note', duplicate_of: '99' },
      });
      expect(refused.res.status).toBe(422);
      expect(refused.text).toMatch(/99/);
      expect(await db.selectFrom('entry').select('id').where('kind', '=', 'note').execute()).toHaveLength(0);

      // A colleague changes the ticket meanwhile: the old page's submit is refused with what changed.
      const stale = await pageOf();
      await b.request('/admin/tickets/1/answer', { form: { _csrf: hidden(stale, '_csrf'), version: hidden(stale, 'version'), message: 'Internal remark', kind: 'note' } });
      const late = await b.request('/admin/tickets/1/answer', { form: { _csrf: hidden(stale, '_csrf'), version: hidden(stale, 'version'), kind: 'reply', priority: 'critical' } });
      expect(late.res.status).toBe(409);
      expect(late.text).toContain('This ticket changed since you opened it');
      expect((await db.selectFrom('ticket').select('priority').executeTakeFirstOrThrow()).priority).toBe('major');
      // Internal notes show, marked.
      expect(await pageOf()).toMatch(/entry note[\s\S]*Internal note[\s\S]*Internal remark/);
    } finally {
      await g.stop();
    }
  });

  it('serves attachments as downloads (raster images alone inline), the HTML body only to a sandboxed frame, and merges a duplicate\'s thread', async () => {
    const { g, password } = await setup();
    try {
      const raw = [
        'From: Ada <ada@example.com>', 'To: support@help.example.test', 'Subject: Screenshots', 'Message-ID: <att-1@example.com>',
        'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '',
        '--b', 'Content-Type: multipart/alternative; boundary="a"', '',
        '--a', 'Content-Type: text/plain', '', 'See attached.', '--a', 'Content-Type: text/html', '',
        '<p onclick="alert(1)">See <b>attached</b>.<script>alert(2)</script><img src="https://tracker.test/p.gif"></p>', '--a--',
        '--b', 'Content-Type: image/svg+xml; name="evil.svg"', 'Content-Disposition: attachment; filename="evil.svg"', '',
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(3)</script></svg>',
        '--b', 'Content-Type: image/png; name="shot.png"', 'Content-Disposition: attachment; filename="shot.png"', 'Content-Transfer-Encoding: base64', '',
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
        '--b--', '',
      ].join('\r\n');
      await g.intake.handle(Buffer.from(raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      const { b } = await signedIn(g, password);
      const page = (await b.request('/admin/tickets/2')).text;
      const links = [...page.matchAll(/href="(\/admin\/tickets\/2\/attachments\/\d+)"/g)].map((m) => m[1]!);
      expect(links).toHaveLength(2);
      const [svg, png] = await Promise.all(links.map((l) => b.request(l)));
      expect(svg!.res.headers.get('content-type')).toBe('application/octet-stream');
      expect(svg!.res.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''evil.svg");
      expect(svg!.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(png!.res.headers.get('content-type')).toBe('image/png');
      expect(png!.res.headers.get('content-disposition')).toMatch(/^inline/);
      // Another ticket's number does not open this ticket's attachment.
      expect((await b.request(links[0]!.replace('/tickets/2/', '/tickets/1/'))).res.status).toBe(404);

      const frame = /src="(\/admin\/tickets\/2\/entries\/\d+\/html)"/.exec(page)![1]!;
      expect(page).toMatch(/<iframe class="mail-html" sandbox="allow-popups allow-popups-to-escape-sandbox"/);
      const body = await b.request(frame);
      expect(body.res.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/);
      expect(body.text).toContain('<b>attached</b>');
      expect(body.text).not.toMatch(/<script|onclick|\ssrc="https:\/\/tracker/);
      // The remote image is kept aside, shown as a placeholder, and loads only when staff ask for it.
      expect(body.text).toContain('data-remote-src="https://tracker.test/p.gif"');
      expect(body.res.headers.get('content-security-policy')).toMatch(/img-src data:;/);
      expect(page).toContain(`href="/admin/tickets/2?images=${/entries\/(\d+)\/html/.exec(frame)![1]}#entry-`);
      const loaded = await b.request(`${frame}?images=1`);
      expect(loaded.text).toMatch(/\ssrc="https:\/\/tracker\.test\/p\.gif"/);
      expect(loaded.res.headers.get('content-security-policy')).toMatch(/img-src data: https: http:;/);

      // Ticket 2 marked as a duplicate of 1 from the composer: its thread shows on ticket 1, merged.
      const two = (await b.request('/admin/tickets/2')).text;
      const marked = await b.request('/admin/tickets/2/answer', { form: { _csrf: hidden(two, '_csrf'), version: hidden(two, 'version'), kind: 'note', duplicate_of: '1' } });
      expect(marked.res.status).toBe(303);
      const one = (await b.request('/admin/tickets/1')).text;
      expect(one).toMatch(/<section class="merged"[\s\S]*#2[\s\S]*See attached\./);
    } finally {
      await g.stop();
    }
  });

  it('draws the dashboard from the tickets: opened and closed this week, the backlog, who waits, the median times', async () => {
    const { g, password } = await setup();
    try {
      await g.intake.handle(Buffer.from(clientMail({ subject: 'Second', body: 'Two' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      const { b } = await signedIn(g, password);
      const one = (await b.request('/admin/tickets/1')).text;
      await b.request('/admin/tickets/1/answer', { form: { _csrf: hidden(one, '_csrf'), version: hidden(one, 'version'), kind: 'reply', message: 'Fixed.', status: 'resolved', resolution: 'fixed' } });
      const page = (await b.request('/admin/dashboard')).text;
      expect(page).toContain('<svg viewBox=');
      expect(page).toContain('<title id="c1">Tickets opened and closed per week</title>');
      // This week's row of the table: two opened, none closed yet, a first answer and a resolution within the hour.
      const week = /<tbody>([\s\S]*)<\/tbody><\/table>\s*<\/section>\s*$/m.exec(page)?.[1] ?? page;
      const last = [...week.matchAll(/<tr><td>([\d-]+)<\/td><td class="num">(\d+)<\/td><td class="num">(\d+)<\/td><td class="num">([^<]+)<\/td><td class="num">([^<]+)<\/td><\/tr>/g)].at(-1)!;
      expect(last.slice(2, 4)).toEqual(['2', '0']);
      expect(Number(last[4])).toBeLessThan(1);
      expect(Number(last[5])).toBeLessThan(1);
      expect(page).toMatch(/staff: <strong>1<\/strong>/);
    } finally {
      await g.stop();
    }
  });

  it('keeps the composer\'s draft until the answer is sent, and fills a saved reply with the client\'s name and the ticket', async () => {
    const { g, password } = await setup();
    try {
      const { b } = await signedIn(g, password);
      expect((await b.request('/admin/assets/admin.js')).res.headers.get('content-type')).toMatch(/^text\/javascript/);
      let page = (await b.request('/admin/tickets/1')).text;
      expect(page).toContain('data-draft="/admin/tickets/1/draft"');
      expect((await b.request('/admin/tickets/1/draft', { form: { text: 'lost?' } })).res.status).toBe(403);
      expect((await b.request('/admin/tickets/1/draft', { form: { _csrf: hidden(page, '_csrf'), text: 'Half-written <answer>' } })).res.status).toBe(204);
      page = (await b.request('/admin/tickets/1')).text;
      expect(page).toContain('>Half-written &lt;answer&gt;</textarea>');

      // A saved reply for every project, used on this ticket.
      const list = (await b.request('/admin/saved-replies')).text;
      expect((await b.request('/admin/saved-replies', { form: { _csrf: hidden(list, '_csrf'), title: 'Need browser', project: '', body: 'Hello {{name}}, which browser shows ticket #{{number}}?' } })).res.status).toBe(303);
      page = (await b.request('/admin/tickets/1')).text;
      const id = /<option value="(\d+)">Need browser<\/option>/.exec(page)![1]!;
      const filled = (await b.request(`/admin/tickets/1?reply=${id}`)).text;
      expect(filled).toContain('>Hello Ada Lovelace, which browser shows ticket #1?</textarea>');

      const sent = await b.request('/admin/tickets/1/answer', { form: { _csrf: hidden(page, '_csrf'), version: hidden(page, 'version'), kind: 'note', message: 'Half-written answer, finished.' } });
      expect(sent.res.status).toBe(303);
      expect((await b.request('/admin/tickets/1')).text).toContain('data-draft="/admin/tickets/1/draft"></textarea>');
    } finally {
      await g.stop();
    }
  });

  it('lists a queue with filters, search and keyset pages, counts the queues, and applies bulk changes through the verbs', async () => {
    const { g, password } = await setup();
    try {
      for (const [subject, body] of [['Invoice blank', 'The invoice page is empty'], ['Login loop', 'Cannot sign in'], ['Export slow', 'CSV export takes minutes']] as const) {
        await g.intake.handle(Buffer.from(clientMail({ subject, body }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      }
      const { b } = await signedIn(g, password);
      let list = (await b.request('/admin/tickets?queue=open')).text;
      expect([...list.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => m[1])).toEqual(['4', '3', '2', '1']);
      expect(list).toMatch(/Open<\/span><span class="count">4<\/span>/);
      // Search reads the thread too.
      list = (await b.request('/admin/tickets?queue=all&q=minutes')).text;
      expect([...list.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => m[1])).toEqual(['4']);
      // Sorted by number.
      list = (await b.request('/admin/tickets?queue=all&sort=number')).text;
      expect([...list.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => m[1])).toEqual(['4', '3', '2', '1']);
      // A made-up cursor sends back to the first page.
      expect((await b.request('/admin/tickets?queue=all&after=bogus')).res.status).toBe(303);

      // Bulk changes go through the staff verbs, ticket by ticket.
      const bulk = await b.request('/admin/tickets/bulk', { form: { _csrf: hidden(list, '_csrf'), numbers: '2', priority: 'major', back: '/admin/tickets?queue=all' } });
      expect(bulk.res.status).toBe(303);
      expect(bulk.res.headers.get('location')).toBe('/admin/tickets?queue=all&done=1');
      expect((await g.database.db.selectFrom('ticket').select('priority').where('number', '=', 2).executeTakeFirstOrThrow()).priority).toBe('major');
      const form = new URLSearchParams([['_csrf', hidden(list, '_csrf')], ['numbers', '3'], ['numbers', '4'], ['assignee', 'paul@help.example.test'], ['back', '/admin/tickets?queue=mine']]);
      const res = await g.http.request('/admin/tickets/bulk', { method: 'POST', headers: { cookie: [...b.jar].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
      expect(res.headers.get('location')).toBe('/admin/tickets?queue=mine&done=2');
      const mine = (await b.request('/admin/tickets?queue=mine')).text;
      expect([...mine.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => m[1]).sort()).toEqual(['3', '4']);
      // Without the session's token nothing changes.
      expect((await b.request('/admin/tickets/bulk', { form: { numbers: '1', priority: 'critical' } })).res.status).toBe(403);
    } finally {
      await g.stop();
    }
  });

  it('in the demo only, writes as a client through the real intake', async () => {
    const { g, password } = await setup();
    const demo = await buildGuichet({ databaseUrl: await engine.freshUrl(), demo: true });
    try {
      const { b } = await signedIn(g, password);
      expect((await b.request('/admin/write')).res.status).toBe(404);
      const demoPassword = await addStaff(demo.database.db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
      const { b: d } = await signedIn(demo, demoPassword);
      const form = (await d.request('/admin/write')).text;
      const sent = await d.request('/admin/write', { form: { _csrf: hidden(form, '_csrf'), from: 'zoe@example.org', name: 'Zoé Martin', subject: 'Écran noir', body: 'Depuis ce matin\nrien ne s\'affiche.' } });
      expect(sent.text).toContain('Taken in: processed — ticket');
      const ticket = await demo.database.db.selectFrom('ticket').innerJoin('contact', 'contact.id', 'ticket.reporter_id').select(['ticket.summary', 'contact.email', 'contact.name']).executeTakeFirstOrThrow();
      expect(ticket).toEqual({ summary: 'Écran noir', email: 'zoe@example.org', name: 'Zoé Martin' });
      expect((await demo.database.db.selectFrom('outbox').select('recipient').where('event', '=', 'ticket-received').execute()).map((r) => r.recipient)).toEqual(['zoe@example.org']);
    } finally {
      await g.stop();
      await demo.stop();
    }
  });

  it('makes a ticket private from the composer, recorded and mailed to nobody', async () => {
    const { g, password } = await setup();
    try {
      const { b } = await signedIn(g, password);
      const page = (await b.request('/admin/tickets/1')).text;
      const before = await g.database.db.selectFrom('outbox').select('id').execute();
      const res = await b.request('/admin/tickets/1/answer', { form: { _csrf: hidden(page, '_csrf'), version: hidden(page, 'version'), kind: 'note', visibility: 'private' } });
      expect(res.res.status).toBe(303);
      expect((await g.database.db.selectFrom('ticket').select('visibility').executeTakeFirstOrThrow()).visibility).toBe('private');
      expect(await g.database.db.selectFrom('event').select(['field', 'from_value', 'to_value']).where('field', '=', 'visibility').execute()).toEqual([{ field: 'visibility', from_value: 'public', to_value: 'private' }]);
      expect(await g.database.db.selectFrom('outbox').select('id').execute()).toHaveLength(before.length);
    } finally {
      await g.stop();
    }
  });

  it("sets a ticket's products from its project's, and a plain reply leaves them as they are", async () => {
    const { g, password } = await setup();
    try {
      const db = g.database.db;
      const at = new Date().toISOString();
      const { id: project } = await db.insertInto('project').values({ key: 'SHOP', name: 'Shop', default_type: 'assistance', created_at: at }).returning('id').executeTakeFirstOrThrow();
      const [cart, pay] = await db.insertInto('product').values([{ project_id: project, name: 'Cart' }, { project_id: project, name: 'Payments' }]).returning('id').execute();
      await db.updateTable('ticket').set({ project_id: project }).execute();
      const { b } = await signedIn(g, password);
      let page = (await b.request('/admin/tickets/1')).text;
      expect(page).toContain('<select id="products" name="products" multiple');
      const form = (extra: Array<[string, string]>) => new URLSearchParams([['_csrf', hidden(page, '_csrf')], ['version', hidden(page, 'version')], ['kind', 'note'], ['products_shown', '1'], ['products_was', hidden(page, 'products_was')], ...extra]);
      const post = (body: URLSearchParams) => g.http.request('/admin/tickets/1/answer', { method: 'POST', headers: { cookie: [...b.jar].map(([k, v]) => `${k}=${v ?? ''}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' }, body: body.toString() });
      expect((await post(form([['products', String(cart!.id)], ['products', String(pay!.id)]]))).status).toBe(303);
      const chosen = async () => (await db.selectFrom('ticket_product').select('product_id').orderBy('product_id').execute()).map((r) => r.product_id);
      expect(await chosen()).toEqual([cart!.id, pay!.id]);
      expect(await db.selectFrom('event').select(['from_value', 'to_value']).where('field', '=', 'products').execute()).toEqual([{ from_value: '', to_value: 'Cart, Payments' }]);
      // A note with the products control sent as it was shown changes no product and is not refused.
      page = (await b.request('/admin/tickets/1')).text;
      expect((await post(form([['message', 'Checked.'], ['products', String(cart!.id)], ['products', String(pay!.id)]]))).status).toBe(303);
      expect(await chosen()).toEqual([cart!.id, pay!.id]);
      // Another project's product is refused.
      page = (await b.request('/admin/tickets/1')).text;
      expect((await post(form([['products', '999']]))).status).toBe(422);
    } finally {
      await g.stop();
    }
  });

  it('speaks French to a browser that prefers it', async () => {
    const { g } = await setup();
    try {
      const page = await g.http.request('/admin/login', { headers: { 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.8' } });
      const text = await page.text();
      expect(text).toContain('<html lang="fr">');
      expect(text).toContain('Se connecter');
    } finally {
      await g.stop();
    }
  });
});

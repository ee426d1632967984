// Staff invitations and password resets through Hono's app.request, on both engines: the link is
// built from publicUrl whatever Host the request names, works once, is refused when expired; the
// reset form answers known and unknown addresses with the same bytes and no sooner than its floor,
// bounds requests per address, and a reset closes the member's other sessions; every form checks
// its anti-CSRF token.
import { afterAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { FORGOT_ANSWER_MS, RESET_REQUESTS } from '../../src/http/admin/pages/staff-links.ts';
import { testEngines } from '../support/databases.ts';
import { buildGuichet } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();
const PUBLIC_URL = 'https://desk.links-public.example';
const FORGED = { host: 'evil.attacker.test', 'x-forwarded-host': 'evil.attacker.test' };

const tokenIn = (text: string, kind: 'welcome' | 'reset') => new RegExp(`/admin/${kind}\\?token=([A-Za-z0-9_-]{43})`).exec(text)?.[1] ?? '';

describe.each(engines)('staff links on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), overrides: { publicUrl: PUBLIC_URL } });
    const password = await addStaff(g.database.db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, new Date());
    return { g, db: g.database.db, password };
  }

  async function signIn(g: Guichet, email: string, password: string) {
    const b = browser(g);
    const login = await b.request('/admin/login');
    const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email, password } });
    expect(res.res.status).toBe(303);
    return b;
  }

  async function forgot(g: Guichet, email: string) {
    const b = browser(g);
    const form = await b.request('/admin/forgot', { headers: FORGED });
    const started = performance.now();
    const res = await b.request('/admin/forgot', { form: { _csrf: hidden(form.text, '_csrf'), email }, headers: FORGED });
    return { ...res, ms: performance.now() - started };
  }

  async function choose(b: ReturnType<typeof browser>, kind: 'welcome' | 'reset', token: string, password: string, confirm = password) {
    const form = await b.request(`/admin/${kind}?token=${token}`);
    expect(form.res.status).toBe(200);
    return b.request(`/admin/${kind}`, { form: { _csrf: hidden(form.text, '_csrf'), token, password, confirm } });
  }

  it('invites a member by mail: a link under publicUrl whatever the Host, that sets a password, signs in, and works once', async () => {
    const { g, db, password } = await setup();
    try {
      const admin = await signIn(g, 'paul@help.example.test', password);
      const staffPage = await admin.request('/admin/setup/staff');
      // One form for both ways in: inviting is its default (first) button, adding with a password the other.
      expect(staffPage.text.match(/<form method="post" action="\/admin\/setup\/staff\/invite"/g)).toHaveLength(1);
      expect(staffPage.text.match(/name="email"/g)).toHaveLength(1);
      const buttons = [...staffPage.text.matchAll(/<button[^>]*formaction="([^"]+)"[^>]*>([^<]+)<\/button>/g)].map((m) => [m[1], m[2]]);
      expect(buttons).toEqual([['/admin/setup/staff/invite', 'Send an invitation'], ['/admin/setup/staff', 'Add with a password']]);
      const csrf = hidden(staffPage.text, '_csrf');
      const invitation = { email: 'Zoe@Help.Example.test', name: 'Zoé Martin', role: 'agent' };

      // Without the session's token: nothing made, nothing mailed.
      expect((await admin.request('/admin/setup/staff/invite', { form: invitation, headers: FORGED })).res.status).toBe(403);
      expect(await db.selectFrom('staff').select('id').where('email', '=', 'zoe@help.example.test').executeTakeFirst()).toBeUndefined();

      const sent = await admin.request('/admin/setup/staff/invite', { form: { _csrf: csrf, ...invitation }, headers: FORGED });
      expect(sent.res.status).toBe(303);
      const after = await admin.request(sent.res.headers.get('location')!);
      expect(after.text).toContain('Invitation sent to zoe@help.example.test');
      expect(after.text).not.toMatch(/Their password, shown only this once/);

      const mail = await db.selectFrom('outbox').selectAll().where('event', '=', 'staff-invite').execute();
      expect(mail).toHaveLength(1);
      expect(mail[0]!.recipient).toBe('zoe@help.example.test');
      expect(mail[0]!.ticket_id).toBeNull();
      expect(mail[0]!.automatic).toBe(0);
      expect(mail[0]!.text).toContain(`${PUBLIC_URL}/admin/welcome?token=`);
      expect(mail[0]!.html).toContain(`href="${PUBLIC_URL}/admin/welcome?token=`);
      for (const part of [mail[0]!.text, mail[0]!.html]) expect(part).not.toContain('evil.attacker.test');
      expect(mail[0]!.text).toContain('Paul Durand invited you');
      const token = tokenIn(mail[0]!.text, 'welcome');
      // Only the digest is stored; the outbox page shows the mail without its token.
      const stored = await db.selectFrom('staff_link').select(['token_hash', 'kind', 'expires_at', 'created_at']).execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored[0]!.token_hash).not.toContain(token);
      expect(new Date(stored[0]!.expires_at).getTime() - new Date(stored[0]!.created_at).getTime()).toBe(7 * 86_400_000);
      const outboxPage = await admin.request(`/admin/outbox/${mail[0]!.id}`);
      expect(outboxPage.res.status).toBe(200);
      expect(outboxPage.text).toContain('/admin/welcome?token=…');
      expect(outboxPage.text).not.toContain(token);
      expect((await admin.request(`/admin/outbox/${mail[0]!.id}/html`)).text).not.toContain(token);

      const zoe = browser(g);
      const welcome = await zoe.request(`/admin/welcome?token=${token}`, { headers: FORGED });
      expect(welcome.res.status).toBe(200);
      expect(welcome.text).toContain('Welcome, Zoé Martin');
      expect(welcome.res.headers.get('cache-control')).toBe('no-store');
      expect(welcome.res.headers.get('referrer-policy')).toBe('no-referrer');
      // No form token: refused, the link still open.
      expect((await zoe.request('/admin/welcome', { form: { token, password: 'a long new password', confirm: 'a long new password' } })).res.status).toBe(403);
      expect((await choose(zoe, 'welcome', token, 'short')).res.status).toBe(422);
      const differ = await choose(zoe, 'welcome', token, 'a long new password', 'another long password');
      expect(differ.res.status).toBe(422);
      expect(differ.text).toContain('The two passwords differ.');
      const done = await choose(zoe, 'welcome', token, 'a long new password');
      expect(done.res.status).toBe(303);
      expect(done.res.headers.get('location')).toBe('/admin/tickets');
      expect((await zoe.request('/admin/tickets')).res.status).toBe(200);

      const again = await browser(g).request(`/admin/welcome?token=${token}`);
      expect(again.res.status).toBe(410);
      expect(again.text).toContain('This link is not valid, or it was already used.');
      const replay = await browser(g).request('/admin/welcome', { form: { token, password: 'attacker password!', confirm: 'attacker password!' } });
      expect(replay.res.status).toBe(410);
      await signIn(g, 'zoe@help.example.test', 'a long new password');

      // An address already taken: refused with the reason, nothing mailed.
      const taken = await admin.request('/admin/setup/staff/invite', { form: { _csrf: csrf, ...invitation } });
      expect(taken.res.status).toBe(422);
      expect(taken.text).toContain('already exists');
      // The same form comes back, filled, with both buttons.
      expect(taken.text).toContain('value="Zoé Martin"');
      expect(taken.text).toContain('formaction="/admin/setup/staff"');
      expect(taken.text).toContain('formaction="/admin/setup/staff/invite"');
      expect(await db.selectFrom('outbox').select('id').where('event', '=', 'staff-invite').execute()).toHaveLength(1);

      // Agents invite nobody.
      const agent = await signIn(g, 'zoe@help.example.test', 'a long new password');
      const agentCsrf = hidden((await agent.request('/admin/tickets')).text, '_csrf');
      expect((await agent.request('/admin/setup/staff/invite', { form: { _csrf: agentCsrf, email: 'x@help.example.test', name: 'X', role: 'admin' } })).res.status).toBe(403);
    } finally {
      await g.stop();
    }
  });

  it('refuses an expired link with a page that says so, and a made-up one', async () => {
    const { g, db, password } = await setup();
    try {
      const admin = await signIn(g, 'paul@help.example.test', password);
      const csrf = hidden((await admin.request('/admin/setup/staff')).text, '_csrf');
      await admin.request('/admin/setup/staff/invite', { form: { _csrf: csrf, email: 'late@help.example.test', name: 'Late', role: 'agent' } });
      const token = tokenIn((await db.selectFrom('outbox').select('text').executeTakeFirstOrThrow()).text, 'welcome');
      await db.updateTable('staff_link').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
      const b = browser(g);
      const expired = await b.request(`/admin/welcome?token=${token}`);
      expect(expired.res.status).toBe(410);
      expect(expired.text).toContain('This link has expired.');
      expect(expired.text).toContain('href="/admin/forgot"');
      expect((await b.request('/admin/welcome', { form: { token, password: 'a long new password', confirm: 'a long new password' } })).res.status).toBe(410);
      // A token of the wrong kind, or made up, opens nothing.
      expect((await b.request(`/admin/reset?token=${token}`)).res.status).toBe(410);
      expect((await b.request(`/admin/welcome?token=${'A'.repeat(43)}`)).res.status).toBe(410);
      expect((await b.request('/admin/welcome?token=%3Cscript%3E')).text).not.toContain('<script>');
      // An invited member whose link expired asks for a reset link like anyone: their account exists.
      await forgot(g, 'late@help.example.test');
      const reset = tokenIn((await db.selectFrom('outbox').select('text').where('event', '=', 'password-reset').executeTakeFirstOrThrow()).text, 'reset');
      expect((await choose(browser(g), 'reset', reset, 'finally my password')).res.status).toBe(303);
    } finally {
      await g.stop();
    }
  });

  it('answers a reset request the same for known and unknown addresses, mails only the member, and bounds requests per address', async () => {
    const { g, db } = await setup();
    try {
      const login = await browser(g).request('/admin/login');
      expect(login.text).toContain('href="/admin/forgot"');

      // Without the form's token: nothing counted, nothing mailed.
      expect((await browser(g).request('/admin/forgot', { form: { email: 'paul@help.example.test' } })).res.status).toBe(403);
      expect(await db.selectFrom('reset_request').selectAll().execute()).toHaveLength(0);

      const known = await forgot(g, 'Paul@help.example.test');
      const unknown = await forgot(g, 'nobody@help.example.test');
      expect(known.res.status).toBe(200);
      expect(unknown.res.status).toBe(known.res.status);
      expect(unknown.text).toBe(known.text);
      expect(known.text).toContain('If this address has an account, a mail is on its way');
      expect([...unknown.res.headers.keys()].sort()).toEqual([...known.res.headers.keys()].sort());
      expect(unknown.res.headers.getSetCookie()).toEqual(known.res.headers.getSetCookie());
      for (const r of [known, unknown]) expect(r.ms).toBeGreaterThanOrEqual(FORGOT_ANSWER_MS - 5);

      const mail = await db.selectFrom('outbox').selectAll().execute();
      expect(mail.map((m) => [m.event, m.recipient])).toEqual([['password-reset', 'paul@help.example.test']]);
      expect(mail[0]!.text).toContain(`${PUBLIC_URL}/admin/reset?token=`);
      expect(mail[0]!.text).not.toContain('evil.attacker.test');
      const link = await db.selectFrom('staff_link').select(['created_at', 'expires_at']).executeTakeFirstOrThrow();
      expect(new Date(link.expires_at).getTime() - new Date(link.created_at).getTime()).toBe(60 * 60_000);

      // The bound, per address, whether staff or not: the same refusal for both.
      for (let i = 1; i < RESET_REQUESTS.max; i++) {
        await forgot(g, 'paul@help.example.test');
        await forgot(g, 'nobody@help.example.test');
      }
      const a = await forgot(g, 'paul@help.example.test');
      const b = await forgot(g, 'nobody@help.example.test');
      expect(a.res.status).toBe(429);
      expect(b.res.status).toBe(429);
      expect(a.text).toMatch(/Too many reset links were asked for this address. Try again in \d+ minutes/);
      expect(await db.selectFrom('outbox').select('id').where('event', '=', 'password-reset').execute()).toHaveLength(RESET_REQUESTS.max);
      // Another address is not held back by these.
      expect((await forgot(g, 'someone.else@help.example.test')).res.status).toBe(200);
    } finally {
      await g.stop();
    }
  });

  it('sets a new password through the reset link once, voids the other links and closes every other session', async () => {
    const { g, db, password } = await setup();
    try {
      const desk = await signIn(g, 'paul@help.example.test', password);
      const laptop = await signIn(g, 'paul@help.example.test', password);
      await forgot(g, 'paul@help.example.test');
      await forgot(g, 'paul@help.example.test');
      const [first, second] = (await db.selectFrom('outbox').select('text').orderBy('id').execute()).map((m) => tokenIn(m.text, 'reset'));
      expect(first).not.toBe(second);

      const phone = browser(g);
      expect((await phone.request('/admin/reset', { form: { token: second!, password: 'brand new passphrase', confirm: 'brand new passphrase' } })).res.status).toBe(403);
      const done = await choose(phone, 'reset', second!, 'brand new passphrase');
      expect(done.res.status).toBe(303);
      expect((await phone.request('/admin/tickets')).res.status).toBe(200);
      for (const old of [desk, laptop]) {
        const res = await old.request('/admin/tickets');
        expect(res.res.status).toBe(303);
        expect(res.res.headers.get('location')).toMatch(/^\/admin\/login/);
      }
      expect((await browser(g).request(`/admin/reset?token=${second}`)).res.status).toBe(410);
      const voided = await browser(g).request(`/admin/reset?token=${first}`);
      expect(voided.res.status).toBe(410);
      expect(voided.text).toContain('href="/admin/forgot"');

      const b = browser(g);
      const login = await b.request('/admin/login');
      expect((await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email: 'paul@help.example.test', password } })).res.status).toBe(401);
      await signIn(g, 'paul@help.example.test', 'brand new passphrase');
    } finally {
      await g.stop();
    }
  });

  it('mails no link to a deactivated member, and their open links stop working', async () => {
    const { g, db, password } = await setup();
    try {
      await addStaff(db, { email: 'gone@help.example.test', name: 'Gone' }, new Date());
      await forgot(g, 'gone@help.example.test');
      const token = tokenIn((await db.selectFrom('outbox').select('text').executeTakeFirstOrThrow()).text, 'reset');
      await db.updateTable('staff').set({ active: 0 }).where('email', '=', 'gone@help.example.test').execute();
      expect((await browser(g).request(`/admin/reset?token=${token}`)).res.status).toBe(410);
      await db.deleteFrom('reset_request').execute();
      await forgot(g, 'gone@help.example.test');
      expect(await db.selectFrom('outbox').select('id').execute()).toHaveLength(1);
      expect(password).not.toBe('');
    } finally {
      await g.stop();
    }
  });
});

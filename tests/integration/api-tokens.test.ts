// API tokens through Hono's app.request (no port), on both engines: the integration token acts as the
// support team, a staff member's token as that member (entries and events say so), a revoked token or
// an inactive owner opens nothing, last use is recorded (at most once a minute), the removed
// X-Guichet-Staff header is refused by name; /healthz tells strangers only ok; the OpenAPI document
// lists the routes with their schemas; bodies over the limit are refused; and the admin page makes a
// token (shown once, only its digest stored) and revokes it, every form checked against CSRF.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { issueStaffToken } from '../../src/http/auth.ts';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet, clientMail } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();

const bearer = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const digest = (token: string) => createHash('sha256').update(token).digest('hex');
async function signIn(g: Guichet, email: string, password: string) {
  const b = browser(g);
  const login = await b.request('/admin/login');
  const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email, password } });
  expect(res.res.status).toBe(303);
  return b;
}

describe.each(engines)('API tokens on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    const now = new Date();
    const adminPassword = await addStaff(g.database.db, { email: 'paul@help.example.test', name: 'Paul Durand', admin: true }, now);
    const agentPassword = await addStaff(g.database.db, { email: 'agnes@help.example.test', name: 'Agnès', admin: false }, now);
    const ids = Object.fromEntries((await g.database.db.selectFrom('staff').select(['id', 'email']).execute()).map((s) => [s.email, s.id]));
    await g.intake.handle(Buffer.from(clientMail({ subject: 'The invoice page is blank', body: 'Nothing shows.' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
    return { g, adminPassword, agentPassword, adminId: ids['paul@help.example.test']!, agentId: ids['agnes@help.example.test']! };
  }

  it('acts as the integration or as the token\'s staff member; revoked or inactive opens nothing; the old header is refused', async () => {
    const { g, agentId } = await setup();
    try {
      const db = g.database.db;
      const reply = (token: string, message: string, extra: Record<string, string> = {}) =>
        g.http.request('/api/v1/tickets/1/replies', { method: 'POST', headers: { ...bearer(token), ...extra }, body: JSON.stringify({ message, internal: true }) });

      // The integration token: the support team, never a person.
      const integration = await reply(API_TOKEN, 'From the integration.');
      expect(integration.status).toBe(201);
      const first = await db.selectFrom('entry').select(['author_staff_id']).where('id', '=', (await integration.json()).id).executeTakeFirstOrThrow();
      expect(first.author_staff_id).toBeNull();

      // A staff token: that member, in the entry and in the audit log.
      const { token, id: tokenId } = await issueStaffToken(db, agentId, 'script', new Date());
      expect(token).toMatch(/^gst_[\w-]{43}$/);
      const stored = await db.selectFrom('staff_token').selectAll().where('id', '=', tokenId).executeTakeFirstOrThrow();
      expect(stored.token_hash).toBe(digest(token));
      expect(stored.last_used_at).toBeNull();
      const byAgent = await reply(token, 'From Agnès\'s script.');
      expect(byAgent.status).toBe(201);
      const entry = await db.selectFrom('entry').select(['author_staff_id']).where('id', '=', (await byAgent.json()).id).executeTakeFirstOrThrow();
      expect(entry.author_staff_id).toBe(agentId);
      const changed = await g.http.request('/api/v1/tickets/1', { method: 'PATCH', headers: bearer(token), body: JSON.stringify({ priority: 'major' }) });
      expect(changed.status).toBe(200);
      const events = await db.selectFrom('event').select(['actor', 'field']).where('field', '=', 'priority').execute();
      expect(events.map((e) => e.actor)).toEqual([`staff:${agentId}`]);

      // Last use recorded, and not rewritten within the minute.
      const used = await db.selectFrom('staff_token').select('last_used_at').where('id', '=', tokenId).executeTakeFirstOrThrow();
      expect(used.last_used_at).not.toBeNull();
      const earlier = new Date(Date.now() - 10 * 60_000).toISOString();
      await db.updateTable('staff_token').set({ last_used_at: earlier }).where('id', '=', tokenId).execute();
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token) })).status).toBe(200);
      expect((await db.selectFrom('staff_token').select('last_used_at').where('id', '=', tokenId).executeTakeFirstOrThrow()).last_used_at).not.toBe(earlier);
      const recent = (await db.selectFrom('staff_token').select('last_used_at').where('id', '=', tokenId).executeTakeFirstOrThrow()).last_used_at;
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token) })).status).toBe(200);
      expect((await db.selectFrom('staff_token').select('last_used_at').where('id', '=', tokenId).executeTakeFirstOrThrow()).last_used_at).toBe(recent);

      // The header that let anyone act as anyone is refused by name, whatever the token.
      for (const t of [API_TOKEN, token]) {
        const res = await reply(t, 'As someone else?', { 'x-guichet-staff': 'paul@help.example.test' });
        expect(res.status).toBe(400);
        expect((await res.json()).error).toMatch(/X-Guichet-Staff was removed.*own API token/);
      }

      // An unknown token, a token of an inactive member, a revoked token: 401.
      expect((await g.http.request('/api/v1/tickets', { headers: bearer('gst_' + 'x'.repeat(43)) })).status).toBe(401);
      await db.updateTable('staff').set({ active: 0 }).where('id', '=', agentId).execute();
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token) })).status).toBe(401);
      await db.updateTable('staff').set({ active: 1 }).where('id', '=', agentId).execute();
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token) })).status).toBe(200);
      await db.updateTable('staff_token').set({ revoked_at: new Date().toISOString() }).where('id', '=', tokenId).execute();
      const revoked = await g.http.request('/api/v1/tickets', { headers: bearer(token) });
      expect(revoked.status).toBe(401);
      expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer/);
    } finally {
      await g.stop();
    }
  });

  it('keeps /healthz details for token holders, describes the API, and refuses bodies over the limit', async () => {
    const { g, agentId } = await setup();
    try {
      const bare = await g.http.request('/healthz');
      expect(bare.status).toBe(200);
      expect(await bare.json()).toEqual({ ok: true });
      expect(await (await g.http.request('/healthz', { headers: bearer('wrong') })).json()).toEqual({ ok: true });
      const { token } = await issueStaffToken(g.database.db, agentId, 'monitoring', new Date());
      for (const t of [API_TOKEN, token]) {
        expect(await (await g.http.request('/healthz', { headers: bearer(t) })).json()).toMatchObject({ ok: true, database: { ok: true }, mailbox: null, outbox: { pending: expect.any(Number) } });
      }

      // The description needs no token and holds the schemas that check requests.
      const doc = await g.http.request('/api/v1/openapi.json');
      expect(doc.status).toBe(200);
      const spec = await doc.json();
      expect(spec.openapi).toMatch(/^3\./);
      expect(spec.servers).toEqual([{ url: '/api/v1' }]);
      expect(Object.keys(spec.paths).sort()).toEqual([
        '/announcements', '/contacts', '/contacts/{email}/block', '/contacts/{email}/refuse', '/contacts/{email}/validate', '/inbound',
        '/inbound/{id}/reject', '/inbound/{id}/release', '/outbox', '/outbox/{id}/retry', '/tickets', '/tickets/{number}', '/tickets/{number}/replies',
      ]);
      expect(Object.keys(spec.paths['/tickets']).sort()).toEqual(['get', 'post']);
      expect(Object.keys(spec.paths['/tickets/{number}']).sort()).toEqual(['get', 'patch']);
      expect(spec.paths['/tickets'].get.parameters.map((p: any) => p.name).sort()).toEqual(['after', 'page', 'per_page', 'status']);
      expect(spec.paths['/tickets/{number}'].patch.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TicketChange' });
      const change = spec.components.schemas.TicketChange;
      expect(change.additionalProperties).toBe(false);
      expect(change.properties.status.enum).toEqual(['new', 'feedback', 'confirmed', 'assigned', 'resolved', 'closed']);
      expect(spec.components.schemas.Reply.required).toEqual(['message']);
      expect(spec.components.schemas.NewTicket.required).toEqual(expect.arrayContaining(['reporter', 'summary', 'description']));
      expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(spec.paths['/tickets/{number}/replies'].post.responses['409'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });

      // Validation answers as before the description: 422 naming the field, 400 for what is not JSON.
      const bad = await g.http.request('/api/v1/tickets/1', { method: 'PATCH', headers: bearer(API_TOKEN), body: JSON.stringify({ priority: 'bogus', extra: 1 }) });
      expect(bad.status).toBe(422);
      expect((await bad.json()).error).toMatch(/priority: .*body: Unrecognized key/s);
      const notJson = await g.http.request('/api/v1/tickets/1/replies', { method: 'POST', headers: bearer(API_TOKEN), body: 'hello' });
      expect(notJson.status).toBe(400);
      expect(await notJson.json()).toEqual({ error: 'the body must be JSON' });
      // A body sent without a JSON content type (curl -d) is still read as JSON.
      const plain = await g.http.request('/api/v1/tickets/1/replies', {
        method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: JSON.stringify({ message: 'hi', internal: true }),
      });
      expect(plain.status).toBe(201);
      expect((await g.http.request('/api/v1/tickets/abc', { headers: bearer(API_TOKEN) })).status).toBe(404);
      expect(await (await g.http.request('/api/v1/tickets?status=nope', { headers: bearer(API_TOKEN) })).json()).toMatchObject({ error: expect.stringMatching(/^status: /) });

      // Over the limit: 413 with a JSON error, before anything is read or written.
      const huge = JSON.stringify({ message: 'x'.repeat(1024 * 1024 + 1) });
      const tooBig = await g.http.request('/api/v1/tickets/1/replies', { method: 'POST', headers: bearer(API_TOKEN), body: huge });
      expect(tooBig.status).toBe(413);
      expect((await tooBig.json()).error).toMatch(/over/);
      const chunked = await g.http.request('/api/v1/tickets/1/replies', {
        method: 'POST', headers: bearer(API_TOKEN), duplex: 'half',
        body: new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(huge)); c.close(); } }),
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect((await g.http.request('/admin/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a='.padEnd(1024 * 1024 + 10, 'x') })).status).toBe(413);
    } finally {
      await g.stop();
    }
  });

  it('makes a token on the admin page (shown once, only its digest stored) and revokes it; admins see and revoke everyone\'s', async () => {
    const { g, adminPassword, agentPassword, adminId, agentId } = await setup();
    try {
      const db = g.database.db;
      const agent = await signIn(g, 'agnes@help.example.test', agentPassword);
      const empty = await agent.request('/admin/tokens');
      expect(empty.res.status).toBe(200);
      expect(empty.text).toContain('No tokens yet.');
      expect(empty.text).toContain('href="/admin/tokens"');
      const csrf = hidden(empty.text, '_csrf');

      // Without the session's token, nothing is made.
      expect((await agent.request('/admin/tokens', { form: { name: 'nightly export' } })).res.status).toBe(403);
      expect((await agent.request('/admin/tokens', { form: { _csrf: 'forged', name: 'nightly export' } })).res.status).toBe(403);
      expect(await db.selectFrom('staff_token').select('id').execute()).toEqual([]);
      expect((await agent.request('/admin/tokens', { form: { _csrf: csrf, name: '  ' } })).res.status).toBe(422);

      const made = await agent.request('/admin/tokens', { form: { _csrf: csrf, name: 'nightly <export>' } });
      expect(made.res.status).toBe(201);
      expect(made.res.headers.get('cache-control')).toBe('no-store');
      const token = /id="new-token" readonly value="(gst_[\w-]+)"/.exec(made.text)?.[1];
      expect(token).toBeDefined();
      expect(made.text).toContain('nightly &lt;export&gt;');
      const rows = await db.selectFrom('staff_token').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ staff_id: agentId, name: 'nightly <export>', token_hash: digest(token!), revoked_at: null });
      expect(JSON.stringify(rows)).not.toContain(token!);
      // Shown once: the list names it, never shows it again.
      const listed = await agent.request('/admin/tokens');
      expect(listed.text).toContain('nightly &lt;export&gt;');
      expect(listed.text).not.toContain(token!);

      // It opens the API as Agnès, and its last use shows on the page.
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token!) })).status).toBe(200);
      expect((await agent.request('/admin/tokens')).text).not.toMatch(/<td>never<\/td>/);

      // An agent cannot revoke another member's token: it is not theirs to see (404).
      const paulsToken = await issueStaffToken(db, adminId, 'Paul\'s backup', new Date());
      expect((await agent.request('/admin/tokens')).text).not.toContain('Paul&#39;s backup');
      const notTheirs = await agent.request(`/admin/tokens/${paulsToken.id}/revoke`, { form: { _csrf: csrf } });
      expect(notTheirs.res.status).toBe(404);
      expect((await db.selectFrom('staff_token').select('revoked_at').where('id', '=', paulsToken.id).executeTakeFirstOrThrow()).revoked_at).toBeNull();

      // Revoking needs the CSRF token too; then the token opens nothing.
      expect((await agent.request(`/admin/tokens/${rows[0]!.id}/revoke`, { form: {} })).res.status).toBe(403);
      const revoked = await agent.request(`/admin/tokens/${rows[0]!.id}/revoke`, { form: { _csrf: csrf } });
      expect(revoked.res.status).toBe(303);
      expect(revoked.res.headers.get('location')).toBe('/admin/tokens?revoked=1');
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(token!) })).status).toBe(401);
      expect((await agent.request('/admin/tokens?revoked=1')).text).toContain('Token revoked');

      // The admin sees everyone's tokens and may revoke any.
      const again = await issueStaffToken(db, agentId, 'second script', new Date());
      const admin = await signIn(g, 'paul@help.example.test', adminPassword);
      const adminPage = await admin.request('/admin/tokens');
      expect(adminPage.text).toContain('Other staff members’ tokens');
      expect(adminPage.text).toContain('second script');
      expect(adminPage.text).toContain('Agnès');
      const byAdmin = await admin.request(`/admin/tokens/${again.id}/revoke`, { form: { _csrf: hidden(adminPage.text, '_csrf') } });
      expect(byAdmin.res.status).toBe(303);
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(again.token) })).status).toBe(401);
      expect((await g.http.request('/api/v1/tickets', { headers: bearer(paulsToken.token) })).status).toBe(200);
    } finally {
      await g.stop();
    }
  });
});

// Who sees what (src/tickets/rights.ts), on both engines, through the admin (app.request, no port)
// and the JSON API: an agent of project ALPHA gets 404 on a ticket of project BETA — its page, its
// attachment, its answer, its draft, the bulk action, the API's read, change and reply — and the
// list, the counts and the search leave BETA's tickets out while the shared inbox (no project) stays
// in; an agent on no project sees everything, and so do admins and the integration token. Contacts,
// inbound mail and notifications follow their ticket. The API's contacts, outbox and inbound
// resources decide as the admin's pages do, within the same rights.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { addProject, addStaff } from '../../src/accounts/directory.ts';
import type { Guichet } from '../../src/app.ts';
import { issueStaffToken } from '../../src/http/auth.ts';
import { visibleProjects } from '../../src/tickets/rights.ts';
import { queueCounts } from '../../src/tickets/ticket-list.ts';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet, clientMail } from '../support/guichet.ts';
import { browser, hidden } from '../support/admin-browser.ts';

const engines = await testEngines();
const PIPE = { mailbox: 'pipe', uidValidity: null, uid: null };
describe.each(engines)('who sees what on $name', (engine) => {
  afterAll(() => engine.cleanup());

  async function setup() {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), overrides: { intake: { unknownSenders: 'hold' } } });
    const db = g.database.db;
    const now = new Date();
    const passwords = {
      paul: await addStaff(db, { email: 'paul@help.example.test', name: 'Paul', admin: true }, now),
      alice: await addStaff(db, { email: 'alice@help.example.test', name: 'Alice', admin: false }, now),
      bob: await addStaff(db, { email: 'bob@help.example.test', name: 'Bob', admin: false }, now),
      nora: await addStaff(db, { email: 'nora@help.example.test', name: 'Nora', admin: false }, now),
    };
    await addProject(db, { key: 'ALPHA', name: 'Alpha', staff: ['alice@help.example.test'] }, now);
    await addProject(db, { key: 'BETA', name: 'Beta', staff: ['bob@help.example.test'] }, now);
    const ids = Object.fromEntries((await db.selectFrom('staff').select(['id', 'email']).execute()).map((s) => [s.email.split('@')[0]!, s.id]));
    const tokens = {
      alice: (await issueStaffToken(db, ids.alice!, 'script', now)).token,
      nora: (await issueStaffToken(db, ids.nora!, 'script', now)).token,
      integration: API_TOKEN,
    };

    const api = (token: string, method: string, url: string, body?: unknown) =>
      g.http.request(`/api/v1${url}`, {
        method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
      });
    const open = async (reporter: string, summary: string, project?: string) => {
      const res = await api(API_TOKEN, 'POST', '/tickets', { reporter, summary, description: `${summary}: please help.`, project });
      expect(res.status).toBe(201);
      return ((await res.json()) as { number: number }).number;
    };
    const alpha = await open('ada@alpha-client.test', 'Alpha printer broken', 'ALPHA');
    const beta = await open('bea@beta-client.test', 'Beta printer jammed', 'BETA');
    const shared = await open('sam@shared.test', 'Shared printer question');

    // An attachment on BETA's ticket, its bytes where the admin reads them.
    const bytes = Buffer.from('%PDF-1.4 beta invoice');
    const sha = createHash('sha256').update(bytes).digest('hex');
    mkdirSync(path.join(g.config.dataDir, 'attachments', sha.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(g.config.dataDir, 'attachments', sha.slice(0, 2), sha), bytes);
    const betaEntry = await db.selectFrom('entry').innerJoin('ticket', 'ticket.id', 'entry.ticket_id').select('entry.id').where('ticket.number', '=', beta).executeTakeFirstOrThrow();
    const attachment = await db.insertInto('attachment')
      .values({ entry_id: betaEntry.id, filename: 'invoice.pdf', content_type: 'application/pdf', size: bytes.length, sha256: sha, content_id: null, inline: 0 })
      .returning('id').executeTakeFirstOrThrow();

    const deliver = (mail: Parameters<typeof clientMail>[0]) => g.intake.handle(Buffer.from(clientMail(mail).raw), PIPE);
    // Strangers writing on a ticket: quarantined, each on its ticket.
    const onBeta = await deliver({ from: 'mallory@elsewhere.test', subject: `Re: [#${beta}] Beta printer jammed`, body: 'Let me in' });
    const onAlpha = await deliver({ from: 'eve@elsewhere.test', subject: `Re: [#${alpha}] Alpha printer broken`, body: 'Me too' });
    expect([onBeta.state, onAlpha.state]).toEqual(['quarantined', 'quarantined']);
    // Unknown senders writing anew: pending accounts, their mail held, of no ticket yet.
    expect((await deliver({ from: 'Zoé <zoe@newclient.test>', subject: 'Invoice missing', body: 'Hello' })).state).toBe('held');
    expect((await deliver({ from: 'spam@nowhere.test', subject: 'Buy now', body: 'Cheap' })).state).toBe('held');

    // The acknowledgements of ALPHA's and BETA's tickets failed to send.
    const ack = async (number: number) => (await db.selectFrom('outbox').innerJoin('ticket', 'ticket.id', 'outbox.ticket_id')
      .select('outbox.id').where('ticket.number', '=', number).orderBy('outbox.id').executeTakeFirstOrThrow()).id;
    const acks = { alpha: await ack(alpha), beta: await ack(beta) };
    await db.updateTable('outbox').set({ state: 'failed', last_error: '550 no such user' }).where('id', 'in', [acks.alpha, acks.beta]).execute();

    async function signIn(who: keyof typeof passwords) {
      const b = browser(g);
      const login = await b.request('/admin/login');
      const res = await b.request('/admin/login', { form: { _csrf: hidden(login.text, '_csrf'), email: `${who}@help.example.test`, password: passwords[who] } });
      expect(res.res.status).toBe(303);
      return b;
    }

    return { g, db, ids, tokens, api, signIn, alpha, beta, shared, attachment: attachment.id, inbound: { onBeta: onBeta.inboundId, onAlpha: onAlpha.inboundId }, acks };
  }

  it('keeps an agent of ALPHA to ALPHA and the shared inbox in the admin: 404 on BETA everywhere, lists, counts and search without it', async () => {
    const { g, db, ids, signIn, alpha, beta, shared, attachment, inbound, acks } = await setup();
    try {
      expect(await visibleProjects(db, { staffId: ids.alice!, role: 'agent' })).toEqual([expect.any(Number), null]);
      expect(await visibleProjects(db, { staffId: ids.nora!, role: 'agent' })).toBe('all');
      expect(await visibleProjects(db, { staffId: ids.paul!, role: 'admin' })).toBe('all');

      const alice = await signIn('alice');
      expect((await alice.request(`/admin/tickets/${alpha}`)).res.status).toBe(200);
      expect((await alice.request(`/admin/tickets/${shared}`)).res.status).toBe(200);
      const page = await alice.request(`/admin/tickets/${beta}`);
      expect(page.res.status).toBe(404);
      expect(page.text).not.toContain('Beta printer jammed');
      expect((await alice.request(`/admin/tickets/${beta}/attachments/${attachment}`)).res.status).toBe(404);

      const csrf = hidden((await alice.request(`/admin/tickets/${alpha}`)).text, '_csrf');
      const entries = async () => (await db.selectFrom('entry').innerJoin('ticket', 'ticket.id', 'entry.ticket_id').select('entry.id').where('ticket.number', '=', beta).execute()).length;
      const before = await entries();
      const answer = await alice.request(`/admin/tickets/${beta}/answer`, { form: { _csrf: csrf, version: '999999', message: 'Hello from the wrong project', kind: 'note' } });
      expect(answer.res.status).toBe(404);
      expect((await alice.request(`/admin/tickets/${beta}/draft`, { form: { _csrf: csrf, text: 'draft' } })).res.status).toBe(404);
      expect(await entries()).toBe(before);
      expect(await db.selectFrom('draft').select('ticket_id').execute()).toEqual([]);
      // Marking an ALPHA ticket a duplicate of BETA's would tell BETA's exists: refused as unknown.
      const version = hidden((await alice.request(`/admin/tickets/${alpha}`)).text, 'version');
      const dup = await alice.request(`/admin/tickets/${alpha}/answer`, { form: { _csrf: csrf, version, duplicate_of: String(beta) } });
      expect(dup.res.status).toBe(422);
      expect(dup.text).toContain(`no ticket #${beta}`);

      // The list, the search and the counts: ALPHA's and the shared inbox's, never BETA's.
      for (const url of ['/admin/tickets?queue=all', '/admin/tickets?queue=open&q=printer', '/admin/tickets?queue=unassigned']) {
        const list = await alice.request(url);
        expect(list.text).toContain('Alpha printer broken');
        expect(list.text).toContain('Shared printer question');
        expect(list.text).not.toContain('Beta printer jammed');
      }
      const scope = await visibleProjects(db, { staffId: ids.alice!, role: 'agent' });
      const counts = await queueCounts(db, ids.alice!, scope);
      expect(counts).toMatchObject({ all: 2, open: 2, unassigned: 2, 'awaiting-staff': 2, quarantined: 1 });
      expect((await queueCounts(db, ids.paul!)).all).toBe(3);
      // The project filter offers only ALPHA.
      const filters = await alice.request('/admin/tickets');
      expect(filters.text).toContain('>Alpha</option>');
      expect(filters.text).not.toContain('>Beta</option>');

      // The bulk action changes ALPHA's ticket and refuses BETA's as unknown.
      const bulk = await alice.request('/admin/tickets/bulk', { form: { _csrf: csrf, numbers: [String(alpha), String(beta)], priority: 'critical', back: '/admin/tickets' } });
      expect(bulk.res.status).toBe(303);
      expect(decodeURIComponent(bulk.res.headers.get('location')!.replace(/\+/g, ' '))).toContain(`no ticket #${beta}`);
      const priorities = Object.fromEntries((await db.selectFrom('ticket').select(['number', 'priority']).execute()).map((t) => [t.number, t.priority]));
      expect(priorities[alpha]).toBe('critical');
      expect(priorities[beta]).not.toBe('critical');

      // The dashboard counts ALPHA and the shared inbox.
      const dashboard = await alice.request('/admin/dashboard');
      expect(dashboard.res.status).toBe(200);
      expect(dashboard.text).toContain('Alpha');
      expect(dashboard.text).not.toContain('Beta');

      // Mail follows its ticket: the quarantine of ALPHA's ticket is shown, BETA's is not there.
      const quarantine = await alice.request('/admin/quarantine');
      expect(quarantine.text).toContain(`href="/admin/quarantine/${inbound.onAlpha}"`);
      expect(quarantine.text).not.toContain(`href="/admin/quarantine/${inbound.onBeta}"`);
      expect((await alice.request(`/admin/quarantine/${inbound.onBeta}`)).res.status).toBe(404);
      expect((await alice.request(`/admin/quarantine/${inbound.onBeta}/raw`)).res.status).toBe(404);
      expect((await alice.request(`/admin/quarantine/${inbound.onBeta}/release`, { form: { _csrf: csrf } })).res.status).toBe(404);
      expect((await alice.request(`/admin/quarantine/${inbound.onBeta}/reject`, { form: { _csrf: csrf } })).res.status).toBe(404);
      expect((await db.selectFrom('inbound_message').select('state').where('id', '=', inbound.onBeta).executeTakeFirstOrThrow()).state).toBe('quarantined');
      expect((await alice.request(`/admin/outbox/${acks.beta}`)).res.status).toBe(404);
      expect((await alice.request(`/admin/outbox/${acks.beta}/html`)).res.status).toBe(404);
      expect((await alice.request(`/admin/outbox/${acks.beta}/retry`, { form: { _csrf: csrf } })).res.status).toBe(404);
      expect((await db.selectFrom('outbox').select('state').where('id', '=', acks.beta).executeTakeFirstOrThrow()).state).toBe('failed');
      const outbox = await alice.request('/admin/outbox?state=failed');
      expect(outbox.text).toContain(`href="/admin/outbox/${acks.alpha}"`);
      expect(outbox.text).not.toContain(`href="/admin/outbox/${acks.beta}"`);

      // Contacts: those of ALPHA's and the shared tickets, and those of no ticket (pending accounts).
      const contacts = await alice.request('/admin/accounts/contacts');
      for (const email of ['ada@alpha-client.test', 'sam@shared.test', 'zoe@newclient.test']) expect(contacts.text).toContain(email);
      expect(contacts.text).not.toContain('bea@beta-client.test');
      expect((await alice.request('/admin/accounts')).text).toContain('zoe@newclient.test');
      expect((await alice.request('/admin/accounts/block', { form: { _csrf: csrf, email: 'bea@beta-client.test' } })).res.status).toBe(404);
      expect((await db.selectFrom('contact').select('state').where('email', '=', 'bea@beta-client.test').executeTakeFirstOrThrow()).state).toBe('active');

      // An agent on no project, and an admin, see everything.
      for (const who of ['nora', 'paul'] as const) {
        const b = await signIn(who);
        expect((await b.request(`/admin/tickets/${beta}`)).res.status).toBe(200);
        expect((await b.request(`/admin/tickets/${beta}/attachments/${attachment}`)).res.status).toBe(200);
        expect((await b.request('/admin/tickets?queue=all')).text).toContain('Beta printer jammed');
        expect((await b.request(`/admin/quarantine/${inbound.onBeta}`)).res.status).toBe(200);
        expect((await b.request('/admin/accounts/contacts')).text).toContain('bea@beta-client.test');
      }
    } finally {
      await g.stop();
    }
  });

  it('keeps the API to the same rights, and decides on contacts, the outbox and inbound mail as the admin does', async () => {
    const { g, db, tokens, api, alpha, beta, shared, inbound, acks } = await setup();
    try {
      // Tickets: the list, a read, a change and a reply.
      const listed = async (token: string) => {
        const body = (await (await api(token, 'GET', '/tickets')).json()) as { total: number; tickets: Array<{ number: number }> };
        return { total: body.total, numbers: body.tickets.map((t) => t.number).sort() };
      };
      expect(await listed(tokens.alice)).toEqual({ total: 2, numbers: [alpha, shared].sort() });
      expect((await listed(tokens.nora)).total).toBe(3);
      expect((await listed(tokens.integration)).total).toBe(3);
      expect((await api(tokens.alice, 'GET', `/tickets/${alpha}`)).status).toBe(200);
      expect((await api(tokens.alice, 'GET', `/tickets/${beta}`)).status).toBe(404);
      expect((await api(tokens.alice, 'PATCH', `/tickets/${beta}`, { priority: 'critical' })).status).toBe(404);
      expect((await api(tokens.alice, 'POST', `/tickets/${beta}/replies`, { message: 'Hi', internal: true })).status).toBe(404);
      expect((await api(tokens.alice, 'PATCH', `/tickets/${alpha}`, { status: 'closed', resolution: 'duplicate', duplicate_of: beta })).status).toBe(404);
      expect((await db.selectFrom('ticket').select(['priority', 'status']).where('number', '=', beta).executeTakeFirstOrThrow()).priority).not.toBe('critical');
      expect((await api(tokens.nora, 'GET', `/tickets/${beta}`)).status).toBe(200);
      expect((await api(tokens.alice, 'POST', `/tickets/${alpha}/replies`, { message: 'On it', internal: true })).status).toBe(201);
      // A ticket opened for a client, or an announcement, only on a project the caller may see.
      const opened = await api(tokens.alice, 'POST', '/tickets', { reporter: 'zoe@example.org', summary: 'Elsewhere', description: 'x', project: 'BETA' });
      expect([opened.status, await opened.json()]).toEqual([422, { error: 'no project BETA' }]);
      expect((await api(tokens.alice, 'POST', '/announcements', { project: 'BETA', summary: 'Down', message: 'x', starts_at: new Date().toISOString() })).status).toBe(422);
      expect((await api(tokens.alice, 'POST', '/tickets', { reporter: 'zoe@example.org', summary: 'Here', description: 'x', project: 'ALPHA' })).status).toBe(201);

      // Contacts.
      const contacts = async (token: string, query = '') =>
        ((await (await api(token, 'GET', `/contacts${query}`)).json()) as { contacts: Array<{ email: string; state: string; held: number }>; next: number | null });
      const seen = (await contacts(tokens.alice)).contacts.map((c) => c.email);
      expect(seen).toEqual(expect.arrayContaining(['ada@alpha-client.test', 'sam@shared.test', 'zoe@newclient.test', 'spam@nowhere.test']));
      expect(seen).not.toContain('bea@beta-client.test');
      expect((await contacts(tokens.integration)).contacts.map((c) => c.email)).toContain('bea@beta-client.test');
      const pending = await contacts(tokens.alice, '?state=pending&limit=1');
      expect(pending.contacts).toHaveLength(1);
      expect(pending.next).not.toBeNull();
      expect((await api(tokens.alice, 'GET', '/contacts?state=nonsense')).status).toBe(422);
      expect((await api(tokens.alice, 'POST', '/contacts/bea@beta-client.test/block')).status).toBe(404);
      expect((await api(tokens.alice, 'POST', '/contacts/nobody@nowhere.test/block')).status).toBe(404);
      expect((await api(tokens.alice, 'POST', '/contacts/not-an-address/block')).status).toBe(404);

      const validated = await api(tokens.alice, 'POST', '/contacts/Zoe@NewClient.test/validate');
      expect(validated.status).toBe(200);
      const released = (await validated.json()) as { state: string; released: Array<{ state: string; ticket: number | null }> };
      expect(released.state).toBe('active');
      // Her mail ran through the intake again: with two projects and no organisation, she is asked which one.
      expect(released.released).toEqual([expect.objectContaining({ state: 'held', outcome: 'awaiting project choice' })]);
      expect((await api(tokens.alice, 'POST', '/contacts/zoe@newclient.test/validate')).status).toBe(409);

      // spam's held mail waits for an account decision: releasing it is not the way.
      const held = await db.selectFrom('inbound_message').innerJoin('contact', 'contact.id', 'inbound_message.contact_id').select('inbound_message.id')
        .where('contact.email', '=', 'spam@nowhere.test').executeTakeFirstOrThrow();
      const notThisWay = await api(tokens.alice, 'POST', `/inbound/${held.id}/release`);
      expect(notThisWay.status).toBe(409);
      expect(((await notThisWay.json()) as { error: string }).error).toContain('validate the contact');

      const badBody = await g.http.request('/api/v1/contacts/spam@nowhere.test/refuse', { method: 'POST', headers: { authorization: `Bearer ${tokens.alice}` }, body: 'message=no' });
      expect(badBody.status).toBe(400);
      const refused = await api(tokens.alice, 'POST', '/contacts/spam@nowhere.test/refuse', { message: 'We only serve our clients.' });
      expect(refused.status).toBe(200);
      expect((await db.selectFrom('outbox').select('text').where('recipient', '=', 'spam@nowhere.test').execute()).some((m) => m.text.includes('We only serve our clients.'))).toBe(true);
      expect((await api(tokens.alice, 'POST', '/contacts/spam@nowhere.test/refuse')).status).toBe(409);
      expect((await api(tokens.alice, 'POST', '/contacts/spam@nowhere.test/block')).status).toBe(200);
      expect((await db.selectFrom('contact').select('state').where('email', '=', 'spam@nowhere.test').executeTakeFirstOrThrow()).state).toBe('blocked');

      // The outbox.
      const failed = ((await (await api(tokens.alice, 'GET', '/outbox?state=failed')).json()) as { notifications: Array<{ id: number; ticket: number | null; last_error: string }> }).notifications;
      expect(failed.map((n) => n.id)).toEqual([acks.alpha]);
      expect(failed[0]).toMatchObject({ ticket: alpha, last_error: '550 no such user' });
      expect((await api(tokens.alice, 'POST', `/outbox/${acks.beta}/retry`)).status).toBe(404);
      expect((await api(tokens.alice, 'POST', `/outbox/${acks.alpha}/retry`)).status).toBe(200);
      expect((await api(tokens.alice, 'POST', `/outbox/${acks.alpha}/retry`)).status).toBe(409);
      expect((await api(tokens.integration, 'POST', `/outbox/${acks.beta}/retry`)).status).toBe(200);
      expect((await db.selectFrom('outbox').select('state').where('id', 'in', [acks.alpha, acks.beta]).execute()).map((r) => r.state)).toEqual(['pending', 'pending']);

      // Inbound mail.
      const waiting = ((await (await api(tokens.alice, 'GET', '/inbound?state=quarantined')).json()) as { messages: Array<{ id: number; ticket: number | null; reason: string }> }).messages;
      expect(waiting.map((m) => m.id)).toEqual([inbound.onAlpha]);
      expect(waiting[0]!.ticket).toBe(alpha);
      expect((await api(tokens.alice, 'GET', '/inbound?state=processed')).status).toBe(422);
      expect((await api(tokens.alice, 'POST', `/inbound/${inbound.onBeta}/release`)).status).toBe(404);
      expect((await api(tokens.alice, 'POST', `/inbound/${inbound.onBeta}/reject`)).status).toBe(404);
      const again = await api(tokens.alice, 'POST', `/inbound/${inbound.onAlpha}/release`);
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id: inbound.onAlpha, state: 'quarantined' });
      expect((await api(tokens.alice, 'POST', `/inbound/${inbound.onAlpha}/reject`)).status).toBe(200);
      expect((await api(tokens.alice, 'POST', `/inbound/${inbound.onAlpha}/reject`)).status).toBe(409);
      expect((await api(tokens.integration, 'POST', `/inbound/${inbound.onBeta}/reject`)).status).toBe(200);
      const outcomes = Object.fromEntries((await db.selectFrom('inbound_message').select(['id', 'state', 'outcome']).where('id', 'in', [inbound.onAlpha, inbound.onBeta]).execute()).map((r) => [r.id, `${r.state}: ${r.outcome}`]));
      expect(outcomes).toEqual({ [inbound.onAlpha]: 'ignored: rejected by alice@help.example.test', [inbound.onBeta]: 'ignored: rejected by integration' });

      // Described with the rest.
      const doc = (await (await g.http.request('/api/v1/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
      for (const route of ['/contacts', '/contacts/{email}/validate', '/contacts/{email}/refuse', '/contacts/{email}/block', '/outbox', '/outbox/{id}/retry', '/inbound', '/inbound/{id}/release', '/inbound/{id}/reject']) {
        expect(Object.keys(doc.paths)).toContain(route);
      }
    } finally {
      await g.stop();
    }
  });
});

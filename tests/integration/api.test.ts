// The read API through Hono's app.request (no port): bearer auth, paging, a ticket with its thread,
// and /healthz (its details for token holders only).
import { afterAll, describe, expect, it } from 'vitest';
import { testEngines } from '../support/databases.ts';
import { API_TOKEN, buildGuichet, clientMail } from '../support/guichet.ts';

const engines = await testEngines();

describe.each(engines)('read API on $name', (engine) => {
  afterAll(() => engine.cleanup());

  it('answers only with the bearer token, pages tickets and shows a ticket with its entries', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl() });
    try {
      for (let i = 1; i <= 3; i++) {
        await g.intake.handle(Buffer.from(clientMail({ subject: `Request ${i}`, body: `Body ${i}` }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });
      }
      await g.intake.handle(Buffer.from(clientMail({ subject: 'Re: [#2] Request 2', body: 'Follow-up\r\n\r\n> Body 2' }).raw), { mailbox: 'pipe', uidValidity: null, uid: null });

      expect((await g.http.request('/api/v1/tickets')).status).toBe(401);
      const wrong = await g.http.request('/api/v1/tickets', { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const auth = { headers: { authorization: `Bearer ${API_TOKEN}` } };
      const page1 = await (await g.http.request('/api/v1/tickets?per_page=2', auth)).json();
      expect(page1).toMatchObject({ page: 1, per_page: 2, total: 3 });
      expect(page1.tickets.map((t: any) => t.number)).toEqual([3, 2]);
      const page2 = await (await g.http.request('/api/v1/tickets?per_page=2&page=2', auth)).json();
      expect(page2.tickets.map((t: any) => [t.number, t.summary, t.status, t.reporter])).toEqual([[1, 'Request 1', 'new', 'ada@example.com']]);

      const ticket = await (await g.http.request('/api/v1/tickets/2', auth)).json();
      expect(ticket).toMatchObject({ number: 2, summary: 'Request 2', type: 'assistance', priority: 'minor', resolution: 'open', visibility: 'public' });
      expect(ticket.entries.map((e: any) => e.text)).toEqual(['Body 2', 'Follow-up']);
      // The secret behind the "it works / still broken" links never leaves the server.
      expect(ticket).not.toHaveProperty('action_token');
      expect(ticket.entries[1].full_text).toContain('> Body 2');

      expect((await g.http.request('/api/v1/tickets/99', auth)).status).toBe(404);
      const health = await g.http.request('/healthz', auth);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ ok: true, database: { ok: true }, mailbox: null, outbox: { pending: expect.any(Number) } });
      expect(await (await g.http.request('/healthz')).json()).toEqual({ ok: true });
    } finally {
      await g.stop();
    }
  });

  it('reports an unhealthy mailbox with 503', async () => {
    const g = await buildGuichet({ databaseUrl: await engine.freshUrl(), imapUrl: 'imap://u:p@127.0.0.1:1/INBOX' });
    try {
      const res = await g.http.request('/healthz', { headers: { authorization: `Bearer ${API_TOKEN}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false, database: { ok: true }, mailbox: { connected: false } });
      // Without a token: only that it is down, not why.
      const bare = await g.http.request('/healthz');
      expect(bare.status).toBe(503);
      expect(await bare.json()).toEqual({ ok: false });
    } finally {
      await g.stop();
    }
  });
});

// The read API for scripts and integrations, behind a bearer token. Staff pages come later; they
// will share these queries.
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { createTicketActions, type TicketActionDeps } from './ticket-actions.ts';

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createApi(deps: { db: Kysely<Database>; apiToken: string | null; actions: TicketActionDeps }) {
  const api = new Hono();

  api.use('*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!deps.apiToken || !token || !sameToken(token, deps.apiToken)) {
      c.header('WWW-Authenticate', 'Bearer realm="guichet"');
      throw new HTTPException(401, { message: deps.apiToken ? 'missing or wrong bearer token' : 'the API is disabled: set admin.apiToken' });
    }
    await next();
  });

  api.get('/tickets', async (c) => {
    const page = Math.max(1, Number(c.req.query('page') ?? 1) || 1);
    const perPage = Math.min(100, Math.max(1, Number(c.req.query('per_page') ?? 25) || 25));
    const status = c.req.query('status');
    let q = deps.db
      .selectFrom('ticket')
      .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
      .select([
        'ticket.number', 'ticket.summary', 'ticket.type', 'ticket.priority', 'ticket.status',
        'ticket.resolution', 'ticket.visibility', 'ticket.awaiting', 'ticket.created_at', 'ticket.updated_at',
        'contact.email as reporter',
      ]);
    if (status) q = q.where('ticket.status', '=', status);
    const [rows, total] = await Promise.all([
      q.orderBy('ticket.number', 'desc').limit(perPage).offset((page - 1) * perPage).execute(),
      deps.db
        .selectFrom('ticket')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .$if(Boolean(status), (qb) => qb.where('status', '=', status!))
        .executeTakeFirstOrThrow(),
    ]);
    return c.json({ page, per_page: perPage, total: Number(total.n), tickets: rows });
  });

  api.get('/tickets/:number{[0-9]+}', async (c) => {
    const number = Number(c.req.param('number'));
    const ticket = await deps.db
      .selectFrom('ticket')
      .leftJoin('contact', 'contact.id', 'ticket.reporter_id')
      .selectAll('ticket')
      .select(['contact.email as reporter', 'contact.name as reporter_name'])
      .where('ticket.number', '=', number)
      .executeTakeFirst();
    if (!ticket) throw new HTTPException(404, { message: `no ticket #${number}` });
    const all = await deps.db
      .selectFrom('entry')
      .select(['id', 'kind', 'author_email', 'text', 'full_text', 'message_id', 'created_at'])
      .where('ticket_id', '=', ticket.id)
      .orderBy('id')
      .execute();
    // The description is the first entry's text, stored once; full_text is null when it is the text.
    const description = all[0]?.text ?? '';
    const entries = all.filter((e) => e.kind !== 'note').map((e) => ({ ...e, full_text: e.full_text ?? e.text }));
    const attachments = entries.length
      ? await deps.db
          .selectFrom('attachment')
          .select(['entry_id', 'filename', 'content_type', 'size', 'sha256'])
          .where('entry_id', 'in', entries.map((e) => e.id))
          .orderBy('id')
          .execute()
      : [];
    const watchers = await deps.db.selectFrom('ticket_watcher').select('email').where('ticket_id', '=', ticket.id).execute();
    const { id: _id, reporter_id: _r, ...fields } = ticket;
    return c.json({
      ...fields,
      description,
      watchers: watchers.map((w) => w.email),
      entries: entries.map((e) => ({ ...e, attachments: attachments.filter((a) => a.entry_id === e.id).map(({ entry_id: _e, ...a }) => a) })),
    });
  });

  api.route('/', createTicketActions(deps.actions));
  return api;
}

// /api/v1/outbox: the notifications Guichet sends, by state, with their attempts and last error, and
// "retry now" for a failed one (back to pending, due now, attempts kept), as the admin's Outbox page
// and `guichet outbox retry` do. Every staff member may retry, as on that page; a notification of a
// ticket outside the caller's projects answers 404 (tickets/rights.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { AdminPorts } from '../admin/ports.ts';
import { scopeMail, visibleMail } from '../../tickets/rights.ts';
import { callerScope, type ApiDeps } from './deps.ts';
import { apiApp, bearerSecurity, errors } from './openapi.ts';

const STATES = ['pending', 'sent', 'failed', 'bounced'] as const;
const PAGE = 50;

const listQuery = z.object({
  state: z.enum(STATES).optional(),
  before: z.coerce.number().int().positive().optional().catch(undefined).openapi({ type: 'integer', minimum: 1, description: 'the `next` of the previous page' }),
  limit: z.coerce.number().int().catch(PAGE).transform((n) => Math.min(200, Math.max(1, n))).openapi({ type: 'integer', minimum: 1, maximum: 200, default: PAGE }),
});

const idParam = z.object({ id: z.string().regex(/^[0-9]{1,15}$/).openapi({ param: { name: 'id', in: 'path' }, example: '42' }) });

const Notification = z
  .object({
    id: z.number().int(), ticket: z.number().int().nullable(), event: z.string(), recipient: z.string(), subject: z.string(),
    state: z.enum(STATES), attempts: z.number().int(), last_error: z.string().nullable(), created_at: z.string(),
    sent_at: z.string().nullable(), next_attempt_at: z.string(),
  })
  .openapi('Notification');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const list = createRoute({
  method: 'get', path: '/', summary: 'Notifications, newest first, by state', security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: json(z.object({ notifications: z.array(Notification), next: z.number().int().nullable().openapi({ description: 'pass as `before` for the following page; null on the last' }) }), 'a page of notifications'),
    ...errors(422),
  },
});

const retry = createRoute({
  method: 'post', path: '/{id}/retry', summary: 'Send a failed notification again now', security: bearerSecurity,
  request: { params: idParam },
  responses: { 200: json(z.object({ id: z.number().int(), state: z.literal('pending') }), 'back to pending, due now'), ...errors(404, 409) },
});

export function outboxApi(deps: ApiDeps & { ports: AdminPorts }) {
  const app = apiApp();

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const scope = await callerScope(deps, c.get('caller'));
    const rows = await deps.db
      .selectFrom('outbox')
      .leftJoin('ticket', 'ticket.id', 'outbox.ticket_id')
      .select([
        'outbox.id', 'ticket.number as ticket', 'outbox.event', 'outbox.recipient', 'outbox.subject', 'outbox.state', 'outbox.attempts',
        'outbox.last_error', 'outbox.created_at', 'outbox.sent_at', 'outbox.next_attempt_at',
      ])
      .$if(q.state !== undefined, (qb) => qb.where('outbox.state', '=', q.state!))
      .$if(q.before !== undefined, (qb) => qb.where('outbox.id', '<', q.before!))
      .$call((qb) => scopeMail(qb, scope, 'outbox'))
      .orderBy('outbox.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const shown = rows.slice(0, q.limit);
    return c.json({
      notifications: shown.map((r) => ({ ...r, ticket: r.ticket === null ? null : Number(r.ticket) })),
      next: rows.length > q.limit ? shown.at(-1)!.id : null,
    }, 200);
  });

  app.openapi(retry, async (c) => {
    const id = Number(c.req.valid('param').id);
    if (!(await visibleMail(deps.db, await callerScope(deps, c.get('caller')), 'outbox', id))) throw new HTTPException(404, { message: `no notification ${id}` });
    if (!(await deps.ports.outbox.retry(id))) throw new HTTPException(409, { message: `notification ${id} has not failed` });
    return c.json({ id, state: 'pending' as const }, 200);
  });

  return app;
}

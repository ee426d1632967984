// /api/v1/tickets: list, read, change (PATCH), reply or note, open for a client. Each route parses
// its input with an explicit schema and calls one read or one staff verb; a write is one
// transaction: everything it names happens, with its events and notifications, or nothing does.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { PRIORITIES, RESOLUTIONS, STATUSES, TYPES, VISIBILITIES } from '../../db/schema.ts';
import { listTickets, ticketDetail } from '../../tickets/queries.ts';
import { changeFields, inTransaction, openForClient, replyToTicket } from '../../tickets/staff-verbs.ts';
import { actorOf } from '../auth.ts';
import { accepted, body, parsed } from '../input.ts';
import type { ApiDeps } from './deps.ts';

const listQuery = z.object({
  page: z.coerce.number().int().catch(1).transform((n) => Math.max(1, n)),
  per_page: z.coerce.number().int().catch(25).transform((n) => Math.min(100, Math.max(1, n))),
  status: z.enum(STATUSES).optional(),
});

const patchSchema = z
  .object({
    priority: z.enum(PRIORITIES).optional(),
    type: z.enum(TYPES).optional(),
    assignee: z.email().nullable().optional(),
    duplicate_of: z.number().int().positive().optional(),
    resolution: z.enum(RESOLUTIONS).optional(),
    status: z.enum(STATUSES).optional(),
    reopen: z.literal(true).optional(),
    // The seed's evaluation of a ticket: internal to staff, never mailed.
    urgency: z.string().max(100).nullable().optional(),
    impact: z.string().max(100).nullable().optional(),
    cost_estimate: z.string().max(100).nullable().optional(),
    message: z.string().max(100_000).optional(),
  })
  .strict();

const openSchema = z
  .object({
    reporter: z.email(),
    reporter_name: z.string().max(200).optional(),
    summary: z.string().trim().min(1).max(250),
    description: z.string().trim().min(1).max(100_000),
    type: z.enum(TYPES).optional(),
    priority: z.enum(PRIORITIES).optional(),
    visibility: z.enum(VISIBILITIES).optional(),
    project: z.string().optional(),
  })
  .strict();

const replySchema = z.object({ message: z.string().trim().min(1).max(100_000), internal: z.boolean().default(false) }).strict();

export function ticketsApi(deps: ApiDeps) {
  const app = new Hono();
  const number = (param: string) => Number(param);

  app.get('/', async (c) => {
    const q = parsed(listQuery, c.req.query());
    const { tickets, total } = await listTickets(deps.db, { page: q.page, perPage: q.per_page, status: q.status });
    return c.json({ page: q.page, per_page: q.per_page, total, tickets });
  });

  app.get('/:number{[0-9]+}', async (c) => {
    const ticket = await ticketDetail(deps.db, number(c.req.param('number')));
    if (!ticket) throw new HTTPException(404, { message: `no ticket #${c.req.param('number')}` });
    return c.json(ticket);
  });

  app.post('/', async (c) => {
    const input = await body(openSchema, c.req);
    const actor = await actorOf(deps.db, c.req.header('x-guichet-staff'));
    const { ticket } = accepted(await inTransaction(deps.db, (trx) => openForClient(trx, deps.verbs, actor, {
      reporter: input.reporter, reporterName: input.reporter_name, summary: input.summary, description: input.description,
      type: input.type, priority: input.priority, visibility: input.visibility, project: input.project,
    }, new Date())));
    return c.json({ number: ticket.number }, 201);
  });

  app.patch('/:number{[0-9]+}', async (c) => {
    const input = await body(patchSchema, c.req);
    const actor = await actorOf(deps.db, c.req.header('x-guichet-staff'));
    const { duplicate_of: duplicateOf, ...rest } = input;
    const { ticket } = accepted(await inTransaction(deps.db, (trx) =>
      changeFields(trx, deps.verbs, actor, number(c.req.param('number')), { ...rest, duplicateOf }, new Date())));
    return c.json({
      number: ticket.number, status: ticket.status, resolution: ticket.resolution, priority: ticket.priority, type: ticket.type,
      awaiting: ticket.awaiting, duplicate_of: ticket.duplicate_of, urgency: ticket.urgency, impact: ticket.impact, cost_estimate: ticket.cost_estimate,
    });
  });

  app.post('/:number{[0-9]+}/replies', async (c) => {
    const input = await body(replySchema, c.req);
    const actor = await actorOf(deps.db, c.req.header('x-guichet-staff'));
    const { entry } = accepted(await inTransaction(deps.db, (trx) =>
      replyToTicket(trx, deps.verbs, actor, { number: number(c.req.param('number')), message: input.message, internal: input.internal }, new Date())));
    return c.json({ id: entry.id, kind: entry.kind }, 201);
  });

  return app;
}

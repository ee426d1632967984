// /api/v1/tickets: list, read, change (PATCH), reply or note, open for a client. Each route's schemas
// check its input and describe it in /api/v1/openapi.json; each calls one read or one staff verb as
// its caller; a write is one transaction: everything it names happens, with its events and
// notifications, or nothing does.
import { createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { PRIORITIES, RESOLUTIONS, STATUSES, TYPES, VISIBILITIES } from '../../db/schema.ts';
import { listTickets, ticketDetail } from '../../tickets/queries.ts';
import { visibleTicket } from '../../tickets/rights.ts';
import { changeFields, inTransaction, openForClient, replyToTicket } from '../../tickets/staff-verbs.ts';
import { accepted } from '../input.ts';
import { callerScope, mustUseProject, type ApiDeps } from './deps.ts';
import type { ApiCaller } from '../auth.ts';
import { apiApp, bearerSecurity, errors, jsonBody, jsonRoute } from './openapi.ts';

// Two ways through the list, newest first: `after` (keyset: the last number seen, which the answer's
// `next` gives) reads each page straight from the index on number, however deep; `page` (OFFSET) is
// kept for the scripts written for it, and costs every ticket it skips. A cursor that does not parse
// is refused rather than read as the first page, which would send a loop round forever.
const listQuery = z
  .object({
    page: z.coerce.number().int().catch(1).transform((n) => Math.max(1, n))
      .openapi({ type: 'integer', minimum: 1, default: 1, description: 'offset paging, kept for older scripts; prefer `after`' }),
    per_page: z.coerce.number().int().catch(25).transform((n) => Math.min(100, Math.max(1, n))).openapi({ type: 'integer', minimum: 1, maximum: 100, default: 25 }),
    status: z.enum(STATUSES).optional(),
    after: z.coerce.number().int().positive().optional()
      .openapi({ type: 'integer', minimum: 1, description: 'the tickets numbered below this one: pass the previous page\'s `next`; not with `page` above 1' }),
  })
  .refine((q) => q.after === undefined || q.page === 1, { path: ['page'], message: 'page and after do not combine: after alone says where the page starts' });

const numberParam = z.object({ number: z.string().regex(/^[0-9]+$/).openapi({ param: { name: 'number', in: 'path' }, example: '12' }) });

const patchSchema = z
  .object({
    priority: z.enum(PRIORITIES).optional(),
    type: z.enum(TYPES).optional(),
    assignee: z.email().nullable().optional().openapi({ description: 'a staff member\'s address; null unassigns' }),
    duplicate_of: z.number().int().positive().optional(),
    resolution: z.enum(RESOLUTIONS).optional(),
    status: z.enum(STATUSES).optional(),
    reopen: z.literal(true).optional(),
    // The seed's evaluation of a ticket: internal to staff, never mailed.
    urgency: z.string().max(100).nullable().optional(),
    impact: z.string().max(100).nullable().optional(),
    cost_estimate: z.string().max(100).nullable().optional(),
    message: z.string().max(100_000).optional().openapi({ description: 'mailed to the client with the change' }),
  })
  .strict()
  .openapi('TicketChange');

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
  .strict()
  .openapi('NewTicket');

const replySchema = z
  .object({ message: z.string().trim().min(1).max(100_000), internal: z.boolean().default(false).openapi({ description: 'an internal note, never mailed' }) })
  .strict()
  .openapi('Reply');

const awaiting = z.enum(['client', 'staff']).nullable();

const TicketSummary = z
  .object({
    number: z.number().int(), summary: z.string(), type: z.enum(TYPES), priority: z.enum(PRIORITIES), status: z.enum(STATUSES),
    resolution: z.enum(RESOLUTIONS), visibility: z.enum(VISIBILITIES), awaiting, created_at: z.string(), updated_at: z.string(),
    reporter: z.string().nullable(),
  })
  .openapi('TicketSummary');

const Entry = z
  .object({
    id: z.number().int(), kind: z.string(), author_email: z.string().nullable(), text: z.string(), full_text: z.string(),
    message_id: z.string().nullable(), created_at: z.string(),
    unverified: z.string().nullable().openapi({ description: 'why the sender could not be authenticated, when it could not' }),
    attachments: z.array(z.object({ filename: z.string(), content_type: z.string(), size: z.number().int(), sha256: z.string() })),
  })
  .openapi('Entry');

// Every column of the ticket is returned; these are the ones a script relies on.
const TicketDetail = z
  .looseObject({
    number: z.number().int(), summary: z.string(), type: z.enum(TYPES), priority: z.enum(PRIORITIES), status: z.enum(STATUSES),
    resolution: z.enum(RESOLUTIONS), visibility: z.enum(VISIBILITIES), awaiting, duplicate_of: z.number().int().nullable(),
    reporter: z.string().nullable(), reporter_name: z.string().nullable(), description: z.string(), watchers: z.array(z.string()),
    entries: z.array(Entry), created_at: z.string(), updated_at: z.string(),
  })
  .openapi('Ticket');

const ChangedTicket = z
  .object({
    number: z.number().int(), status: z.enum(STATUSES), resolution: z.enum(RESOLUTIONS), priority: z.enum(PRIORITIES), type: z.enum(TYPES),
    awaiting, duplicate_of: z.number().int().nullable(), urgency: z.string().nullable(), impact: z.string().nullable(), cost_estimate: z.string().nullable(),
  })
  .openapi('ChangedTicket');

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const list = createRoute({
  method: 'get', path: '/', summary: 'Tickets, newest first by number: follow `next` with `after`', security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: json(z.object({
      page: z.number().int(),
      per_page: z.number().int(),
      total: z.number().int().openapi({ description: 'every ticket the caller sees with this status (or any), whichever page this is' }),
      next: z.number().int().nullable().openapi({ description: 'pass as `after` for the following page; null on the last' }),
      tickets: z.array(TicketSummary),
    }), 'a page of tickets'),
    ...errors(422),
  },
});

const read = createRoute({
  method: 'get', path: '/{number}', summary: 'A ticket with its public thread', security: bearerSecurity,
  request: { params: numberParam },
  responses: { 200: json(TicketDetail, 'the ticket'), ...errors(404) },
});

const open = createRoute({
  method: 'post', path: '/', summary: 'Open a ticket for a client (who gets the acknowledgement)', security: bearerSecurity, ...jsonRoute,
  request: jsonBody(openSchema),
  responses: { 201: json(z.object({ number: z.number().int() }), 'the new ticket'), ...errors(400, 404, 409, 413, 422) },
});

const change = createRoute({
  method: 'patch', path: '/{number}', summary: 'Change fields and status in one transaction', security: bearerSecurity, ...jsonRoute,
  request: { params: numberParam, ...jsonBody(patchSchema) },
  responses: { 200: json(ChangedTicket, 'the ticket after the change'), ...errors(400, 404, 409, 413, 422) },
});

const reply = createRoute({
  method: 'post', path: '/{number}/replies', summary: 'A public reply (mailed to the client) or an internal note', security: bearerSecurity, ...jsonRoute,
  request: { params: numberParam, ...jsonBody(replySchema) },
  responses: { 201: json(z.object({ id: z.number().int(), kind: z.string() }), 'the new entry'), ...errors(400, 404, 409, 413, 422) },
});

export function ticketsApi(deps: ApiDeps) {
  const app = apiApp();
  /** A ticket outside the caller's projects answers as one that does not exist. */
  const mustSee = async (caller: ApiCaller, number: string) => {
    if (!(await visibleTicket(deps.db, await callerScope(deps, caller), Number(number)))) throw new HTTPException(404, { message: `no ticket #${number}` });
  };

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const scope = await callerScope(deps, c.get('caller'));
    const { tickets, total, next } = await listTickets(deps.db, { page: q.page, perPage: q.per_page, status: q.status, scope, after: q.after });
    return c.json({ page: q.page, per_page: q.per_page, total, next, tickets }, 200);
  });

  app.openapi(read, async (c) => {
    const { number } = c.req.valid('param');
    await mustSee(c.get('caller'), number);
    const ticket = await ticketDetail(deps.db, Number(number));
    if (!ticket) throw new HTTPException(404, { message: `no ticket #${number}` });
    return c.json(ticket, 200);
  });

  app.openapi(open, async (c) => {
    const input = c.req.valid('json');
    const actor = c.get('caller').actor;
    await mustUseProject(deps, c.get('caller'), input.project);
    const { ticket } = accepted(await inTransaction(deps.db, (trx) => openForClient(trx, deps.verbs, actor, {
      reporter: input.reporter, reporterName: input.reporter_name, summary: input.summary, description: input.description,
      type: input.type, priority: input.priority, visibility: input.visibility, project: input.project,
    }, new Date())));
    return c.json({ number: ticket.number }, 201);
  });

  app.openapi(change, async (c) => {
    const input = c.req.valid('json');
    const actor = c.get('caller').actor;
    const { duplicate_of: duplicateOf, ...rest } = input;
    await mustSee(c.get('caller'), c.req.valid('param').number);
    // The ticket it duplicates must be one the caller may see too, or the answer would tell it exists.
    if (duplicateOf !== undefined) await mustSee(c.get('caller'), String(duplicateOf));
    const { ticket } = accepted(await inTransaction(deps.db, (trx) =>
      changeFields(trx, deps.verbs, actor, Number(c.req.valid('param').number), { ...rest, duplicateOf }, new Date())));
    return c.json({
      number: ticket.number, status: ticket.status, resolution: ticket.resolution, priority: ticket.priority, type: ticket.type,
      awaiting: ticket.awaiting, duplicate_of: ticket.duplicate_of, urgency: ticket.urgency, impact: ticket.impact, cost_estimate: ticket.cost_estimate,
    }, 200);
  });

  app.openapi(reply, async (c) => {
    const input = c.req.valid('json');
    const actor = c.get('caller').actor;
    await mustSee(c.get('caller'), c.req.valid('param').number);
    const { entry } = accepted(await inTransaction(deps.db, (trx) =>
      replyToTicket(trx, deps.verbs, actor, { number: Number(c.req.valid('param').number), message: input.message, internal: input.internal }, new Date())));
    return c.json({ id: entry.id, kind: entry.kind }, 201);
  });

  return app;
}

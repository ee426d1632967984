// /api/v1/inbound: the mail that became no ticket or comment and waits for staff — quarantined,
// failed, or held — with its reason, and the two decisions of the admin's Quarantine page: release
// (a quarantined or failed message runs through the intake again; one held past its sender's bound
// of new tickets is let through) and reject (set aside for good, recorded as `ignored` with who
// decided; the raw bytes stay). Mail held for an account decision is released by validating the
// contact (/contacts/{email}/validate). Every staff member may decide, as on that page; mail of a
// ticket outside the caller's projects answers 404 (tickets/rights.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { holdKind } from '../admin/pages/mail.ts';
import type { AdminPorts } from '../admin/ports.ts';
import type { ApiCaller } from '../auth.ts';
import { scopeMail } from '../../tickets/rights.ts';
import { callerScope, type ApiDeps } from './deps.ts';
import { apiApp, bearerSecurity, errors } from './openapi.ts';

const WAITING = ['quarantined', 'held', 'failed'] as const;
const PAGE = 50;

const listQuery = z.object({
  state: z.enum(WAITING).optional().openapi({ description: 'all three when absent' }),
  before: z.coerce.number().int().positive().optional().catch(undefined).openapi({ type: 'integer', minimum: 1, description: 'the `next` of the previous page' }),
  limit: z.coerce.number().int().catch(PAGE).transform((n) => Math.min(200, Math.max(1, n))).openapi({ type: 'integer', minimum: 1, maximum: 200, default: PAGE }),
});

const idParam = z.object({ id: z.string().regex(/^[0-9]{1,15}$/).openapi({ param: { name: 'id', in: 'path' }, example: '7' }) });

const InboundMail = z
  .object({
    id: z.number().int(), state: z.enum(WAITING), reason: z.string().nullable().openapi({ description: 'why it waits, as the intake recorded it' }),
    sender: z.string().nullable().openapi({ description: 'the contact it was identified as' }), ticket: z.number().int().nullable(),
    message_id: z.string().nullable(), size: z.number().int(), received_at: z.string(), processed_at: z.string().nullable(),
  })
  .openapi('InboundMail');

const Outcome = z
  .object({ id: z.number().int(), state: z.string(), outcome: z.string(), ticket: z.number().int().nullable() })
  .openapi('InboundOutcome', { description: 'where the message went this time' });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const list = createRoute({
  method: 'get', path: '/', summary: 'Mail waiting for staff (quarantined, held, failed), newest first', security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: json(z.object({ messages: z.array(InboundMail), next: z.number().int().nullable().openapi({ description: 'pass as `before` for the following page; null on the last' }) }), 'a page of messages'),
    ...errors(422),
  },
});

const release = createRoute({
  method: 'post', path: '/{id}/release', summary: 'Run a quarantined or failed message through the intake again, or let one held past its sender\'s bound through', security: bearerSecurity,
  request: { params: idParam },
  responses: { 200: json(Outcome, 'the message went through the intake'), ...errors(404, 409) },
});

const reject = createRoute({
  method: 'post', path: '/{id}/reject', summary: 'Set a waiting message aside for good (ignored; its raw bytes stay)', security: bearerSecurity,
  request: { params: idParam },
  responses: { 200: json(z.object({ id: z.number().int(), state: z.literal('ignored') }), 'the message is set aside'), ...errors(404, 409) },
});

export function inboundApi(deps: ApiDeps & { ports: AdminPorts }) {
  const app = apiApp();

  /** The message when the caller may see it; otherwise a 404, whether it exists or not. */
  async function waiting(caller: ApiCaller, id: number) {
    const row = await scopeMail(
      deps.db.selectFrom('inbound_message').select(['inbound_message.state', 'inbound_message.outcome']).where('inbound_message.id', '=', id),
      await callerScope(deps, caller), 'inbound_message',
    ).executeTakeFirst();
    if (!row) throw new HTTPException(404, { message: `no inbound message ${id}` });
    return row;
  }

  /** Who decided, as the rejected message records it: the staff member's address, or `integration`. */
  async function decidedBy(caller: ApiCaller): Promise<string> {
    if (caller.actor.staffId === null) return caller.actor.id;
    const staff = await deps.db.selectFrom('staff').select('email').where('id', '=', caller.actor.staffId).executeTakeFirst();
    return staff?.email ?? caller.actor.id;
  }

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const scope = await callerScope(deps, c.get('caller'));
    const rows = await deps.db
      .selectFrom('inbound_message')
      .leftJoin('contact', 'contact.id', 'inbound_message.contact_id')
      .leftJoin('ticket', 'ticket.id', 'inbound_message.ticket_id')
      .select([
        'inbound_message.id', 'inbound_message.state', 'inbound_message.outcome as reason', 'contact.email as sender', 'ticket.number as ticket',
        'inbound_message.message_id', 'inbound_message.size', 'inbound_message.received_at', 'inbound_message.processed_at',
      ])
      .where('inbound_message.state', 'in', q.state ? [q.state] : [...WAITING])
      .$if(q.before !== undefined, (qb) => qb.where('inbound_message.id', '<', q.before!))
      .$call((qb) => scopeMail(qb, scope, 'inbound_message'))
      .orderBy('inbound_message.id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const shown = rows.slice(0, q.limit);
    return c.json({
      messages: shown.map((r) => ({ ...r, state: r.state as (typeof WAITING)[number], ticket: r.ticket === null ? null : Number(r.ticket), size: Number(r.size) })),
      next: rows.length > q.limit ? shown.at(-1)!.id : null,
    }, 200);
  });

  app.openapi(release, async (c) => {
    const id = Number(c.req.valid('param').id);
    const row = await waiting(c.get('caller'), id);
    let result = null;
    if (row.state === 'quarantined' || row.state === 'failed') result = await deps.ports.inbound.replay(id);
    else if (row.state === 'held' && holdKind(row.outcome) === 'bound') result = await deps.ports.inbound.release(id);
    if (!result) {
      const why = row.state === 'held'
        ? (holdKind(row.outcome) === 'account' ? 'it waits for an account decision: validate the contact instead' : 'it waits for the client to choose a project')
        : `it is ${row.state}, not waiting for staff`;
      throw new HTTPException(409, { message: `message ${id} cannot be released: ${why}` });
    }
    return c.json({ id: result.inboundId, state: result.state, outcome: result.outcome, ticket: result.ticketNumber }, 200);
  });

  app.openapi(reject, async (c) => {
    const id = Number(c.req.valid('param').id);
    const caller = c.get('caller');
    const row = await waiting(caller, id);
    if (!(await deps.ports.inbound.reject(id, await decidedBy(caller)))) throw new HTTPException(409, { message: `message ${id} is ${row.state}, not waiting for staff` });
    return c.json({ id, state: 'ignored' as const }, 200);
  });

  return app;
}

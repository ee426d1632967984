// /api/v1/contacts: the people who write, by state, and the decisions on their accounts — validate
// (their held mail runs through the intake and becomes tickets, oldest first), refuse (they are told
// once, their mail stays held), block (held silently). Through accounts/contacts.ts, as the admin's
// People page and `guichet contacts` decide; every staff member may decide, as on that page. A
// contact is listed and found only within the caller's rights (tickets/rights.ts): one who reported
// only tickets of other projects answers 404.
import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { blockContact, ContactError, refuseContact, validateContact } from '../../accounts/contacts.ts';
import type { AdminPorts } from '../admin/ports.ts';
import { scopeContacts, visibleContact } from '../../tickets/rights.ts';
import { callerScope, type ApiDeps } from './deps.ts';
import { apiApp, bearerSecurity, errors } from './openapi.ts';

const STATES = ['pending', 'active', 'blocked', 'refused'] as const;
const PAGE = 50;

const listQuery = z.object({
  state: z.enum(STATES).optional(),
  after: z.coerce.number().int().min(0).catch(0).openapi({ type: 'integer', minimum: 0, description: 'the `next` of the previous page' }),
  limit: z.coerce.number().int().catch(PAGE).transform((n) => Math.min(200, Math.max(1, n))).openapi({ type: 'integer', minimum: 1, maximum: 200, default: PAGE }),
});

const emailParam = z.object({ email: z.email().openapi({ param: { name: 'email', in: 'path' }, example: 'zoe@newclient.com' }) });

const refuseSchema = z
  .object({ message: z.string().trim().max(10_000).optional().openapi({ description: 'added to the notice the sender gets' }) })
  .strict()
  .openapi('Refusal');

const Contact = z
  .object({
    id: z.number().int(), email: z.string(), name: z.string(), state: z.enum(STATES), organisation: z.string().nullable(),
    held: z.number().int().openapi({ description: 'messages held, awaiting a decision' }),
    bounce_reason: z.string().nullable(), created_at: z.string(),
  })
  .openapi('Contact');

const Replayed = z
  .object({ inbound_id: z.number().int(), state: z.string(), outcome: z.string(), ticket: z.number().int().nullable() })
  .openapi('ReplayedMail', { description: 'a stored message run through the intake again, and where it went' });

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const list = createRoute({
  method: 'get', path: '/', summary: 'Contacts, oldest first, by state', security: bearerSecurity,
  request: { query: listQuery },
  responses: {
    200: json(z.object({ contacts: z.array(Contact), next: z.number().int().nullable().openapi({ description: 'pass as `after` for the following page; null on the last' }) }), 'a page of contacts'),
    ...errors(422),
  },
});

const validate = createRoute({
  method: 'post', path: '/{email}/validate', summary: 'Validate an account: its held mail becomes tickets, oldest first', security: bearerSecurity,
  request: { params: emailParam },
  responses: { 200: json(z.object({ email: z.string(), state: z.literal('active'), released: z.array(Replayed) }), 'the contact is active'), ...errors(404, 409) },
});

const refuse = createRoute({
  method: 'post', path: '/{email}/refuse', summary: 'Refuse a pending account: the sender is told once, the mail stays held', security: bearerSecurity,
  request: { params: emailParam, body: { required: false, content: { 'application/json': { schema: refuseSchema } } } },
  responses: { 200: json(z.object({ email: z.string(), state: z.literal('refused') }), 'the contact is refused'), ...errors(400, 404, 409, 413, 422) },
});

const block = createRoute({
  method: 'post', path: '/{email}/block', summary: 'Block an address: its mail is held silently', security: bearerSecurity,
  request: { params: emailParam },
  responses: { 200: json(z.object({ email: z.string(), state: z.literal('blocked') }), 'the contact is blocked'), ...errors(404) },
});

/** A body that may be left out; when there is one it is read as JSON whatever its type, as everywhere in the API. */
const optionalJson: MiddlewareHandler = async (c, next) => {
  const text = await c.req.text();
  if (!text.trim()) c.req.raw.headers.delete('content-type');
  else {
    c.req.raw.headers.set('content-type', 'application/json');
    try {
      JSON.parse(text);
    } catch {
      throw new HTTPException(400, { message: 'the body must be JSON' });
    }
  }
  await next();
};

export function contactsApi(deps: ApiDeps & { ports: AdminPorts }) {
  const app = apiApp();
  const now = deps.now ?? (() => new Date());

  /** The contact when the caller may see it; otherwise a 404, whether it exists or not. */
  async function mustSee(caller: Parameters<typeof callerScope>[1], email: string) {
    if (!(await visibleContact(deps.db, await callerScope(deps, caller), email))) throw new HTTPException(404, { message: `no contact ${email}` });
  }
  const refused = (err: unknown): never => {
    if (err instanceof ContactError) throw new HTTPException(409, { message: err.message });
    throw err;
  };

  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const scope = await callerScope(deps, c.get('caller'));
    const rows = await deps.db
      .selectFrom('contact')
      .leftJoin('organisation', 'organisation.id', 'contact.organisation_id')
      .select((eb) => [
        'contact.id', 'contact.email', 'contact.name', 'contact.state', 'contact.bounce_reason', 'contact.created_at', 'organisation.name as organisation',
        eb.selectFrom('inbound_message').select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('inbound_message.contact_id', '=', 'contact.id').where('inbound_message.state', '=', 'held').as('held'),
      ])
      .$if(q.state !== undefined, (qb) => qb.where('contact.state', '=', q.state!))
      .where('contact.id', '>', q.after)
      .$call((qb) => scopeContacts(qb, scope))
      .orderBy('contact.id')
      .limit(q.limit + 1)
      .execute();
    const shown = rows.slice(0, q.limit);
    return c.json({
      contacts: shown.map((r) => ({ ...r, held: Number(r.held ?? 0) })),
      next: rows.length > q.limit ? shown.at(-1)!.id : null,
    }, 200);
  });

  app.openapi(validate, async (c) => {
    const { email } = c.req.valid('param');
    await mustSee(c.get('caller'), email);
    const results = await validateContact(deps.db, { replay: (id) => deps.ports.inbound.replay(id) }, email).catch(refused);
    return c.json({
      email: email.toLowerCase(), state: 'active' as const,
      released: results.map((r) => ({ inbound_id: r.inboundId, state: r.state, outcome: r.outcome, ticket: r.ticketNumber })),
    }, 200);
  });

  app.use('/:email/refuse', optionalJson);
  app.openapi(refuse, async (c) => {
    const { email } = c.req.valid('param');
    const body = c.req.valid('json') as z.infer<typeof refuseSchema>;
    await mustSee(c.get('caller'), email);
    await refuseContact(deps.db, deps.ports.accountNotices, email, now(), body.message || undefined).catch(refused);
    return c.json({ email: email.toLowerCase(), state: 'refused' as const }, 200);
  });

  app.openapi(block, async (c) => {
    const { email } = c.req.valid('param');
    await mustSee(c.get('caller'), email);
    await blockContact(deps.db, email);
    return c.json({ email: email.toLowerCase(), state: 'blocked' as const }, 200);
  });

  return app;
}

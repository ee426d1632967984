// /api/v1/announcements: a maintenance ticket mailed to every active contact of an organisation or
// a project, one mail each.
import { Hono } from 'hono';
import { z } from 'zod';
import { PRIORITIES } from '../../db/schema.ts';
import { announceMaintenance, inTransaction } from '../../tickets/staff-verbs.ts';
import { actorOf } from '../auth.ts';
import { accepted, body } from '../input.ts';
import type { ApiDeps } from './deps.ts';

const announceSchema = z
  .object({
    organisation: z.string().optional(),
    project: z.string().optional(),
    summary: z.string().trim().min(1).max(250),
    message: z.string().trim().min(1).max(100_000),
    starts_at: z.iso.datetime({ offset: true }),
    ends_at: z.iso.datetime({ offset: true }).optional(),
    priority: z.enum(PRIORITIES).optional(),
  })
  .strict()
  .refine((a) => Boolean(a.organisation) !== Boolean(a.project), { message: 'name an organisation or a project (one of them)' });

export function announcementsApi(deps: ApiDeps) {
  const app = new Hono();

  app.post('/', async (c) => {
    const input = await body(announceSchema, c.req);
    const actor = await actorOf(deps.db, c.req.header('x-guichet-staff'));
    const result = accepted(await inTransaction(deps.db, (trx) => announceMaintenance(trx, deps.verbs, actor, {
      organisation: input.organisation, project: input.project, summary: input.summary, message: input.message,
      startsAt: new Date(input.starts_at), endsAt: input.ends_at ? new Date(input.ends_at) : undefined, priority: input.priority,
    }, new Date())));
    return c.json({ number: result.ticket.number, recipients: result.recipients }, 201);
  });

  return app;
}

// /api/v1/announcements: a maintenance ticket mailed to every active contact of an organisation or
// a project, one mail each.
import { createRoute, z } from '@hono/zod-openapi';
import { PRIORITIES } from '../../db/schema.ts';
import { announceMaintenance, inTransaction } from '../../tickets/staff-verbs.ts';
import { accepted } from '../input.ts';
import { mustUseProject, type ApiDeps } from './deps.ts';
import { apiApp, bearerSecurity, errors, jsonBody, jsonRoute } from './openapi.ts';

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
  .refine((a) => Boolean(a.organisation) !== Boolean(a.project), { message: 'name an organisation or a project (one of them)' })
  .openapi('Announcement', { description: 'name an organisation or a project, not both' });

const announce = createRoute({
  method: 'post', path: '/', summary: 'Announce a maintenance to every active contact', security: bearerSecurity, ...jsonRoute,
  request: jsonBody(announceSchema),
  responses: {
    201: {
      description: 'the maintenance ticket and how many contacts it was mailed to',
      content: { 'application/json': { schema: z.object({ number: z.number().int(), recipients: z.number().int() }) } },
    },
    ...errors(400, 404, 409, 413, 422),
  },
});

export function announcementsApi(deps: ApiDeps) {
  const app = apiApp();

  app.openapi(announce, async (c) => {
    const input = c.req.valid('json');
    const actor = c.get('caller').actor;
    await mustUseProject(deps, c.get('caller'), input.project);
    const result = accepted(await inTransaction(deps.db, (trx) => announceMaintenance(trx, deps.verbs, actor, {
      organisation: input.organisation, project: input.project, summary: input.summary, message: input.message,
      startsAt: new Date(input.starts_at), endsAt: input.ends_at ? new Date(input.ends_at) : undefined, priority: input.priority,
    }, new Date())));
    return c.json({ number: result.ticket.number, recipients: result.recipients }, 201);
  });

  return app;
}

// Staff actions on tickets through the API (the admin pages will call the same service):
// PATCH a ticket's workflow fields, POST a public reply or an internal note. Each request is one
// transaction: every change it names happens, with its events and notifications, or none does.
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database, Ticket } from '../db/schema.ts';
import { changeTicket, type ChangeActor, type ChangeDeps } from '../tickets/change-ticket.ts';
import { announceMaintenance, openTicketForClient } from '../tickets/staff-tickets.ts';
import { addEntry, recordEvent } from '../tickets/ticket-service.ts';
import { PRIORITIES, RESOLUTIONS, STATUSES, TYPES } from '../tickets/values.ts';
import type { Change } from '../tickets/workflow.ts';

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
    visibility: z.enum(['public', 'private']).optional(),
    project: z.string().optional(),
  })
  .strict();

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

const replySchema = z.object({ message: z.string().trim().min(1).max(100_000), internal: z.boolean().default(false) }).strict();

export interface TicketActionDeps {
  db: Kysely<Database>;
  change: ChangeDeps;
  defaultLanguage: string;
  onMailQueued: () => void;
}

async function body<T>(schema: z.ZodType<T>, req: { json(): Promise<unknown> }): Promise<T> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new HTTPException(400, { message: 'the body must be JSON' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new HTTPException(422, { message: parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
  }
  return parsed.data;
}

export function createTicketActions(deps: TicketActionDeps) {
  const app = new Hono();

  /** Who acts: the staff member named by X-Guichet-Staff, else the API itself. */
  async function actorOf(header: string | undefined): Promise<ChangeActor & { staffId: number | null; name: string }> {
    if (!header) return { role: 'staff', id: 'api', staffId: null, name: 'Support' };
    const staff = await deps.db.selectFrom('staff').select(['id', 'name']).where('email', '=', header.toLowerCase()).where('active', '=', 1).executeTakeFirst();
    if (!staff) throw new HTTPException(403, { message: `no active staff member ${header}` });
    return { role: 'staff', id: `staff:${staff.id}`, staffId: staff.id, name: staff.name };
  }

  async function load(trx: Kysely<Database>, number: number): Promise<Ticket> {
    const t = await trx.selectFrom('ticket').selectAll().where('number', '=', number).executeTakeFirst();
    if (!t) throw new HTTPException(404, { message: `no ticket #${number}` });
    return t;
  }

  async function projectId(trx: Kysely<Database>, key: string | undefined): Promise<number | null> {
    if (!key) return null;
    const project = await trx.selectFrom('project').select('id').where('key', '=', key).executeTakeFirst();
    if (!project) throw new HTTPException(422, { message: `no project ${key}` });
    return project.id;
  }

  app.post('/tickets', async (c) => {
    const input = await body(openSchema, c.req);
    const actor = await actorOf(c.req.header('x-guichet-staff'));
    const now = new Date();
    const ticket = await deps.db.transaction().execute(async (trx) =>
      openTicketForClient(trx, deps.change.notifier, {
        reporter: input.reporter, reporterName: input.reporter_name, summary: input.summary, description: input.description,
        type: input.type, priority: input.priority, visibility: input.visibility, projectId: await projectId(trx, input.project),
        language: deps.defaultLanguage, author: { staffId: actor.staffId, actor: actor.id, name: actor.name },
      }, now),
    );
    deps.onMailQueued();
    return c.json({ number: ticket.number }, 201);
  });

  app.post('/announcements', async (c) => {
    const input = await body(announceSchema, c.req);
    const actor = await actorOf(c.req.header('x-guichet-staff'));
    const now = new Date();
    const result = await deps.db.transaction().execute(async (trx) => {
      const org = input.organisation
        ? await trx.selectFrom('organisation').select('id').where('name', '=', input.organisation).executeTakeFirst()
        : undefined;
      if (input.organisation && !org) throw new HTTPException(422, { message: `no organisation ${input.organisation}` });
      return announceMaintenance(trx, deps.change.notifier, {
        organisationId: org?.id, projectId: (await projectId(trx, input.project)) ?? undefined,
        summary: input.summary, message: input.message, startsAt: new Date(input.starts_at),
        endsAt: input.ends_at ? new Date(input.ends_at) : undefined, priority: input.priority,
        language: deps.defaultLanguage, author: { staffId: actor.staffId, actor: actor.id, name: actor.name },
      }, now);
    });
    deps.onMailQueued();
    return c.json({ number: result.ticket.number, recipients: result.recipients }, 201);
  });

  app.patch('/tickets/:number{[0-9]+}', async (c) => {
    const number = Number(c.req.param('number'));
    const input = await body(patchSchema, c.req);
    const actor = await actorOf(c.req.header('x-guichet-staff'));
    const now = new Date();
    let notified = false;
    const ticket = await deps.db.transaction().execute(async (trx) => {
      let t = await load(trx, number);
      const changes: Change[] = [];
      if (input.reopen) changes.push({ kind: 'reopen' });
      if (input.priority) changes.push({ kind: 'priority', to: input.priority });
      if (input.type) changes.push({ kind: 'type', to: input.type });
      if (input.assignee !== undefined) {
        const staff = input.assignee === null ? null : await trx.selectFrom('staff').select('id').where('email', '=', input.assignee.toLowerCase()).executeTakeFirst();
        if (input.assignee !== null && !staff) throw new HTTPException(422, { message: `no staff member ${input.assignee}` });
        changes.push({ kind: 'assign', assigneeId: staff?.id ?? null });
      }
      if (input.duplicate_of !== undefined) changes.push({ kind: 'duplicate', of: input.duplicate_of });
      if (input.resolution && input.resolution !== 'duplicate') changes.push({ kind: 'resolve', resolution: input.resolution });
      if (input.status) changes.push({ kind: 'status', to: input.status });
      const evaluation = (['urgency', 'impact', 'cost_estimate'] as const).filter((k) => input[k] !== undefined && input[k] !== t[k]);
      if (!changes.length && !evaluation.length) throw new HTTPException(422, { message: 'nothing to change' });
      if (evaluation.length) {
        t = await trx
          .updateTable('ticket')
          .set(Object.fromEntries(evaluation.map((k) => [k, input[k]])))
          .where('id', '=', t.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        for (const k of evaluation) {
          await recordEvent(trx, { ticketId: t.id, actor: actor.id, kind: 'changed', field: k, to: input[k] ?? null }, now);
        }
      }
      for (const change of changes) {
        const out = await changeTicket(trx, deps.change, t, change, actor, now, { message: input.message });
        if (!out.ok) throw new HTTPException(409, { message: out.reason });
        t = out.ticket;
        notified ||= out.notified;
      }
      return t;
    });
    if (notified) deps.onMailQueued();
    return c.json({
      number: ticket.number, status: ticket.status, resolution: ticket.resolution, priority: ticket.priority, type: ticket.type,
      awaiting: ticket.awaiting, duplicate_of: ticket.duplicate_of, urgency: ticket.urgency, impact: ticket.impact, cost_estimate: ticket.cost_estimate,
    });
  });

  app.post('/tickets/:number{[0-9]+}/replies', async (c) => {
    const number = Number(c.req.param('number'));
    const input = await body(replySchema, c.req);
    const actor = await actorOf(c.req.header('x-guichet-staff'));
    const now = new Date();
    const entry = await deps.db.transaction().execute(async (trx) => {
      const t = await load(trx, number);
      const entry = await addEntry(trx, t.id, {
        kind: input.internal ? 'note' : 'reply', authorContactId: null, authorStaffId: actor.staffId, authorEmail: null,
        text: input.message, fullText: input.message, html: null, messageId: null, inboundMessageId: null, attachments: [],
      }, now);
      await recordEvent(trx, { ticketId: t.id, actor: actor.id, kind: input.internal ? 'noted' : 'replied', to: String(entry.id) }, now);
      if (!input.internal) {
        const out = await changeTicket(trx, deps.change, t, { kind: 'staff_reply' }, actor, now);
        const current = out.ok ? out.ticket : t;
        await deps.change.notifier.ticketEvent(trx, current, 'staff-reply', () => ({ message: input.message, authorName: actor.name }), now);
      }
      return entry;
    });
    if (!input.internal) deps.onMailQueued();
    return c.json({ id: entry.id, kind: entry.kind }, 201);
  });

  return app;
}

// Every change to an existing ticket goes through changeTicket: the workflow rules decide, then in
// the caller's transaction the row is updated, one event per changed field is written and the one
// notice the change causes is announced. A refused change changes nothing and says why.
import type { Ticket } from '../db/schema.ts';
import { newActionToken } from '../protocol/markers.ts';
import type { TicketNotices } from './notices.ts';
import { lockTicket, recordEvent, type Trx } from './store.ts';
import { applyChange, type Actor, type Change, type WorkflowTicket } from './workflow.ts';

export interface ChangeActor {
  role: Actor;
  /** `staff:3`, `contact:7`, `system`, `api`: what the audit log records. */
  id: string;
}

export const SYSTEM: ChangeActor = { role: 'system', id: 'system' };

export type ChangeOutcome = { ok: true; ticket: Ticket } | { ok: false; reason: string };

const COLUMN = {
  status: 'status', resolution: 'resolution', previousStatus: 'previous_status', awaiting: 'awaiting',
  duplicateOf: 'duplicate_of', assigneeId: 'assignee_id', priority: 'priority', type: 'type',
} as const satisfies Partial<Record<keyof WorkflowTicket, keyof Ticket>>;

export function toWorkflow(t: Ticket): WorkflowTicket {
  return {
    number: t.number,
    status: t.status,
    resolution: t.resolution,
    previousStatus: t.previous_status,
    awaiting: t.awaiting,
    duplicateOf: t.duplicate_of,
    assigneeId: t.assignee_id,
    priority: t.priority,
    type: t.type,
  };
}

export async function changeTicket(
  trx: Trx,
  notices: TicketNotices,
  given: Ticket,
  change: Change,
  actor: ChangeActor,
  now: Date,
  opts: { message?: string } = {},
): Promise<ChangeOutcome> {
  // Decided on the ticket as it stands now, locked: a client's mailed "confirm" racing a staff change,
  // or two staff changing one ticket, run one after the other; no update is lost, no notice sent twice.
  const ticket = (await lockTicket(trx, given.id)) ?? given;
  if (change.kind === 'duplicate') {
    const target = await trx.selectFrom('ticket').select('id').where('number', '=', change.of).executeTakeFirst();
    if (!target) return { ok: false, reason: `there is no ticket #${change.of} to follow` };
  }
  const result = applyChange(toWorkflow(ticket), change, actor.role);
  if (!result.ok) return result;
  if (!result.events.length) return { ok: true, ticket };

  const at = now.toISOString();
  const next = result.next;
  const set = {
    updated_at: at,
    ...Object.fromEntries(Object.entries(COLUMN).map(([key, column]) => [column, next[key as keyof typeof COLUMN]])),
    resolved_at: next.status === 'resolved' && ticket.status !== 'resolved' ? at : ticket.resolved_at,
    closed_at: next.status !== 'closed' ? null : ticket.status !== 'closed' ? at : ticket.closed_at,
    // A fresh token per resolution: an old "confirm" link cannot close a later resolution.
    action_token: result.notify === 'ticket-resolved' ? newActionToken() : next.status === 'resolved' ? ticket.action_token : null,
  };
  const updated = await trx.updateTable('ticket').set(set).where('id', '=', ticket.id).returningAll().executeTakeFirstOrThrow();
  for (const e of result.events) {
    await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'changed', field: e.field, from: e.from, to: e.to }, now);
  }
  if (result.notify) {
    // The notice says who caused it: a client's mail or the scheduler makes Guichet speak on its own.
    await notices.changed(trx, { before: ticket, after: updated, notice: result.notify, message: opts.message?.trim() || undefined, cause: actor.role }, now);
  }
  return { ok: true, ticket: updated };
}

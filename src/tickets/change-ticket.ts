// Every change to an existing ticket goes through changeTicket: the workflow rules decide, then in
// the caller's transaction the row is updated, one event per changed field is written and the one
// notification the change causes is queued. A refused change changes nothing and says why.
import { randomBytes } from 'node:crypto';
import type { Ticket } from '../db/schema.ts';
import { formatTag } from '../mail/route.ts';
import type { Notifier } from '../notify/notifier.ts';
import { mailtoUrl } from '../notify/render.ts';
import { recordEvent, type Trx } from './ticket-service.ts';
import type { Priority, Resolution, Status, TicketType } from './values.ts';
import { applyChange, type Actor, type Change, type WorkflowTicket } from './workflow.ts';

export interface ChangeDeps {
  notifier: Notifier;
  supportAddress: string;
  tagPrefix: string;
  autoCloseDays: number;
}

export interface ChangeActor {
  role: Actor;
  /** `staff:3`, `contact:7`, `system`: what the audit log records. */
  id: string;
}

export type ChangeOutcome = { ok: true; ticket: Ticket; notified: boolean } | { ok: false; reason: string };

const COLUMN: Record<string, keyof Ticket> = {
  status: 'status', resolution: 'resolution', previousStatus: 'previous_status', awaiting: 'awaiting',
  duplicateOf: 'duplicate_of', assigneeId: 'assignee_id', priority: 'priority', type: 'type',
};

export function toWorkflow(t: Ticket): WorkflowTicket {
  return {
    number: t.number,
    status: t.status as Status,
    resolution: t.resolution as Resolution,
    previousStatus: (t.previous_status as Status | null) ?? null,
    awaiting: t.awaiting,
    duplicateOf: t.duplicate_of,
    assigneeId: t.assignee_id,
    priority: t.priority as Priority,
    type: t.type as TicketType,
  };
}

/** The marker a "confirm" / "still broken" mailto link puts in the reply's body. */
export function actionMarker(action: 'confirm' | 'still-broken', number: number, token: string): string {
  return `[${action} #${number} ${token}]`;
}

export function findActionMarker(text: string, number: number, token: string | null): 'confirm' | 'still-broken' | null {
  if (!token) return null;
  const m = /\[(confirm|still-broken) #(\d+) ([0-9a-f]{16})\]/.exec(text);
  return m && Number(m[2]) === number && m[3] === token ? (m[1] as 'confirm' | 'still-broken') : null;
}

export async function changeTicket(
  trx: Trx,
  deps: ChangeDeps,
  ticket: Ticket,
  change: Change,
  actor: ChangeActor,
  now: Date,
  opts: { message?: string } = {},
): Promise<ChangeOutcome> {
  if (change.kind === 'duplicate') {
    const target = await trx.selectFrom('ticket').select('id').where('number', '=', change.of).executeTakeFirst();
    if (!target) return { ok: false, reason: `there is no ticket #${change.of} to follow` };
  }
  const result = applyChange(toWorkflow(ticket), change, actor.role);
  if (!result.ok) return result;
  if (!result.events.length) return { ok: true, ticket, notified: false };

  const at = now.toISOString();
  const set: Record<string, unknown> = { updated_at: at };
  for (const [key, column] of Object.entries(COLUMN)) set[column] = result.next[key as keyof WorkflowTicket];
  if (result.next.status === 'resolved' && ticket.status !== 'resolved') set.resolved_at = at;
  if (result.next.status === 'closed' && ticket.status !== 'closed') set.closed_at = at;
  if (result.next.status !== 'closed') set.closed_at = null;
  // A fresh token per resolution: an old "confirm" link cannot close a later resolution.
  set.action_token = result.notify === 'ticket-resolved' ? randomBytes(8).toString('hex') : result.next.status === 'resolved' ? ticket.action_token : null;
  const updated = await trx.updateTable('ticket').set(set).where('id', '=', ticket.id).returningAll().executeTakeFirstOrThrow();
  for (const e of result.events) {
    await recordEvent(trx, { ticketId: ticket.id, actor: actor.id, kind: 'changed', field: e.field, from: e.from, to: e.to }, now);
  }
  if (!result.notify) return { ok: true, ticket: updated, notified: false };

  const message = opts.message?.trim() || undefined;
  const subject = `Re: ${formatTag(updated.number, deps.tagPrefix)} ${updated.summary}`;
  const n = deps.notifier;
  const resolution = updated.resolution as Resolution;
  switch (result.notify) {
    case 'feedback-requested':
      await n.ticketEvent(trx, updated, 'feedback-requested', () => ({ message: message ?? '' }), now);
      break;
    case 'ticket-assigned': {
      const assignee = updated.assignee_id
        ? await trx.selectFrom('staff').select('name').where('id', '=', updated.assignee_id).executeTakeFirst()
        : undefined;
      await n.ticketEvent(trx, updated, 'ticket-assigned', () => ({ message, assigneeName: assignee?.name }), now);
      break;
    }
    case 'ticket-resolved':
      await n.ticketEvent(trx, updated, 'ticket-resolved', () => ({
        message,
        resolution,
        autoCloseDays: deps.autoCloseDays,
        confirmMailto: mailtoUrl(deps.supportAddress, { subject, body: actionMarker('confirm', updated.number, updated.action_token!) }),
        reopenMailto: mailtoUrl(deps.supportAddress, { subject, body: actionMarker('still-broken', updated.number, updated.action_token!) }),
      }), now);
      break;
    case 'ticket-closed':
      await n.ticketEvent(trx, updated, 'ticket-closed', () => ({ message, resolution }), now);
      break;
    case 'auto-closed':
      await n.ticketEvent(trx, updated, 'auto-closed', () => ({ resolution, days: deps.autoCloseDays }), now);
      break;
    case 'ticket-duplicate': {
      const target = await trx.selectFrom('ticket').select('summary').where('number', '=', updated.duplicate_of!).executeTakeFirst();
      await n.ticketEvent(trx, updated, 'ticket-duplicate', () => ({ message, duplicateOf: updated.duplicate_of!, duplicateOfSummary: target?.summary ?? '' }), now);
      break;
    }
    case 'priority-changed':
      await n.ticketEvent(trx, updated, 'priority-changed', () => ({ message, previousPriority: ticket.priority as Priority }), now);
      break;
    case 'type-changed':
      await n.ticketEvent(trx, updated, 'type-changed', () => ({ message, type: updated.type as TicketType, previousType: ticket.type as TicketType }), now);
      break;
    case 'ticket-confirmed':
    case 'ticket-reopened':
      await n.ticketEvent(trx, updated, result.notify, () => ({ message }), now);
      break;
  }
  return { ok: true, ticket: updated, notified: true };
}

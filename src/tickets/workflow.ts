// The ticket workflow of DESIGN §3 as pure data and functions: no I/O, so changeTicket can check a
// change, write its events and announce its notice in one transaction, and the README can render
// the same table it runs on.
import type { Awaiting, Priority, Resolution, Status, TicketType } from '../db/schema.ts';

export type { Awaiting };
export type Actor = 'staff' | 'client' | 'system';

export type TicketState = {
  status: Status;
  resolution: Resolution;
  /** The status to return to when the client answers a `feedback` request. */
  previousStatus: Status | null;
  awaiting: Awaiting;
  duplicateOf: number | null;
  assigneeId: number | null;
};
/** What applyChange needs: the state plus the fields staff requalify and the ticket's own number. */
export type WorkflowTicket = TicketState & { number: number; priority: Priority; type: TicketType };

/**
 * One requested change. Beyond the brief's list: `staff_reply` (a public staff answer clears
 * `awaiting = staff`; the reply itself is the mail, so it notifies nothing).
 */
export type Change =
  | { kind: 'status'; to: Status }
  | { kind: 'resolve'; resolution: Resolution }
  | { kind: 'duplicate'; of: number }
  | { kind: 'assign'; assigneeId: number | null }
  | { kind: 'priority'; to: Priority }
  | { kind: 'type'; to: TicketType }
  | { kind: 'client_reply' }
  | { kind: 'staff_reply' }
  | { kind: 'client_confirms' }
  | { kind: 'client_still_broken' }
  | { kind: 'auto_close' }
  | { kind: 'reopen' };
export type ChangeKind = Change['kind'];

/** The client-facing template a change sends; at most one per change. */
export type NotificationEvent =
  | 'feedback-requested' | 'ticket-confirmed' | 'ticket-assigned' | 'ticket-resolved' | 'ticket-closed'
  | 'ticket-reopened' | 'ticket-duplicate' | 'priority-changed' | 'type-changed' | 'auto-closed';

/** One audit row; `field` is the ticket column name. */
export type WorkflowEvent = { field: string; from: string | null; to: string | null };

export type ChangeResult =
  | { ok: true; next: WorkflowTicket; events: WorkflowEvent[]; notify: NotificationEvent | null }
  | { ok: false; reason: string };

/** Resolutions that make a ticket `resolved` (the client verifies) … */
export const RESOLVING_RESOLUTIONS = ['fixed', 'unable_to_reproduce', 'unable_to_fix', 'not_a_bug'] as const;
/** … and those that close it at once (`duplicate` closes too, through its own change). */
export const CLOSING_RESOLUTIONS = ['suspended', 'wont_fix'] as const;

/** One edge of the status graph: the change that takes a ticket from `from` to `to`, and who may make it. */
export interface Transition { from: Status; to: Status; by: ChangeKind; actors: readonly Actor[]; label: string }

const OPEN: Status[] = ['new', 'feedback', 'confirmed', 'assigned'];
const edges = (froms: Status[], tos: Status[], by: ChangeKind, actors: Actor[], label: string): Transition[] =>
  froms.flatMap((from) => tos.map((to) => ({ from, to, by, actors, label })));

/**
 * Every status change the workflow allows; anything else is refused. Changes that keep the status
 * (same value, priority, type, reassigning) are not edges. Conditions the table cannot show:
 * `status → assigned` needs an assignee; `client_reply` returns to the status held before feedback;
 * `client_still_broken` and `reopen` go to `assigned` when there is an assignee, else `confirmed`.
 */
export const TRANSITIONS: readonly Transition[] = [
  ...edges(['new', 'confirmed', 'assigned'], ['feedback'], 'status', ['staff'], 'feedback requested'),
  ...edges(['new', 'feedback', 'assigned'], ['confirmed'], 'status', ['staff'], 'confirmed'),
  ...edges(['new', 'feedback', 'confirmed'], ['assigned'], 'status', ['staff'], 'assigned'),
  ...edges(['resolved'], ['closed'], 'status', ['staff'], 'closed by staff'),
  ...edges(['new', 'confirmed'], ['assigned'], 'assign', ['staff'], 'assigned'),
  ...edges(['assigned'], ['confirmed'], 'assign', ['staff'], 'unassigned'),
  ...edges(['feedback'], ['new', 'confirmed', 'assigned'], 'client_reply', ['client'], 'client answers'),
  ...edges(OPEN, ['resolved'], 'resolve', ['staff'], 'resolved'),
  ...edges([...OPEN, 'resolved'], ['closed'], 'resolve', ['staff'], 'suspended or wont fix'),
  ...edges([...OPEN, 'resolved'], ['closed'], 'duplicate', ['staff'], 'duplicate'),
  ...edges(['resolved'], ['closed'], 'client_confirms', ['client'], 'client confirms'),
  ...edges(['resolved'], ['assigned', 'confirmed'], 'client_still_broken', ['client'], 'still broken'),
  ...edges(['resolved'], ['closed'], 'auto_close', ['system'], 'after N days'),
  ...edges(['resolved', 'closed'], ['assigned', 'confirmed'], 'reopen', ['staff', 'system'], 'reopened'),
];

/** A Mermaid `stateDiagram-v2` of TRANSITIONS for the README, one arrow per pair of statuses. */
export function mermaidDiagram(): string {
  const labels = new Map<string, string[]>();
  for (const t of TRANSITIONS) {
    const key = `${t.from} --> ${t.to}`;
    const list = labels.get(key) ?? [];
    if (!list.includes(t.label)) list.push(t.label);
    labels.set(key, list);
  }
  const lines = ['stateDiagram-v2', '  [*] --> new'];
  for (const [key, list] of labels) lines.push(`  ${key} : ${list.join(' / ')}`);
  return lines.join('\n') + '\n';
}

const WHO: Record<ChangeKind, { actors: Actor[]; refusal: string }> = {
  status: { actors: ['staff'], refusal: 'only staff change the status' },
  resolve: { actors: ['staff'], refusal: 'only staff resolve a ticket' },
  duplicate: { actors: ['staff'], refusal: 'only staff mark a ticket as a duplicate' },
  assign: { actors: ['staff'], refusal: 'only staff assign a ticket' },
  priority: { actors: ['staff'], refusal: 'only staff requalify the priority' },
  type: { actors: ['staff'], refusal: 'only staff requalify the type' },
  staff_reply: { actors: ['staff'], refusal: 'only staff reply as staff' },
  client_reply: { actors: ['client'], refusal: 'only the client replies as the client' },
  client_confirms: { actors: ['client'], refusal: 'only the client confirms a resolution' },
  client_still_broken: { actors: ['client'], refusal: 'only the client reports a ticket still broken' },
  auto_close: { actors: ['system'], refusal: 'only the scheduler closes a ticket automatically' },
  reopen: { actors: ['staff', 'system'], refusal: 'only staff reopen a ticket' },
};

const refuse = (reason: string): ChangeResult => ({ ok: false, reason });
const isId = (n: number): boolean => Number.isInteger(n) && n > 0;
const afterReopen = (t: WorkflowTicket): Status => (t.assigneeId !== null ? 'assigned' : 'confirmed');
const STATUS_NOTICE: Partial<Record<Status, NotificationEvent>> = {
  feedback: 'feedback-requested', confirmed: 'ticket-confirmed', assigned: 'ticket-assigned', closed: 'ticket-closed',
};

/** Checks `change` by `actor` against the rules and returns the next state, its audit events and its notification. */
export function applyChange(ticket: WorkflowTicket, change: Change, actor: Actor): ChangeResult {
  if (change.kind === 'type' && change.to === 'maintenance' && actor !== 'staff') {
    return refuse('the maintenance type is reserved to staff');
  }
  if (!WHO[change.kind].actors.includes(actor)) return refuse(WHO[change.kind].refusal);
  const t = ticket;
  const closed = t.status === 'closed';
  const reopenFirst = (what: string) => refuse(`a closed ticket cannot ${what}; reopen it first`);
  const leaving = { previousStatus: null, awaiting: null } as const;

  switch (change.kind) {
    case 'status': {
      const to = change.to;
      if (to === t.status) return done(t, t, null);
      if (closed) return reopenFirst(`be set to ${to}`);
      if (!TRANSITIONS.some((e) => e.by === 'status' && e.from === t.status && e.to === to)) {
        if (to === 'new') return refuse('a ticket cannot go back to new');
        if (to === 'resolved') return refuse('resolve a ticket with a resolution (fixed, unable_to_reproduce, unable_to_fix, not_a_bug), not by its status');
        if (to === 'closed') return refuse('only a resolved ticket is closed by its status; otherwise choose suspended or wont_fix, or mark it a duplicate');
        if (t.status === 'resolved') return refuse(`a resolved ticket cannot be set to ${to}; reopen it first`);
        return refuse(`a ${t.status} ticket cannot be set to ${to}`);
      }
      if (to === 'assigned' && t.assigneeId === null) return refuse('assign someone before setting the ticket assigned');
      const next = to === 'feedback'
        ? { ...t, status: to, previousStatus: t.status, awaiting: 'client' as const }
        : { ...t, status: to, previousStatus: null, awaiting: t.status === 'feedback' || to === 'closed' ? null : t.awaiting };
      return done(t, next, STATUS_NOTICE[to] ?? null);
    }
    case 'resolve': {
      const r = change.resolution;
      if (r === 'duplicate') return refuse('mark a duplicate with the ticket to follow, not as a plain resolution');
      if (r === 'open' || r === 'reopened') return refuse(`the resolution ${r} is set by the workflow, not chosen`);
      const to: Status = (RESOLVING_RESOLUTIONS as readonly string[]).includes(r) ? 'resolved' : 'closed';
      if (t.status === to && t.resolution === r) return done(t, t, null);
      if (closed) return reopenFirst(`be resolved again`);
      const next = { ...t, ...leaving, status: to, resolution: r, duplicateOf: null, awaiting: to === 'resolved' ? 'client' as const : null };
      return done(t, next, to === 'resolved' ? 'ticket-resolved' : 'ticket-closed');
    }
    case 'duplicate': {
      if (!isId(change.of)) return refuse('the ticket to follow must be a ticket number');
      if (change.of === t.number) return refuse('a ticket cannot be a duplicate of itself');
      if (closed && t.resolution === 'duplicate' && t.duplicateOf === change.of) return done(t, t, null);
      if (closed) return reopenFirst('be marked a duplicate');
      return done(t, { ...t, ...leaving, status: 'closed', resolution: 'duplicate', duplicateOf: change.of }, 'ticket-duplicate');
    }
    case 'assign': {
      const id = change.assigneeId;
      if (id !== null && !isId(id)) return refuse('the assignee must be a staff id');
      if (id === t.assigneeId) return done(t, t, null);
      if (closed) return reopenFirst('be reassigned');
      const next = { ...t, assigneeId: id };
      // While feedback is awaited the client's marker stays; the answer then lands on the new status.
      if (id !== null && (t.status === 'new' || t.status === 'confirmed')) next.status = 'assigned';
      if (id !== null && t.status === 'feedback') next.previousStatus = 'assigned';
      if (id === null && t.status === 'assigned') next.status = 'confirmed';
      if (id === null && t.status === 'feedback' && t.previousStatus === 'assigned') next.previousStatus = 'confirmed';
      // Unassigning and reassigning a resolved ticket are internal bookkeeping.
      return done(t, next, id !== null && t.status !== 'resolved' ? 'ticket-assigned' : null);
    }
    case 'priority':
      if (change.to === t.priority) return done(t, t, null);
      if (closed) return reopenFirst('be requalified');
      return done(t, { ...t, priority: change.to }, 'priority-changed');
    case 'type':
      if (change.to === t.type) return done(t, t, null);
      if (closed) return reopenFirst('be requalified');
      return done(t, { ...t, type: change.to }, 'type-changed');
    case 'client_reply':
      if (closed) return refuse('a closed ticket takes no reply; the reply opens a new ticket linked to it (or reopens it, by config)');
      if (t.status === 'feedback') {
        return done(t, { ...t, status: t.previousStatus ?? afterReopen(t), previousStatus: null, awaiting: 'staff' }, null);
      }
      return done(t, { ...t, awaiting: 'staff' }, null);
    case 'staff_reply':
      return done(t, t.awaiting === 'staff' ? { ...t, awaiting: null } : t, null);
    case 'client_confirms':
      if (t.status !== 'resolved') return refuse(`only a resolved ticket can be confirmed (this one is ${t.status})`);
      return done(t, { ...t, ...leaving, status: 'closed' }, 'ticket-closed');
    case 'client_still_broken':
      if (t.status !== 'resolved') return refuse(`only a resolved ticket can be reported still broken (this one is ${t.status})`);
      return done(t, { ...t, status: afterReopen(t), resolution: 'reopened', previousStatus: null, awaiting: 'staff' }, 'ticket-reopened');
    case 'auto_close':
      if (t.status !== 'resolved') return refuse(`only a resolved ticket is closed automatically (this one is ${t.status})`);
      return done(t, { ...t, ...leaving, status: 'closed' }, 'auto-closed');
    case 'reopen':
      if (t.status !== 'resolved' && !closed) return refuse(`only a resolved or closed ticket can be reopened (this one is ${t.status})`);
      return done(t, { ...t, status: afterReopen(t), resolution: 'reopened', duplicateOf: null, previousStatus: null, awaiting: 'staff' }, 'ticket-reopened');
  }
}

// previous_status is bookkeeping derived from status, so it is stored but not audited.
const AUDITED: Array<[keyof WorkflowTicket, string]> = [
  ['status', 'status'], ['resolution', 'resolution'], ['duplicateOf', 'duplicate_of'], ['assigneeId', 'assignee_id'],
  ['priority', 'priority'], ['type', 'type'], ['awaiting', 'awaiting'],
];

// Events come from the difference, so a change that changes nothing is a no-op that notifies no one.
function done(before: WorkflowTicket, next: WorkflowTicket, notify: NotificationEvent | null): ChangeResult {
  const str = (v: unknown) => (v === null ? null : String(v));
  const events = AUDITED.filter(([key]) => before[key] !== next[key])
    .map(([key, field]) => ({ field, from: str(before[key]), to: str(next[key]) }));
  return events.length ? { ok: true, next, events, notify } : { ok: true, next: before, events: [], notify: null };
}

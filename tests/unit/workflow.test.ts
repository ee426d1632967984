import { describe, expect, it } from 'vitest';
import {
  applyChange, mermaidDiagram, TRANSITIONS,
  type Actor, type Change, type ChangeResult, type NotificationEvent, type WorkflowTicket,
} from '../../src/tickets/workflow.ts';
import { RESOLUTIONS, STATUSES, type Status } from '../../src/tickets/values.ts';

// A consistent ticket in each status; overrides make the variants a rule depends on.
function ticket(status: Status, over: Partial<WorkflowTicket> = {}): WorkflowTicket {
  const base: WorkflowTicket = {
    number: 42, priority: 'minor', type: 'correction', status, resolution: 'open', previousStatus: null,
    awaiting: null, duplicateOf: null, assigneeId: null,
  };
  if (status === 'feedback') Object.assign(base, { previousStatus: 'confirmed', awaiting: 'client' });
  if (status === 'assigned') base.assigneeId = 7;
  if (status === 'resolved') Object.assign(base, { resolution: 'fixed', awaiting: 'client', assigneeId: 7 });
  if (status === 'closed') Object.assign(base, { resolution: 'fixed', assigneeId: 7 });
  return { ...base, ...over };
}

function ok(r: ChangeResult) {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r;
}
function reason(r: ChangeResult): string {
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.next)}`);
  return r.reason;
}

// Written out by hand so that a change to TRANSITIONS has to be a deliberate change here too.
const STATUS_MATRIX: Record<Status, Status[]> = {
  new: ['feedback', 'confirmed', 'assigned'],
  feedback: ['confirmed', 'assigned'],
  confirmed: ['feedback', 'assigned'],
  assigned: ['feedback', 'confirmed'],
  resolved: ['closed'],
  closed: [],
};
const STATUS_NOTICE: Record<Status, NotificationEvent | null> = {
  new: null, feedback: 'feedback-requested', confirmed: 'ticket-confirmed', assigned: 'ticket-assigned',
  resolved: null, closed: 'ticket-closed',
};

describe('staff status changes: every status × every target', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  it.each(pairs)('%s → %s', (from, to) => {
    const start = ticket(from, { assigneeId: 7 });
    const r = applyChange(start, { kind: 'status', to }, 'staff');
    if (from === to) {
      expect(ok(r)).toEqual({ ok: true, next: start, events: [], notify: null });
    } else if (STATUS_MATRIX[from].includes(to)) {
      const { next, events, notify } = ok(r);
      expect(next.status).toBe(to);
      expect(events).toContainEqual({ field: 'status', from, to });
      expect(notify).toBe(STATUS_NOTICE[to]);
    } else {
      const why = reason(r);
      if (from === 'closed') expect(why).toBe(`a closed ticket cannot be set to ${to}; reopen it first`);
      else if (to === 'new') expect(why).toBe('a ticket cannot go back to new');
      else if (to === 'resolved') expect(why).toMatch(/^resolve a ticket with a resolution/);
      else if (to === 'closed') expect(why).toMatch(/^only a resolved ticket is closed by its status/);
      else expect(why).toBe(`a resolved ticket cannot be set to ${to}; reopen it first`);
    }
  });

  it('TRANSITIONS lists exactly these staff status edges', () => {
    const table = TRANSITIONS.filter((t) => t.by === 'status').map((t) => `${t.from}>${t.to}`).sort();
    const matrix = STATUSES.flatMap((from) => STATUS_MATRIX[from].map((to) => `${from}>${to}`)).sort();
    expect(table).toEqual(matrix);
  });

  it.each(['new', 'confirmed', 'feedback'] as const)('%s → assigned needs an assignee', (from) => {
    expect(reason(applyChange(ticket(from), { kind: 'status', to: 'assigned' }, 'staff'))).toBe(
      'assign someone before setting the ticket assigned');
  });
});

// Every change kind with sample arguments, tried by every actor on every variant of every status.
const CATALOGUE: Change[] = [
  ...STATUSES.map((to) => ({ kind: 'status', to }) as const),
  ...RESOLUTIONS.map((resolution) => ({ kind: 'resolve', resolution }) as const),
  { kind: 'duplicate', of: 99 }, { kind: 'assign', assigneeId: 7 }, { kind: 'assign', assigneeId: 8 },
  { kind: 'assign', assigneeId: null }, { kind: 'priority', to: 'critical' }, { kind: 'type', to: 'evolution' },
  { kind: 'type', to: 'maintenance' }, { kind: 'client_reply' }, { kind: 'staff_reply' }, { kind: 'client_confirms' },
  { kind: 'client_still_broken' }, { kind: 'auto_close' }, { kind: 'reopen' },
];
const ACTORS: Actor[] = ['staff', 'client', 'system'];
// An assigned ticket always has an assignee; every other status is tried with and without one.
const VARIANTS: WorkflowTicket[] = STATUSES.flatMap((s) => [
  ...(s === 'assigned' ? [] : [ticket(s, { assigneeId: null })]), ticket(s, { assigneeId: 7 }),
  ...(s === 'feedback' ? (['new', 'assigned'] as const).map((p) => ticket(s, { previousStatus: p, assigneeId: 7 })) : []),
]);
const RUNS = VARIANTS.flatMap((start) => CATALOGUE.flatMap((change) => ACTORS.map((actor) =>
  ({ start, change, actor, r: applyChange(start, change, actor) }))));

describe('the table is the whole truth', () => {
  it('the status moves any change can make are exactly the TRANSITIONS edges', () => {
    const reached = new Set<string>();
    for (const { start, change, actor, r } of RUNS) {
      if (r.ok && r.next.status !== start.status) reached.add(`${start.status}>${r.next.status} ${change.kind} ${actor}`);
    }
    const table = TRANSITIONS.flatMap((t) => t.actors.map((a) => `${t.from}>${t.to} ${t.by} ${a}`));
    expect([...reached].sort()).toEqual([...new Set(table)].sort());
  });

  it('keeps its invariants after every accepted change', () => {
    for (const { start, r } of RUNS) {
      if (!r.ok) { expect(r.reason.length).toBeGreaterThan(10); continue; }
      const { next, events, notify } = r;
      if (events.length === 0) { expect(next).toBe(start); expect(notify).toBeNull(); }
      expect(next.previousStatus !== null).toBe(next.status === 'feedback');
      if (next.status === 'feedback') expect(next.awaiting).toBe('client');
      if (next.status === 'closed') expect(next.awaiting).toBeNull();
      expect(next.duplicateOf !== null).toBe(next.resolution === 'duplicate');
      expect(next.status === 'assigned' ? next.assigneeId : 1).not.toBeNull();
    }
  });
});

type Case = [string, WorkflowTicket, Change, Actor, Partial<WorkflowTicket>, NotificationEvent | null];
const RULES: Case[] = [
  ['feedback remembers the status and awaits the client', ticket('assigned'), { kind: 'status', to: 'feedback' }, 'staff',
    { status: 'feedback', previousStatus: 'assigned', awaiting: 'client' }, 'feedback-requested'],
  ['a client reply in feedback returns to the previous status', ticket('feedback', { previousStatus: 'assigned', assigneeId: 7 }),
    { kind: 'client_reply' }, 'client', { status: 'assigned', previousStatus: null, awaiting: 'staff' }, null],
  ['… even to new', ticket('feedback', { previousStatus: 'new' }), { kind: 'client_reply' }, 'client',
    { status: 'new', previousStatus: null, awaiting: 'staff' }, null],
  ['… or, with no previous status, to confirmed', ticket('feedback', { previousStatus: null }), { kind: 'client_reply' }, 'client',
    { status: 'confirmed', awaiting: 'staff' }, null],
  ['any other client reply only awaits staff', ticket('resolved'), { kind: 'client_reply' }, 'client',
    { status: 'resolved', resolution: 'fixed', awaiting: 'staff' }, null],
  ['a staff reply clears awaiting staff', ticket('assigned', { awaiting: 'staff' }), { kind: 'staff_reply' }, 'staff',
    { awaiting: null }, null],
  ['staff leaving feedback stop awaiting the client', ticket('feedback'), { kind: 'status', to: 'confirmed' }, 'staff',
    { status: 'confirmed', previousStatus: null, awaiting: null }, 'ticket-confirmed'],
  ['assigning a new ticket makes it assigned', ticket('new'), { kind: 'assign', assigneeId: 3 }, 'staff',
    { status: 'assigned', assigneeId: 3 }, 'ticket-assigned'],
  ['assigning a confirmed ticket makes it assigned', ticket('confirmed'), { kind: 'assign', assigneeId: 3 }, 'staff',
    { status: 'assigned', assigneeId: 3 }, 'ticket-assigned'],
  ['assigning in feedback keeps the marker and returns to assigned', ticket('feedback'), { kind: 'assign', assigneeId: 3 }, 'staff',
    { status: 'feedback', previousStatus: 'assigned', awaiting: 'client', assigneeId: 3 }, 'ticket-assigned'],
  ['reassigning keeps the status', ticket('assigned'), { kind: 'assign', assigneeId: 3 }, 'staff',
    { status: 'assigned', assigneeId: 3 }, 'ticket-assigned'],
  ['unassigning goes back to confirmed, silently', ticket('assigned'), { kind: 'assign', assigneeId: null }, 'staff',
    { status: 'confirmed', assigneeId: null }, null],
  ['unassigning in feedback returns to confirmed later', ticket('feedback', { previousStatus: 'assigned', assigneeId: 7 }),
    { kind: 'assign', assigneeId: null }, 'staff', { status: 'feedback', previousStatus: 'confirmed', assigneeId: null }, null],
  ['reassigning a resolved ticket is internal', ticket('resolved'), { kind: 'assign', assigneeId: 3 }, 'staff',
    { status: 'resolved', assigneeId: 3 }, null],
  ...(['fixed', 'unable_to_reproduce', 'unable_to_fix', 'not_a_bug'] as const).map((resolution): Case =>
    [`resolving as ${resolution} asks the client to verify`, ticket('feedback'), { kind: 'resolve', resolution }, 'staff',
      { status: 'resolved', resolution, previousStatus: null, awaiting: 'client' }, 'ticket-resolved']),
  ['a resolved ticket may change its resolution', ticket('resolved'), { kind: 'resolve', resolution: 'not_a_bug' }, 'staff',
    { status: 'resolved', resolution: 'not_a_bug' }, 'ticket-resolved'],
  ...(['suspended', 'wont_fix'] as const).map((resolution): Case =>
    [`${resolution} closes the ticket`, ticket('assigned'), { kind: 'resolve', resolution }, 'staff',
      { status: 'closed', resolution, awaiting: null }, 'ticket-closed']),
  ['the client confirms: closed, resolution kept', ticket('resolved', { resolution: 'unable_to_reproduce' }),
    { kind: 'client_confirms' }, 'client', { status: 'closed', resolution: 'unable_to_reproduce', awaiting: null }, 'ticket-closed'],
  ['still broken with an assignee: assigned, reopened', ticket('resolved'), { kind: 'client_still_broken' }, 'client',
    { status: 'assigned', resolution: 'reopened', awaiting: 'staff' }, 'ticket-reopened'],
  ['still broken without an assignee: confirmed, reopened', ticket('resolved', { assigneeId: null }),
    { kind: 'client_still_broken' }, 'client', { status: 'confirmed', resolution: 'reopened', awaiting: 'staff' }, 'ticket-reopened'],
  ['auto-close closes a resolved ticket', ticket('resolved'), { kind: 'auto_close' }, 'system',
    { status: 'closed', resolution: 'fixed', awaiting: null }, 'auto-closed'],
  ['duplicate closes and names the ticket to follow', ticket('feedback'), { kind: 'duplicate', of: 7 }, 'staff',
    { status: 'closed', resolution: 'duplicate', duplicateOf: 7, previousStatus: null, awaiting: null }, 'ticket-duplicate'],
  ['staff reopen a closed ticket to assigned', ticket('closed'), { kind: 'reopen' }, 'staff',
    { status: 'assigned', resolution: 'reopened', awaiting: 'staff' }, 'ticket-reopened'],
  ['… or to confirmed, forgetting the duplicate', ticket('closed', { assigneeId: null, resolution: 'duplicate', duplicateOf: 9 }),
    { kind: 'reopen' }, 'system', { status: 'confirmed', resolution: 'reopened', duplicateOf: null, awaiting: 'staff' }, 'ticket-reopened'],
  ['staff requalify the priority', ticket('assigned'), { kind: 'priority', to: 'blocking' }, 'staff',
    { priority: 'blocking' }, 'priority-changed'],
  ['staff requalify the type', ticket('new'), { kind: 'type', to: 'evolution' }, 'staff', { type: 'evolution' }, 'type-changed'],
  ['staff may set maintenance', ticket('new'), { kind: 'type', to: 'maintenance' }, 'staff', { type: 'maintenance' }, 'type-changed'],
];

describe('rules', () => {
  it.each(RULES)('%s', (_name, start, change, actor, expected, notify) => {
    const r = ok(applyChange(start, change, actor));
    expect(r.next).toEqual({ ...start, ...expected });
    expect(r.notify).toBe(notify);
    const changed = (Object.keys(expected) as Array<keyof WorkflowTicket>).filter((k) => k !== 'previousStatus' && start[k] !== expected[k]);
    expect(r.events).toHaveLength(changed.length);
  });

  it('writes events with column names and string values', () => {
    const r = ok(applyChange(ticket('assigned', { assigneeId: 7 }), { kind: 'duplicate', of: 12 }, 'staff'));
    expect(r.events).toEqual([
      { field: 'status', from: 'assigned', to: 'closed' },
      { field: 'resolution', from: 'open', to: 'duplicate' },
      { field: 'duplicate_of', from: null, to: '12' },
    ]);
  });
});

const NOOPS: Array<[string, WorkflowTicket, Change, Actor]> = [
  ['same priority', ticket('new'), { kind: 'priority', to: 'minor' }, 'staff'],
  ['same type', ticket('new'), { kind: 'type', to: 'correction' }, 'staff'],
  ['same assignee', ticket('assigned'), { kind: 'assign', assigneeId: 7 }, 'staff'],
  ['same resolution on a resolved ticket', ticket('resolved'), { kind: 'resolve', resolution: 'fixed' }, 'staff'],
  ['same closing resolution on a closed ticket', ticket('closed', { resolution: 'wont_fix' }), { kind: 'resolve', resolution: 'wont_fix' }, 'staff'],
  ['same duplicate', ticket('closed', { resolution: 'duplicate', duplicateOf: 5 }), { kind: 'duplicate', of: 5 }, 'staff'],
  ['client reply already awaiting staff', ticket('assigned', { awaiting: 'staff' }), { kind: 'client_reply' }, 'client'],
  ['staff reply while awaiting the client', ticket('feedback'), { kind: 'staff_reply' }, 'staff'],
];
describe('no-ops', () => {
  it.each(NOOPS)('%s', (_name, start, change, actor) => {
    expect(applyChange(start, change, actor)).toEqual({ ok: true, next: start, events: [], notify: null });
  });
});

const REFUSALS: Array<[WorkflowTicket, Change, Actor, string | RegExp]> = [
  [ticket('new'), { kind: 'status', to: 'confirmed' }, 'client', 'only staff change the status'],
  [ticket('new'), { kind: 'status', to: 'confirmed' }, 'system', 'only staff change the status'],
  [ticket('new'), { kind: 'resolve', resolution: 'fixed' }, 'client', 'only staff resolve a ticket'],
  [ticket('new'), { kind: 'duplicate', of: 3 }, 'client', 'only staff mark a ticket as a duplicate'],
  [ticket('new'), { kind: 'assign', assigneeId: 3 }, 'system', 'only staff assign a ticket'],
  [ticket('new'), { kind: 'priority', to: 'critical' }, 'client', 'only staff requalify the priority'],
  [ticket('new'), { kind: 'type', to: 'evolution' }, 'client', 'only staff requalify the type'],
  [ticket('new'), { kind: 'type', to: 'maintenance' }, 'client', 'the maintenance type is reserved to staff'],
  [ticket('new'), { kind: 'type', to: 'maintenance' }, 'system', 'the maintenance type is reserved to staff'],
  [ticket('new'), { kind: 'staff_reply' }, 'client', 'only staff reply as staff'],
  [ticket('feedback'), { kind: 'client_reply' }, 'staff', 'only the client replies as the client'],
  [ticket('resolved'), { kind: 'client_confirms' }, 'staff', 'only the client confirms a resolution'],
  [ticket('resolved'), { kind: 'client_still_broken' }, 'system', 'only the client reports a ticket still broken'],
  [ticket('resolved'), { kind: 'auto_close' }, 'staff', 'only the scheduler closes a ticket automatically'],
  [ticket('closed'), { kind: 'reopen' }, 'client', 'only staff reopen a ticket'],
  [ticket('closed'), { kind: 'client_reply' }, 'client', /^a closed ticket takes no reply/],
  [ticket('closed'), { kind: 'status', to: 'feedback' }, 'staff', 'a closed ticket cannot be set to feedback; reopen it first'],
  [ticket('closed'), { kind: 'resolve', resolution: 'wont_fix' }, 'staff', 'a closed ticket cannot be resolved again; reopen it first'],
  [ticket('closed'), { kind: 'duplicate', of: 3 }, 'staff', 'a closed ticket cannot be marked a duplicate; reopen it first'],
  [ticket('closed'), { kind: 'assign', assigneeId: 3 }, 'staff', 'a closed ticket cannot be reassigned; reopen it first'],
  [ticket('closed'), { kind: 'priority', to: 'major' }, 'staff', 'a closed ticket cannot be requalified; reopen it first'],
  [ticket('closed'), { kind: 'type', to: 'evolution' }, 'staff', 'a closed ticket cannot be requalified; reopen it first'],
  [ticket('new'), { kind: 'resolve', resolution: 'duplicate' }, 'staff', /^mark a duplicate with the ticket to follow/],
  [ticket('new'), { kind: 'resolve', resolution: 'open' }, 'staff', 'the resolution open is set by the workflow, not chosen'],
  [ticket('closed'), { kind: 'resolve', resolution: 'reopened' }, 'staff', 'the resolution reopened is set by the workflow, not chosen'],
  [ticket('new'), { kind: 'duplicate', of: 42 }, 'staff', 'a ticket cannot be a duplicate of itself'],
  [ticket('new'), { kind: 'duplicate', of: 0 }, 'staff', 'the ticket to follow must be a ticket number'],
  [ticket('new'), { kind: 'duplicate', of: 2.5 }, 'staff', 'the ticket to follow must be a ticket number'],
  [ticket('new'), { kind: 'assign', assigneeId: -1 }, 'staff', 'the assignee must be a staff id'],
  ...(['new', 'feedback', 'confirmed', 'assigned', 'closed'] as const).flatMap((s): Array<[WorkflowTicket, Change, Actor, string]> => [
    [ticket(s), { kind: 'client_confirms' }, 'client', `only a resolved ticket can be confirmed (this one is ${s})`],
    [ticket(s), { kind: 'client_still_broken' }, 'client', `only a resolved ticket can be reported still broken (this one is ${s})`],
    [ticket(s), { kind: 'auto_close' }, 'system', `only a resolved ticket is closed automatically (this one is ${s})`],
  ]),
  ...(['new', 'feedback', 'confirmed', 'assigned'] as const).map((s): [WorkflowTicket, Change, Actor, string] =>
    [ticket(s), { kind: 'reopen' }, 'staff', `only a resolved or closed ticket can be reopened (this one is ${s})`]),
];
describe('refusals', () => {
  it.each(REFUSALS)('%# %j by %s', (start, change, actor, expected) => {
    const why = reason(applyChange(start, change, actor));
    if (typeof expected === 'string') expect(why).toBe(expected);
    else expect(why).toMatch(expected);
  });
});

describe('mermaidDiagram', () => {
  const diagram = mermaidDiagram();
  const lines = diagram.trim().split('\n');
  const pairs = new Set(TRANSITIONS.map((t) => `${t.from} --> ${t.to}`));

  it('starts a state diagram at new and draws one arrow per pair of statuses', () => {
    expect(lines.slice(0, 2)).toEqual(['stateDiagram-v2', '  [*] --> new']);
    expect(lines).toHaveLength(2 + pairs.size);
    for (const pair of pairs) expect(lines.filter((l) => l.startsWith(`  ${pair} : `))).toHaveLength(1);
    expect(diagram).not.toContain('closed --> feedback');
  });

  it('merges the labels of every way between two statuses', () => {
    expect(lines).toContain('  resolved --> closed : closed by staff / suspended or wont fix / duplicate / client confirms / after N days');
    expect(lines).toContain('  feedback --> new : client answers');
  });

  it('keeps labels free of characters Mermaid reads as syntax', () => {
    for (const line of lines.slice(2)) expect(line.split(' : ')[1]).toMatch(/^[A-Za-z /]+$/);
  });
});

// The numbers a support lead looks at, read for the admin's dashboard: tickets opened and closed per
// week, the backlog by status and by project, who the open tickets wait for, and the median time to
// a first staff answer and to resolution, week by week. Grouped by day in SQL (ISO timestamps are
// text on both engines, so their first ten characters are the day) and folded into weeks here.
import { sql, type Kysely } from 'kysely';
import type { Database, Status } from '../db/schema.ts';
import { scopeTickets, type Scope } from './rights.ts';

const DAY_MS = 86_400_000;

/** Monday (UTC) of the week holding `day` (YYYY-MM-DD). */
export function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * DAY_MS).toISOString().slice(0, 10);
}

/** The Mondays of the last `weeks` weeks up to `now`, oldest first. */
export function lastWeeks(now: Date, weeks: number): string[] {
  const current = weekOf(now.toISOString().slice(0, 10));
  const start = new Date(`${current}T00:00:00Z`).getTime();
  return Array.from({ length: weeks }, (_, i) => new Date(start - (weeks - 1 - i) * 7 * DAY_MS).toISOString().slice(0, 10));
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface Dashboard {
  weeks: string[];
  opened: number[];
  closed: number[];
  byStatus: Array<{ status: Status; n: number }>;
  byProject: Array<{ project: string | null; n: number }>;
  awaiting: { staff: number; client: number };
  /** Hours, per week of the ticket's creation (first response) or resolution; null: no ticket that week. */
  firstResponseHours: Array<number | null>;
  resolutionHours: Array<number | null>;
}

/** The numbers of the tickets `scope` sees (rights.ts): an agent's dashboard is that of their projects. */
export async function dashboard(db: Kysely<Database>, now: Date, weekCount = 12, scope: Scope = 'all'): Promise<Dashboard> {
  const tickets = () => scopeTickets(db.selectFrom('ticket'), scope);
  const weeks = lastWeeks(now, weekCount);
  const since = `${weeks[0]}T00:00:00.000Z`;
  const perDay = async (column: 'created_at' | 'closed_at') => {
    const day = sql<string>`substr(${sql.ref(column)}, 1, 10)`;
    const rows = await tickets().select([day.as('day'), (eb) => eb.fn.countAll<number>().as('n')]).where(column, '>=', since).groupBy(day).execute();
    const counts = new Map<string, number>();
    for (const r of rows) counts.set(weekOf(r.day), (counts.get(weekOf(r.day)) ?? 0) + Number(r.n));
    return weeks.map((w) => counts.get(w) ?? 0);
  };
  const byStatus = await tickets().select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('status', '!=', 'closed').groupBy('status').execute();
  const byProject = await tickets()
    .leftJoin('project', 'project.id', 'ticket.project_id')
    .select(['project.name as project', (eb) => eb.fn.countAll<number>().as('n')])
    .where('ticket.status', '!=', 'closed')
    .groupBy('project.name')
    .orderBy('n', 'desc')
    .execute();
  const waiting = await tickets()
    .select(['status', 'awaiting', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', '!=', 'closed')
    .groupBy(['status', 'awaiting'])
    .execute();
  const awaiting = { staff: 0, client: 0 };
  for (const w of waiting) {
    if (w.status === 'feedback') awaiting.client += Number(w.n);
    else if (w.awaiting === 'staff') awaiting.staff += Number(w.n);
  }

  // First staff answer: the first public reply's event after the ticket was opened.
  const responses = await tickets()
    .leftJoin('event', (j) => j.onRef('event.ticket_id', '=', 'ticket.id').on('event.kind', '=', 'replied'))
    .select(['ticket.created_at', (eb) => eb.fn.min('event.created_at').as('first')])
    .where('ticket.created_at', '>=', since)
    .groupBy(['ticket.id', 'ticket.created_at'])
    .execute();
  const resolved = await tickets().select(['created_at', 'resolved_at']).where('resolved_at', '>=', since).execute();
  const hoursBy = (pairs: Array<{ week: string; hours: number }>) =>
    weeks.map((w) => median(pairs.filter((p) => p.week === w).map((p) => p.hours)));
  return {
    weeks,
    opened: await perDay('created_at'),
    closed: await perDay('closed_at'),
    byStatus: byStatus.map((r) => ({ status: r.status, n: Number(r.n) })),
    byProject: byProject.map((r) => ({ project: r.project, n: Number(r.n) })),
    awaiting,
    firstResponseHours: hoursBy(
      responses.filter((r) => r.first).map((r) => ({ week: weekOf(r.created_at.slice(0, 10)), hours: (Date.parse(String(r.first)) - Date.parse(r.created_at)) / 3600_000 })),
    ),
    resolutionHours: hoursBy(
      resolved.map((r) => ({ week: weekOf(r.resolved_at!.slice(0, 10)), hours: (Date.parse(r.resolved_at!) - Date.parse(r.created_at)) / 3600_000 })),
    ),
  };
}

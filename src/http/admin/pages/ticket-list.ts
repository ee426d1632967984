// The list of a queue: filters, search, sort and keyset pages over tickets/ticket-list.ts, with the
// queue counts beside it, and bulk actions on the tickets ticked (assign, status, priority, close),
// each ticket changed through the staff verbs in its own transaction, the refusals reported.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { PRIORITIES, STATUSES, TYPES, type Database } from '../../../db/schema.ts';
import { BadCursorError, listTicketQueue, queueCounts, QUEUES, SORTS, type Queue, type TicketListFilters, type TicketListRow } from '../../../tickets/ticket-list.ts';
import { changeFields, inTransaction, type FieldChanges, type StaffActor, type StaffVerbDeps } from '../../../tickets/staff-verbs.ts';
import { scopeOrganisations, visibleProjects, visibleTicket, type Scope } from '../../../tickets/rights.ts';
import type { Session } from '../session.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import type { Lang, Strings } from '../i18n.ts';
import { csrfField, flash, page, type Markup, type NavCounts } from '../layout.ts';

const WORDS = {
  en: {
    search: 'Search', filter: 'Filter', any: 'any', sort: 'Sort', sortActivity: 'last activity', sortNumber: 'number',
    sortPriority: 'priority', waiting: 'Waiting since', select: 'Select', selectTicket: 'Select ticket #',
    bulk: 'With the selected tickets', apply: 'Apply', close: 'Close them', awaiting: 'Awaiting', staff: 'staff',
    client: 'client', nobodyWaits: 'nobody', project: 'Project', organisation: 'Organisation',
    done: '{n} ticket(s) changed.', refused: '#{number}: {reason}', noneSelected: 'Select at least one ticket.',
    badCursor: 'That page link is no longer valid: back to the first page.',
  },
  fr: {
    search: 'Rechercher', filter: 'Filtrer', any: 'tous', sort: 'Trier par', sortActivity: 'dernière activité', sortNumber: 'numéro',
    sortPriority: 'priorité', waiting: 'En attente depuis', select: 'Choisir', selectTicket: 'Choisir le ticket n°',
    bulk: 'Pour les tickets choisis', apply: 'Appliquer', close: 'Les fermer', awaiting: 'En attente', staff: 'de l’équipe',
    client: 'du client', nobodyWaits: 'de personne', project: 'Projet', organisation: 'Organisation',
    done: '{n} ticket(s) modifié(s).', refused: 'n°{number}\u00a0: {reason}', noneSelected: 'Choisissez au moins un ticket.',
    badCursor: 'Ce lien de page n’est plus valable\u00a0: retour à la première page.',
  },
} satisfies Record<Lang, Record<string, string>>;
type Words = (typeof WORDS)['en'];

const many = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (v === undefined || v === '' ? undefined : ([] as unknown[]).concat(v).filter((x) => x !== '')), z.array(z.enum(values)).optional());
const id = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional());

const listQuery = z.object({
  queue: z.enum(QUEUES).catch('open'),
  q: z.string().max(200).optional(),
  status: many(STATUSES).catch(undefined),
  priority: many(PRIORITIES).catch(undefined),
  type: many(TYPES).catch(undefined),
  assignee: z.union([z.literal('none'), z.coerce.number().int().positive()]).optional().catch(undefined),
  project: id.catch(undefined),
  organisation: id.catch(undefined),
  awaiting: z.enum(['staff', 'client', 'none']).optional().catch(undefined),
  sort: z.enum(SORTS).catch('activity'),
  after: z.string().max(500).optional(),
});
type ListQuery = z.infer<typeof listQuery>;

const bulkForm = z.object({
  numbers: z.preprocess((v) => ([] as unknown[]).concat(v ?? []), z.array(z.coerce.number().int().positive()).max(100)),
  assignee: z.preprocess((v) => (v === '' ? undefined : v), z.union([z.literal('-'), z.email()]).optional()),
  status: z.preprocess((v) => (v === '' ? undefined : v), z.enum(STATUSES).optional()),
  priority: z.preprocess((v) => (v === '' ? undefined : v), z.enum(PRIORITIES).optional()),
  close: z.literal('1').optional(),
  back: z.string().regex(/^\/admin\/tickets(\?[^\s]*)?$/).catch('/admin/tickets'),
});

const formatDate = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'short', timeStyle: 'short', timeZone: 'UTC' });

/** The red "feedback awaited" marker, and a distinct one when the client answered and staff are to act. */
export function statusBadge(t: Strings, row: { status: TicketListRow['status']; awaiting: TicketListRow['awaiting'] }): Markup {
  if (row.status === 'feedback') return html`<span class="badge feedback">${t.feedbackAwaited}</span>`;
  if (row.awaiting === 'staff' && row.status !== 'closed') return html`<span class="badge answered" title="${t.clientAnswered}">${t.status[row.status]}</span>`;
  return html`<span class="badge">${t.status[row.status]}</span>`;
}

/** What the signed-in staff member may see (tickets/rights.ts), for every page that lists or opens tickets, contacts or mail. */
export const sessionScope = (db: Kysely<Database>, session: Session): Promise<Scope> =>
  visibleProjects(db, { staffId: session.staff.id, role: session.staff.role });

/** The queue counts for the navigation, as the layout shows them: of what `scope` sees. */
export async function navCounts(db: Kysely<Database>, staffId: number, scope: Scope = 'all'): Promise<NavCounts> {
  const c = await queueCounts(db, staffId, scope);
  return {
    queues: { mine: c.mine, unassigned: c.unassigned, 'awaiting-staff': c['awaiting-staff'], 'awaiting-client': c['awaiting-client'], open: c.open, all: c.all },
    pendingAccounts: c.pendingContacts,
    quarantined: c.quarantined,
  };
}

/** The query string of a list view, with some parameters replaced. */
function queryString(q: ListQuery, over: Partial<Record<keyof ListQuery, string | undefined>> = {}): string {
  const params = new URLSearchParams();
  const put = (k: string, v: unknown) => {
    if (v === undefined || v === null || v === '') return;
    for (const x of ([] as unknown[]).concat(v)) params.append(k, String(x));
  };
  for (const k of ['queue', 'q', 'status', 'priority', 'type', 'assignee', 'project', 'organisation', 'awaiting', 'sort'] as const) {
    put(k, k in over ? over[k] : q[k]);
  }
  put('after', 'after' in over ? over.after : undefined);
  return params.toString();
}

function options(values: readonly string[], labels: (v: string) => string, chosen: readonly string[] | string | undefined): Markup {
  const picked = ([] as string[]).concat(chosen ?? []);
  return html`${values.map((v) => html`<option value="${v}"${picked.includes(v) ? html` selected` : ''}>${labels(v)}</option>`)}`;
}

interface Choices {
  staff: Array<{ id: number; email: string; name: string }>;
  projects: Array<{ id: number; name: string }>;
  organisations: Array<{ id: number; name: string }>;
}

function filterForm(t: Strings, w: Words, q: ListQuery, choices: Choices): Markup {
  const sel = (name: string, label: string, opts: Markup) =>
    html`<div><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}"><option value="">${w.any}</option>${opts}</select></div>`;
  return html`<form method="get" action="/admin/tickets" class="filters card" role="search">
<input type="hidden" name="queue" value="${q.queue}">
<div class="grow"><label for="f-q">${w.search}</label><input id="f-q" name="q" type="search" value="${q.q ?? ''}"></div>
${sel('status', t.col.status, options(STATUSES, (s) => t.status[s as keyof Strings['status']], q.status))}
${sel('priority', t.col.priority, options(PRIORITIES, (s) => t.priority[s as keyof Strings['priority']], q.priority))}
${sel('type', t.col.type, options(TYPES, (s) => t.type[s as keyof Strings['type']], q.type))}
${sel('assignee', t.col.assignee, html`<option value="none"${q.assignee === 'none' ? html` selected` : ''}>${t.nobody}</option>${options(choices.staff.map((s) => String(s.id)), (v) => choices.staff.find((s) => String(s.id) === v)!.name, q.assignee === undefined ? undefined : String(q.assignee))}`)}
${choices.projects.length ? sel('project', w.project, options(choices.projects.map((p) => String(p.id)), (v) => choices.projects.find((p) => String(p.id) === v)!.name, q.project === undefined ? undefined : String(q.project))) : ''}
${choices.organisations.length ? sel('organisation', w.organisation, options(choices.organisations.map((o) => String(o.id)), (v) => choices.organisations.find((o) => String(o.id) === v)!.name, q.organisation === undefined ? undefined : String(q.organisation))) : ''}
${sel('awaiting', w.awaiting, options(['staff', 'client', 'none'], (v) => (v === 'staff' ? w.staff : v === 'client' ? w.client : w.nobodyWaits), q.awaiting))}
<div><label for="f-sort">${w.sort}</label><select id="f-sort" name="sort">${options(SORTS, (v) => (v === 'number' ? w.sortNumber : v === 'priority' ? w.sortPriority : w.sortActivity), q.sort)}</select></div>
<div><button class="primary" type="submit">${w.filter}</button></div>
</form>`;
}

function rowView(t: Strings, w: Words, lang: string, r: TicketListRow): Markup {
  const who = [r.reporterName || r.reporterEmail, r.organisationName].filter(Boolean).join(' — ');
  return html`<tr>
<td><input type="checkbox" name="numbers" value="${r.number}" aria-label="${w.selectTicket}${r.number}"></td>
<td class="num">${r.number}</td>
<td><a href="/admin/tickets/${r.number}">${r.summary}</a>${r.projectKey ? html` <span class="muted">${r.projectKey}</span>` : ''}</td>
<td>${who}</td>
<td>${t.type[r.type]}</td>
<td>${t.priority[r.priority]}</td>
<td>${statusBadge(t, r)}</td>
<td>${t.resolution[r.resolution]}</td>
<td>${r.assigneeName ?? ''}</td>
<td>${formatDate(r.updatedAt, lang)}</td>
<td>${r.waitingSince ? formatDate(r.waitingSince, lang) : ''}</td>
</tr>`;
}

function listView(t: Strings, w: Words, lang: string, q: ListQuery, rows: TicketListRow[], next: string | null, choices: Choices, csrf: string, note: Markup): Markup {
  const back = `/admin/tickets?${queryString(q, { after: q.after })}`;
  const table = rows.length
    ? html`<form method="post" action="/admin/tickets/bulk">
${csrfField(csrf)}<input type="hidden" name="back" value="${back}">
<table class="list">
<thead><tr>
<th scope="col"><span class="visually-hidden">${w.select}</span></th>
<th scope="col">${t.col.number}</th><th scope="col">${t.col.summary}</th><th scope="col">${t.col.reporter}</th>
<th scope="col">${t.col.type}</th><th scope="col">${t.col.priority}</th><th scope="col">${t.col.status}</th>
<th scope="col">${t.col.resolution}</th><th scope="col">${t.col.assignee}</th><th scope="col">${t.col.activity}</th><th scope="col">${w.waiting}</th>
</tr></thead>
<tbody>${rows.map((r) => rowView(t, w, lang, r))}</tbody>
</table>
<fieldset class="bulk card"><legend>${w.bulk}</legend>
<div><label for="b-assignee">${t.col.assignee}</label><select id="b-assignee" name="assignee"><option value="">—</option><option value="-">${t.nobody}</option>${choices.staff.map((s) => html`<option value="${s.email}">${s.name}</option>`)}</select></div>
<div><label for="b-status">${t.col.status}</label><select id="b-status" name="status"><option value="">—</option>${options(STATUSES, (s) => t.status[s as keyof Strings['status']], undefined)}</select></div>
<div><label for="b-priority">${t.col.priority}</label><select id="b-priority" name="priority"><option value="">—</option>${options(PRIORITIES, (s) => t.priority[s as keyof Strings['priority']], undefined)}</select></div>
<div><button class="primary" type="submit">${w.apply}</button> <button class="secondary" type="submit" name="close" value="1">${w.close}</button></div>
</fieldset>
</form>
${next ? html`<p><a rel="next" href="/admin/tickets?${queryString(q, { after: next })}">${t.next}</a></p>` : ''}`
    : html`<p>${t.noTickets}</p>`;
  return html`<h1>${t.queue[q.queue]}</h1>${note}${filterForm(t, w, q, choices)}${table}`;
}

export function ticketListPages(deps: { db: Kysely<Database>; verbs: StaffVerbDeps; now: () => Date }) {
  const app = new Hono<AdminEnv>();
  const choices = async (scope: Scope): Promise<Choices> => ({
    staff: await deps.db.selectFrom('staff').select(['id', 'email', 'name']).where('active', '=', 1).orderBy('name').execute(),
    projects: await deps.db.selectFrom('project').select(['id', 'name'])
      .$if(scope !== 'all', (qb) => qb.where('id', 'in', [-1, ...(scope as ReadonlyArray<number | null>).filter((p): p is number => p !== null)]))
      .orderBy('name').execute(),
    organisations: await scopeOrganisations(deps.db.selectFrom('organisation').select(['organisation.id', 'organisation.name']), scope).orderBy('organisation.name').execute(),
  });

  async function show(c: Context<AdminEnv>, note: Markup) {
    const t = c.get('t');
    const lang = c.get('lang');
    const w = WORDS[lang];
    const session = c.get('session');
    const q = listQuery.parse({ ...c.req.query(), status: c.req.queries('status'), priority: c.req.queries('priority'), type: c.req.queries('type') });
    const filters: TicketListFilters = {
      status: q.status, priority: q.priority, type: q.type, assignee: q.assignee, projectId: q.project, organisationId: q.organisation, awaiting: q.awaiting,
    };
    const scope = await sessionScope(deps.db, session);
    let result;
    try {
      result = await listTicketQueue(deps.db, { queue: q.queue, staffId: session.staff.id, scope, filters, search: q.q, sort: q.sort, after: q.after ?? null });
    } catch (err) {
      if (!(err instanceof BadCursorError)) throw err;
      return c.redirect(`/admin/tickets?${queryString(q)}`, 303);
    }
    const counts = await navCounts(deps.db, session.staff.id, scope);
    const body = listView(t, w, lang, q, result.rows, result.next, await choices(scope), session.csrf, note);
    return c.html(page({ t, lang, title: t.queue[q.queue], session, counts, current: q.queue }, body));
  }

  app.get('/', (c) => {
    const w = WORDS[c.get('lang')];
    const done = c.req.query('done');
    const refused = c.req.queries('refused') ?? [];
    const note = html`${done ? flash('ok', w.done.replace('{n}', String(Number(done) || 0))) : ''}${refused.map((r) => flash('error', r.slice(0, 300)))}`;
    return show(c, note);
  });

  app.post('/bulk', async (c) => {
    const t = c.get('t');
    const w = WORDS[c.get('lang')];
    const fields = await checkedForm(c);
    if (!fields) return c.text(t.formExpired, 403);
    const parsed = bulkForm.safeParse(fields);
    if (!parsed.success) return c.text(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 422);
    const input = parsed.data;
    const changes: FieldChanges = {
      ...(input.assignee !== undefined && { assignee: input.assignee === '-' ? null : input.assignee }),
      ...(input.priority && { priority: input.priority }),
      ...(input.close ? { status: 'closed' as const } : input.status ? { status: input.status } : {}),
    };
    const back = new URL(input.back, 'http://admin.invalid');
    if (!input.numbers.length || !Object.keys(changes).length) {
      back.searchParams.append('refused', w.noneSelected);
      return c.redirect(`${back.pathname}${back.search}`, 303);
    }
    const s = c.get('session').staff;
    const actor: StaffActor = { role: 'staff', id: `staff:${s.id}`, staffId: s.id, name: s.name };
    const scope = await sessionScope(deps.db, c.get('session'));
    let done = 0;
    for (const number of input.numbers) {
      // A ticket outside the staff member's projects is refused as one that does not exist.
      const result = (await visibleTicket(deps.db, scope, number))
        ? await inTransaction(deps.db, (trx) => changeFields(trx, deps.verbs, actor, number, changes, deps.now()))
        : { ok: false as const, reason: `no ticket #${number}` };
      if (result.ok) done++;
      else back.searchParams.append('refused', w.refused.replace('{number}', String(number)).replace('{reason}', result.reason));
    }
    back.searchParams.set('done', String(done));
    back.searchParams.delete('after');
    return c.redirect(`${back.pathname}${back.search}`, 303);
  });
  return app;
}

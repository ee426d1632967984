// People: the validation queue (pending contacts with the mail they wrote, held until staff decide),
// every contact with its state, and the organisations. Deciding goes through accounts/contacts.ts,
// as the `guichet contacts` command does: validating replays the held mail through the intake
// (tickets in arrival order), refusing tells the sender once, blocking holds their mail silently.
// Every staff member, agents included, may decide: answering the people who write is the agents'
// daily work, and each decision is undone by another one (a refused or blocked contact can still be
// validated, its mail is kept). Managing organisations stays with the setup pages (admins); an agent
// sees here the organisations of their projects.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { blockContact, ContactError, refuseContact, validateContact } from '../../../accounts/contacts.ts';
import type { ContactState, Database } from '../../../db/schema.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import { fill, type Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import type { AdminPorts } from '../ports.ts';
import { firstLines, formatDate, idParam, mailCounts, storedMail } from './stored-mail.ts';
import { projectVisible, scopeContacts, scopeOrganisations, visibleContact } from '../../../tickets/rights.ts';
import { sessionScope } from './ticket-list.ts';

interface AccountPageDeps {
  db: Kysely<Database>;
  ports: AdminPorts;
  dataDir: string;
  now: () => Date;
}

const en = {
  pending: 'Pending accounts',
  contacts: 'Contacts',
  organisations: 'Organisations',
  noPending: 'No account awaits validation.',
  noContacts: 'No contacts here.',
  noOrganisations: 'No organisations yet. Admins add them with `guichet organisations add`.',
  heldMail: 'Held mail',
  noHeldMail: 'No mail held.',
  more: 'and {n} more',
  unreadable: '(the stored message could not be read)',
  noSubject: '(no subject)',
  validate: 'Validate',
  refuse: 'Refuse',
  block: 'Block',
  refuseMessage: 'Message to the sender (optional)',
  validated: '{email} validated: {n} held message(s) processed.',
  refused: '{email} refused and told so.',
  blocked: '{email} blocked: their mail will be held silently.',
  since: 'Since',
  state: 'State',
  email: 'Email',
  name: 'Name',
  organisation: 'Organisation',
  held: 'Held',
  domains: 'Domains',
  projects: 'Projects',
  validation: 'Members validated by staff',
  members: 'Contacts',
  yes: 'yes',
  no: 'no',
  all: 'All',
  next: 'Next page',
  states: { pending: 'Pending', active: 'Active', blocked: 'Blocked', refused: 'Refused' } satisfies Record<ContactState, string>,
  invalid: 'This form is not valid: {why}',
};

type AccountStrings = typeof en;

const fr: AccountStrings = {
  pending: 'Comptes à valider',
  contacts: 'Contacts',
  organisations: 'Organisations',
  noPending: 'Aucun compte n’attend de validation.',
  noContacts: 'Aucun contact ici.',
  noOrganisations: 'Aucune organisation. Les administrateurs les ajoutent avec `guichet organisations add`.',
  heldMail: 'Messages retenus',
  noHeldMail: 'Aucun message retenu.',
  more: 'et {n} de plus',
  unreadable: '(le message stocké n’a pas pu être lu)',
  noSubject: '(sans objet)',
  validate: 'Valider',
  refuse: 'Refuser',
  block: 'Bloquer',
  refuseMessage: 'Message à l’expéditeur (facultatif)',
  validated: '{email} validé\u00a0: {n} message(s) retenu(s) traité(s).',
  refused: '{email} refusé, et prévenu.',
  blocked: '{email} bloqué\u00a0: ses messages seront retenus sans réponse.',
  since: 'Depuis',
  state: 'État',
  email: 'E-mail',
  name: 'Nom',
  organisation: 'Organisation',
  held: 'Retenus',
  domains: 'Domaines',
  projects: 'Projets',
  validation: 'Membres validés par le support',
  members: 'Contacts',
  yes: 'oui',
  no: 'non',
  all: 'Tous',
  next: 'Page suivante',
  states: { pending: 'En attente', active: 'Actif', blocked: 'Bloqué', refused: 'Refusé' },
  invalid: 'Ce formulaire n’est pas valide\u00a0: {why}',
};

const CATALOGUE: Record<Lang, AccountStrings> = { en, fr };

const PENDING_PAGE = 50;
const HELD_SHOWN = 5;
const CONTACTS_PAGE = 100;
const CONTACT_STATES = ['pending', 'active', 'blocked', 'refused'] as const;

const decisionForm = z.object({
  email: z.string().trim().toLowerCase().pipe(z.email().max(320)),
  message: z.string().max(5000).optional(),
  back: z.enum(['pending', 'contacts']).default('pending'),
});

function tabs(s: AccountStrings, current: 'pending' | 'contacts' | 'organisations'): Markup {
  const tab = (href: string, label: string, name: typeof current) =>
    html`<a href="${href}"${current === name ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs" aria-label="${s.contacts}">${tab('/admin/accounts', s.pending, 'pending')}${tab('/admin/accounts/contacts', s.contacts, 'contacts')}${tab('/admin/accounts/organisations', s.organisations, 'organisations')}</nav>`;
}

/** The three decisions on one contact; `back` says which page to come back to. */
function decisions(s: AccountStrings, csrf: string, email: string, state: ContactState, back: 'pending' | 'contacts'): Markup {
  const one = (action: string, label: string, extra: Markup | string = '', kind = 'secondary') => html`<form method="post" action="/admin/accounts/${action}" class="inline">
${csrfField(csrf)}<input type="hidden" name="email" value="${email}"><input type="hidden" name="back" value="${back}">${extra}
<button class="${kind}" type="submit">${label}</button></form>`;
  return html`<div class="actions">
${state !== 'active' ? one('validate', s.validate, '', 'primary') : ''}
${state === 'pending' ? html`<details class="refuse"><summary>${s.refuse}…</summary>${one('refuse', s.refuse, html`<label for="refuse-${email}">${s.refuseMessage}</label><textarea id="refuse-${email}" name="message" class="short"></textarea>`)}</details>` : ''}
${state !== 'blocked' ? one('block', s.block) : ''}
</div>`;
}

export function accountPages(deps: AccountPageDeps) {
  const app = new Hono<AdminEnv>();
  const { db } = deps;

  const shell = async (c: Context<AdminEnv>, title: string, body: Markup, status: 200 | 404 | 409 | 422 = 200) =>
    c.html(page({ t: c.get('t'), lang: c.get('lang'), title, session: c.get('session'), counts: await mailCounts(db, await sessionScope(db, c.get('session'))), current: 'accounts' }, body), status);

  /** The flash after a decision, said only when the contact is in the state that decision leaves: a crafted link cannot make the page claim one. */
  async function doneNote(s: AccountStrings, q: (k: string) => string | undefined): Promise<Markup | string> {
    const done = q('done');
    const email = (q('email') ?? '').slice(0, 320).toLowerCase();
    const leaves: Record<string, [ContactState, string]> = { validate: ['active', s.validated], refuse: ['refused', s.refused], block: ['blocked', s.blocked] };
    const expected = done && Object.hasOwn(leaves, done) ? leaves[done] : undefined;
    if (!expected || !email) return '';
    const contact = await db.selectFrom('contact').select('state').where('email', '=', email).executeTakeFirst();
    if (contact?.state !== expected[0]) return '';
    return flash('ok', fill(expected[1], { email, n: Math.max(0, Number(q('n')) || 0) }));
  }

  async function pendingPage(c: Context<AdminEnv>, error?: string, status: 200 | 404 | 409 | 422 = 200) {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const csrf = c.get('session').csrf;
    const after = idParam(c.req.query('after')) ?? 0;
    const contacts = await scopeContacts(db
      .selectFrom('contact')
      .leftJoin('organisation', 'organisation.id', 'contact.organisation_id')
      .select(['contact.id', 'contact.email', 'contact.name', 'contact.state', 'contact.created_at', 'organisation.name as organisation'])
      .where('contact.state', '=', 'pending')
      .where('contact.id', '>', after), await sessionScope(db, c.get('session')))
      .orderBy('contact.id')
      .limit(PENDING_PAGE + 1)
      .execute();
    const more = contacts.length > PENDING_PAGE;
    const shown = contacts.slice(0, PENDING_PAGE);
    const held = shown.length
      ? await db
          .selectFrom('inbound_message')
          .select(['id', 'contact_id', 'raw_path', 'received_at', 'outcome'])
          .where('contact_id', 'in', shown.map((x) => x.id))
          .where('state', '=', 'held')
          .orderBy('id')
          .execute()
      : [];
    const cards = await Promise.all(shown.map(async (contact) => {
      const mine = held.filter((h) => h.contact_id === contact.id);
      const mails = await Promise.all(mine.slice(0, HELD_SHOWN).map(async (m) => ({ row: m, mail: await storedMail(deps.ports.inbound, deps.dataDir, m.raw_path, { head: true }) })));
      return html`<article class="card mail person">
<header><h2>${contact.name ? `${contact.name} <${contact.email}>` : contact.email}</h2><span class="muted">${contact.organisation ?? ''} · ${s.since} ${formatDate(contact.created_at, lang)}</span></header>
${mails.length ? html`<ul class="held">${mails.map(({ row, mail }) => html`<li>
<a href="/admin/quarantine/${row.id}"><strong>${mail ? mail.subject || s.noSubject : s.unreadable}</strong></a> <span class="muted">${formatDate(mail?.date ?? row.received_at, lang)}</span>
${mail ? html`<div class="excerpt">${firstLines(mail.text)}</div>` : ''}
</li>`)}</ul>${mine.length > HELD_SHOWN ? html`<p class="muted">${fill(s.more, { n: mine.length - HELD_SHOWN })}</p>` : ''}` : html`<p class="muted">${s.noHeldMail}</p>`}
${decisions(s, csrf, contact.email, contact.state, 'pending')}
</article>`;
    }));
    const body = html`<h1>${s.pending}</h1>${tabs(s, 'pending')}
${error ? flash('error', error) : await doneNote(s, (k) => c.req.query(k))}
${cards.length ? cards : html`<p>${s.noPending}</p>`}
${more ? html`<p><a href="/admin/accounts?after=${shown.at(-1)!.id}">${s.next}</a></p>` : ''}`;
    return shell(c, s.pending, body, status);
  }

  app.get('/', (c) => pendingPage(c));

  app.get('/contacts', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const csrf = c.get('session').csrf;
    const wanted = c.req.query('state');
    const state = (CONTACT_STATES as readonly string[]).includes(wanted ?? '') ? (wanted as ContactState) : null;
    const after = idParam(c.req.query('after')) ?? 0;
    const scope = await sessionScope(db, c.get('session'));
    const rows = await db
      .selectFrom('contact')
      .leftJoin('organisation', 'organisation.id', 'contact.organisation_id')
      .select((eb) => [
        'contact.id', 'contact.email', 'contact.name', 'contact.state', 'contact.created_at', 'organisation.name as organisation',
        eb.selectFrom('inbound_message').select((e) => e.fn.countAll<number>().as('n'))
          .whereRef('inbound_message.contact_id', '=', 'contact.id').where('inbound_message.state', '=', 'held').as('held'),
      ])
      .$if(state !== null, (q) => q.where('contact.state', '=', state!))
      .where('contact.id', '>', after)
      .$call((q) => scopeContacts(q, scope))
      .orderBy('contact.id')
      .limit(CONTACTS_PAGE + 1)
      .execute();
    const shown = rows.slice(0, CONTACTS_PAGE);
    const filter = (value: ContactState | null, label: string) =>
      html`<a href="/admin/accounts/contacts${value ? `?state=${value}` : ''}"${state === value ? html` aria-current="page"` : ''}>${label}</a>`;
    const body = html`<h1>${s.contacts}</h1>${tabs(s, 'contacts')}
${await doneNote(s, (k) => c.req.query(k))}
<nav class="filters">${filter(null, s.all)}${CONTACT_STATES.map((v) => filter(v, s.states[v]))}</nav>
${shown.length ? html`<table class="list">
<thead><tr><th scope="col">${s.email}</th><th scope="col">${s.name}</th><th scope="col">${s.organisation}</th><th scope="col">${s.state}</th><th scope="col">${s.held}</th><th scope="col">${s.since}</th><th scope="col"></th></tr></thead>
<tbody>${shown.map((r) => html`<tr>
<td>${r.email}</td><td>${r.name}</td><td>${r.organisation ?? ''}</td>
<td><span class="badge state-${r.state}">${s.states[r.state]}</span></td>
<td class="num">${Number(r.held ?? 0) || ''}</td>
<td>${formatDate(r.created_at, lang)}</td>
<td>${r.state === 'active' ? '' : decisions(s, csrf, r.email, r.state, 'contacts')}</td>
</tr>`)}</tbody></table>` : html`<p>${s.noContacts}</p>`}
${rows.length > CONTACTS_PAGE ? html`<p><a href="/admin/accounts/contacts?${state ? `state=${state}&` : ''}after=${shown.at(-1)!.id}">${s.next}</a></p>` : ''}`;
    return shell(c, s.contacts, body);
  });

  // An agent sees the organisations that may use one of their projects (tickets/rights.ts), each with
  // those of its projects they see and the contacts they see: another team's project is not named.
  app.get('/organisations', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const scope = await sessionScope(db, c.get('session'));
    const orgs = await scopeOrganisations(db.selectFrom('organisation').select(['organisation.id', 'organisation.name', 'organisation.requires_validation']), scope)
      .orderBy('organisation.name').limit(1000).execute();
    const ids = orgs.map((o) => o.id);
    const [domains, allProjects, members] = ids.length
      ? await Promise.all([
          db.selectFrom('organisation_domain').select(['organisation_id', 'domain']).where('organisation_id', 'in', ids).orderBy('domain').execute(),
          db.selectFrom('organisation_project').innerJoin('project', 'project.id', 'organisation_project.project_id')
            .select(['organisation_project.organisation_id', 'project.id', 'project.key']).where('organisation_project.organisation_id', 'in', ids).orderBy('project.key').execute(),
          scopeContacts(db.selectFrom('contact').select((eb) => ['contact.organisation_id', 'contact.state', eb.fn.countAll<number>().as('n')])
            .where('contact.organisation_id', 'in', ids), scope).groupBy(['contact.organisation_id', 'contact.state']).execute(),
        ])
      : [[], [], []];
    const projects = allProjects.filter((p) => projectVisible(scope, p.id));
    const body = html`<h1>${s.organisations}</h1>${tabs(s, 'organisations')}
${orgs.length ? html`<table class="list">
<thead><tr><th scope="col">${s.name}</th><th scope="col">${s.domains}</th><th scope="col">${s.projects}</th><th scope="col">${s.validation}</th><th scope="col">${s.members}</th></tr></thead>
<tbody>${orgs.map((o) => html`<tr>
<td>${o.name}</td>
<td>${domains.filter((d) => d.organisation_id === o.id).map((d) => d.domain).join(', ')}</td>
<td>${projects.filter((p) => p.organisation_id === o.id).map((p) => p.key).join(', ')}</td>
<td>${o.requires_validation ? s.yes : s.no}</td>
<td>${members.filter((m) => m.organisation_id === o.id).map((m) => `${s.states[m.state]}: ${Number(m.n)}`).join(' · ')}</td>
</tr>`)}</tbody></table>` : html`<p>${s.noOrganisations}</p>`}`;
    return shell(c, s.organisations, body);
  });

  /** One decision: the form checked (token, then schema), the verb run, back to the page it came from. */
  const decide = (action: 'validate' | 'refuse' | 'block') => async (c: Context<AdminEnv>) => {
    const s = CATALOGUE[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(c.get('t').formExpired, 403);
    const parsed = decisionForm.safeParse(form);
    if (!parsed.success) return pendingPage(c, fill(s.invalid, { why: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }), 422);
    const { email, message, back } = parsed.data;
    // A contact outside the staff member's projects is refused as one that does not exist.
    if (!(await visibleContact(db, await sessionScope(db, c.get('session')), email))) return pendingPage(c, `no contact ${email}`, 404);
    let n = 0;
    try {
      if (action === 'validate') n = (await validateContact(db, { replay: (id) => deps.ports.inbound.replay(id) }, email)).length;
      else if (action === 'refuse') await refuseContact(db, deps.ports.accountNotices, email, deps.now(), message?.trim() || undefined);
      else await blockContact(db, email);
    } catch (err) {
      if (err instanceof ContactError) return pendingPage(c, err.message, 409);
      throw err;
    }
    const to = back === 'contacts' ? '/admin/accounts/contacts' : '/admin/accounts';
    const query = new URLSearchParams({ done: action, email, ...(action === 'validate' && { n: String(n) }) });
    return c.redirect(`${to}?${query}`, 303);
  };
  app.post('/validate', decide('validate'));
  app.post('/refuse', decide('refuse'));
  app.post('/block', decide('block'));

  return app;
}

// The setup pages, admins only: projects (key, name, addresses, products, staff), organisations
// (domains, the projects they may use, whether staff validate their members), staff members, and a
// read-only view of the mailboxes the configuration connects. Every change goes through
// accounts/directory.ts, as the `guichet projects|organisations|staff` commands do, so a rule holds
// whichever door is used; every form is parsed by its own schema (only the fields it names reach
// the directory) and carries the session's anti-CSRF token.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  addOrganisation, addProject, describeOrganisations, describeProjects, describeStaff, DirectoryError, updateOrganisation, updateProject,
} from '../../../accounts/directory.ts';
import type { Database } from '../../../db/schema.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import { csrfField, flash, type Markup } from '../layout.ts';
import {
  adminsOnly, checked, fill, idParam, lines, LINES, LINES_OR_COMMAS, setupPage, setupStrings, zodReason, type SetupStrings,
} from './setup-common.ts';
import { mailboxPage, type MailboxSummary, type SetupLive } from './setup-mailboxes.ts';
import { staffPages } from './setup-staff.ts';

export interface SetupDeps {
  db: Kysely<Database>;
  now: () => Date;
  /** What the configuration connects, secrets already hidden (the composition root reads the config). */
  mailboxes?: MailboxSummary;
  live?: SetupLive;
  /** Whether invitations can be mailed (the outbox is reached): the staff form offers them then. */
  invites?: boolean;
}

const projectForm = z.object({
  key: z.string().max(64),
  name: z.string().max(200),
  addresses: lines(LINES_OR_COMMAS),
  products: lines(LINES),
  staff: checked,
});

const organisationForm = z.object({
  name: z.string().max(200),
  domains: lines(LINES_OR_COMMAS),
  projects: checked,
  validates: z.literal('1').optional(),
});

type ProjectValues = z.infer<typeof projectForm>;
type OrganisationValues = z.infer<typeof organisationForm>;

type Note = { ok?: string; error?: string };
const notes = (n: Note): Markup => html`${n.error ? flash('error', n.error) : ''}${n.ok ? flash('ok', n.ok) : ''}`;

/** The reason a form was refused, fit to show; anything else is a fault and goes to the app's error handler. */
function reasonOf(s: SetupStrings, err: unknown): string {
  if (err instanceof DirectoryError) return fill(s.refused, { why: err.message });
  throw err;
}

function projectFields(s: SetupStrings, v: ProjectValues, staff: Array<{ email: string; name: string; active: boolean }>, prefix: string): Markup {
  return html`<label for="${prefix}-key">${s.key}</label>
<input type="text" id="${prefix}-key" name="key" required maxlength="32" value="${v.key}" aria-describedby="${prefix}-key-hint" autocapitalize="characters">
<p class="muted" id="${prefix}-key-hint">${s.keyHint}</p>
<label for="${prefix}-name">${s.name}</label>
<input type="text" id="${prefix}-name" name="name" required maxlength="200" value="${v.name}">
<label for="${prefix}-addresses">${s.addresses}</label>
<textarea class="short" id="${prefix}-addresses" name="addresses" aria-describedby="${prefix}-addresses-hint">${v.addresses.join('\n')}</textarea>
<p class="muted" id="${prefix}-addresses-hint">${s.addressesHint}</p>
<label for="${prefix}-products">${s.products}</label>
<textarea class="short" id="${prefix}-products" name="products" aria-describedby="${prefix}-products-hint">${v.products.join('\n')}</textarea>
<p class="muted" id="${prefix}-products-hint">${s.productsHint}</p>
<fieldset><legend>${s.projectStaff}</legend>
<p class="muted">${s.projectStaffHint}</p>
${staff.length
    ? staff.map((m, i) => html`<label class="check"><input type="checkbox" name="staff" id="${prefix}-staff-${i}" value="${m.email}"${v.staff.includes(m.email) ? html` checked` : ''}> ${m.name} &lt;${m.email}&gt;${m.active ? '' : html` <span class="muted">(${s.inactive})</span>`}</label>`)
    : html`<p class="muted">${s.none}</p>`}
</fieldset>`;
}

function organisationFields(s: SetupStrings, v: OrganisationValues, projects: Array<{ key: string; name: string }>, prefix: string): Markup {
  return html`<label for="${prefix}-name">${s.name}</label>
<input type="text" id="${prefix}-name" name="name" required maxlength="200" value="${v.name}">
<label for="${prefix}-domains">${s.domains}</label>
<textarea class="short" id="${prefix}-domains" name="domains" aria-describedby="${prefix}-domains-hint">${v.domains.join('\n')}</textarea>
<p class="muted" id="${prefix}-domains-hint">${s.domainsHint}</p>
<fieldset><legend>${s.orgProjects}</legend>
${projects.length
    ? projects.map((p, i) => html`<label class="check"><input type="checkbox" name="projects" id="${prefix}-project-${i}" value="${p.key}"${v.projects.includes(p.key) ? html` checked` : ''}> ${p.key} — ${p.name}</label>`)
    : html`<p class="muted">${s.none}</p>`}
</fieldset>
<label class="check"><input type="checkbox" name="validates" value="1" aria-describedby="${prefix}-validates-hint"${v.validates ? html` checked` : ''}> ${s.requiresValidation}</label>
<p class="muted" id="${prefix}-validates-hint">${s.requiresValidationHint}</p>`;
}

const emptyProject: ProjectValues = { key: '', name: '', addresses: [], products: [], staff: [] };
const emptyOrganisation: OrganisationValues = { name: '', domains: [], projects: [], validates: undefined };

export function setupPages(deps: SetupDeps) {
  const app = new Hono<AdminEnv>();
  app.use('*', adminsOnly());

  app.get('/', (c) => c.redirect('/admin/setup/projects', 303));

  // Projects ---------------------------------------------------------------------------------

  async function projectList(c: Context<AdminEnv>, note: Note = {}, draft: ProjectValues = emptyProject, status: 200 | 201 | 422 = 200) {
    const s = setupStrings(c);
    const [projects, staff] = await Promise.all([describeProjects(deps.db), describeStaff(deps.db)]);
    const body = html`<h1>${s.projects}</h1>
${notes(note)}
${projects.length
    ? html`<table class="list">
<thead><tr><th scope="col">${s.key}</th><th scope="col">${s.name}</th><th scope="col">${s.addresses}</th><th scope="col">${s.products}</th><th scope="col">${s.projectStaff}</th></tr></thead>
<tbody>${projects.map((p) => html`<tr>
<td><a href="/admin/setup/projects/${p.id}" aria-label="${s.edit}: ${p.key}">${p.key}</a></td><td>${p.name}</td>
<td>${p.addresses.join(', ') || html`<span class="muted">${s.none}</span>`}</td>
<td>${p.products.join(', ') || html`<span class="muted">${s.none}</span>`}</td>
<td>${p.staff.map((m) => m.name).join(', ') || html`<span class="muted">${s.none}</span>`}</td>
</tr>`)}</tbody></table>`
    : html`<p>${s.noProjects}</p>`}
<form method="post" action="/admin/setup/projects" class="card stack">
<h2>${s.addProject}</h2>
${csrfField(c.get('session').csrf)}
${projectFields(s, draft, staff, 'new-project')}
<button class="primary" type="submit">${s.addProject}</button>
</form>`;
    return c.html(setupPage(c, 'projects', s.projects, body), status);
  }

  // The note names only a project that exists, so a crafted link cannot make the page say anything else.
  app.get('/projects', async (c) => {
    const added = c.req.query('added');
    const known = added ? (await describeProjects(deps.db)).find((p) => p.key === added) : undefined;
    return projectList(c, { ok: known ? fill(setupStrings(c).projectAdded, { key: known.key }) : undefined });
  });

  app.post('/projects', async (c) => {
    const s = setupStrings(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = projectForm.safeParse(fields);
    if (!parsed.success) return projectList(c, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, emptyProject, 422);
    const v = parsed.data;
    try {
      const key = await addProject(deps.db, { key: v.key, name: v.name, addresses: v.addresses, products: v.products, staff: v.staff }, deps.now());
      return c.redirect(`/admin/setup/projects?added=${encodeURIComponent(key)}`, 303);
    } catch (err) {
      return projectList(c, { error: reasonOf(s, err) }, v, 422);
    }
  });

  async function projectEdit(c: Context<AdminEnv>, id: number, note: Note = {}, draft?: ProjectValues, status: 200 | 404 | 422 = 200) {
    const s = setupStrings(c);
    const [projects, staff] = await Promise.all([describeProjects(deps.db), describeStaff(deps.db)]);
    const project = projects.find((p) => p.id === id);
    if (!project) return c.html(setupPage(c, 'projects', s.notFound, flash('error', s.notFound)), 404);
    const values = draft ?? { key: project.key, name: project.name, addresses: project.addresses, products: project.products, staff: project.staff.map((m) => m.email) };
    const title = fill(s.editProject, { key: project.key });
    const body = html`<h1>${title}</h1>
${notes(note)}
<form method="post" action="/admin/setup/projects/${id}" class="card stack">
${csrfField(c.get('session').csrf)}
${projectFields(s, values, staff, 'project')}
<button class="primary" type="submit">${s.save}</button>
</form>
<p><a href="/admin/setup/projects">${s.projects}</a></p>`;
    return c.html(setupPage(c, 'projects', title, body), status);
  }

  app.get('/projects/:id{[0-9]+}', (c) => projectEdit(c, idParam(c) ?? 0));

  app.post('/projects/:id{[0-9]+}', async (c) => {
    const s = setupStrings(c);
    const id = idParam(c) ?? 0;
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = projectForm.safeParse(fields);
    if (!parsed.success) return projectEdit(c, id, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, undefined, 422);
    const v = parsed.data;
    try {
      const key = await updateProject(deps.db, id, { key: v.key, name: v.name, addresses: v.addresses, products: v.products, staff: v.staff });
      return projectEdit(c, id, { ok: fill(s.projectSaved, { key }) });
    } catch (err) {
      if (err instanceof DirectoryError && err.message === 'no such project') return projectEdit(c, id);
      return projectEdit(c, id, { error: reasonOf(s, err) }, v, 422);
    }
  });

  // Organisations ----------------------------------------------------------------------------

  async function organisationList(c: Context<AdminEnv>, note: Note = {}, draft: OrganisationValues = emptyOrganisation, status: 200 | 422 = 200) {
    const s = setupStrings(c);
    const [organisations, projects] = await Promise.all([describeOrganisations(deps.db), describeProjects(deps.db)]);
    const body = html`<h1>${s.organisations}</h1>
${notes(note)}
${organisations.length
    ? html`<table class="list">
<thead><tr><th scope="col">${s.name}</th><th scope="col">${s.domains}</th><th scope="col">${s.orgProjects}</th><th scope="col">${s.requiresValidation}</th><th scope="col">${s.contacts}</th></tr></thead>
<tbody>${organisations.map((o) => html`<tr>
<td><a href="/admin/setup/organisations/${o.id}">${o.name}</a></td>
<td>${o.domains.join(', ') || html`<span class="muted">${s.none}</span>`}</td>
<td>${o.projects.join(', ') || html`<span class="muted">${s.none}</span>`}</td>
<td>${o.validatesMembers ? s.yes : s.no}</td>
<td class="num">${o.contacts}</td>
</tr>`)}</tbody></table>`
    : html`<p>${s.noOrganisations}</p>`}
<form method="post" action="/admin/setup/organisations" class="card stack">
<h2>${s.addOrganisation}</h2>
${csrfField(c.get('session').csrf)}
${organisationFields(s, draft, projects, 'new-organisation')}
<button class="primary" type="submit">${s.addOrganisation}</button>
</form>`;
    return c.html(setupPage(c, 'organisations', s.organisations, body), status);
  }

  app.get('/organisations', async (c) => {
    const added = Number(c.req.query('added'));
    const known = (await describeOrganisations(deps.db)).find((o) => o.id === added);
    return organisationList(c, { ok: known ? fill(setupStrings(c).organisationAdded, { name: known.name }) : undefined });
  });

  app.post('/organisations', async (c) => {
    const s = setupStrings(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = organisationForm.safeParse(fields);
    if (!parsed.success) return organisationList(c, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, emptyOrganisation, 422);
    const v = parsed.data;
    try {
      const id = await addOrganisation(deps.db, { name: v.name, domains: v.domains, projects: v.projects, validatesMembers: v.validates === '1' }, deps.now());
      return c.redirect(`/admin/setup/organisations?added=${id}`, 303);
    } catch (err) {
      return organisationList(c, { error: reasonOf(s, err) }, v, 422);
    }
  });

  async function organisationEdit(c: Context<AdminEnv>, id: number, note: Note = {}, draft?: OrganisationValues, status: 200 | 422 = 200) {
    const s = setupStrings(c);
    const [organisations, projects] = await Promise.all([describeOrganisations(deps.db), describeProjects(deps.db)]);
    const organisation = organisations.find((o) => o.id === id);
    if (!organisation) return c.html(setupPage(c, 'organisations', s.notFound, flash('error', s.notFound)), 404);
    const values = draft ?? { name: organisation.name, domains: organisation.domains, projects: organisation.projects, validates: organisation.validatesMembers ? '1' as const : undefined };
    const title = fill(s.editOrganisation, { name: organisation.name });
    const body = html`<h1>${title}</h1>
${notes(note)}
<form method="post" action="/admin/setup/organisations/${id}" class="card stack">
${csrfField(c.get('session').csrf)}
${organisationFields(s, values, projects, 'organisation')}
<button class="primary" type="submit">${s.save}</button>
</form>
<p><a href="/admin/setup/organisations">${s.organisations}</a></p>`;
    return c.html(setupPage(c, 'organisations', title, body), status);
  }

  app.get('/organisations/:id{[0-9]+}', (c) => organisationEdit(c, idParam(c) ?? 0));

  app.post('/organisations/:id{[0-9]+}', async (c) => {
    const s = setupStrings(c);
    const id = idParam(c) ?? 0;
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = organisationForm.safeParse(fields);
    if (!parsed.success) return organisationEdit(c, id, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, undefined, 422);
    const v = parsed.data;
    try {
      await updateOrganisation(deps.db, id, { name: v.name, domains: v.domains, projects: v.projects, validatesMembers: v.validates === '1' });
      return organisationEdit(c, id, { ok: fill(s.organisationSaved, { name: v.name.trim() }) });
    } catch (err) {
      if (err instanceof DirectoryError && err.message === 'no such organisation') return organisationEdit(c, id);
      return organisationEdit(c, id, { error: reasonOf(s, err) }, v, 422);
    }
  });

  // Staff and mailboxes ------------------------------------------------------------------------

  app.route('/staff', staffPages({ db: deps.db, now: deps.now, invites: deps.invites ?? false }));
  app.get('/mailboxes', (c) => mailboxPage(c, { db: deps.db, mailboxes: deps.mailboxes, live: deps.live }));

  return app;
}

// Saved replies: the answers staff give every day, per project or for all, written once here and
// inserted into the composer with the client's name and the ticket number filled in. They follow the
// rights of tickets/rights.ts: an agent sees, uses and edits the saved replies of the projects they
// see; those for all projects are offered to everyone and changed by admins alone, since they speak
// for every team. One outside the staff member's rights answers 404, as if it did not exist.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/schema.ts';
import { addSavedReply, allSavedReplies, deleteSavedReply, updateSavedReply } from '../../../tickets/drafts.ts';
import { mayEditSavedReply, projectVisible, visibleSavedReply, type Scope, type Viewer } from '../../../tickets/rights.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import type { Session } from '../session.ts';
import { sessionScope } from './ticket-list.ts';

const WORDS = {
  en: {
    title: 'Saved replies',
    none: 'No saved reply yet.',
    add: 'Add a saved reply',
    edit: 'Edit',
    editTitle: 'Saved reply: {title}',
    name: 'Title',
    body: 'Text',
    hint: '{{name}} is replaced by the client\'s name, {{number}} by the ticket number.',
    project: 'Project',
    allProjects: 'All projects',
    allProjectsAdmins: 'Saved replies for all projects are changed by admins.',
    save: 'Save',
    remove: 'Delete',
    back: 'All saved replies',
    notFound: 'Not found.',
    unknownProject: 'project: no such project',
    adminsOnly: 'Only admins change the saved replies for all projects.',
  },
  fr: {
    title: 'Réponses enregistrées',
    none: 'Aucune réponse enregistrée.',
    add: 'Ajouter une réponse enregistrée',
    edit: 'Modifier',
    editTitle: 'Réponse enregistrée\u00a0: {title}',
    name: 'Titre',
    body: 'Texte',
    hint: '{{name}} est remplacé par le nom du client, {{number}} par le numéro du ticket.',
    project: 'Projet',
    allProjects: 'Tous les projets',
    allProjectsAdmins: 'Les réponses pour tous les projets sont modifiées par les administrateurs.',
    save: 'Enregistrer',
    remove: 'Supprimer',
    back: 'Toutes les réponses enregistrées',
    notFound: 'Introuvable.',
    unknownProject: 'project\u00a0: projet inconnu',
    adminsOnly: 'Seuls les administrateurs modifient les réponses pour tous les projets.',
  },
} satisfies Record<Lang, Record<string, string>>;
type Words = (typeof WORDS)['en'];

const form = z.object({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(20_000),
  project: z.preprocess((v) => (v === '' ? null : v), z.coerce.number().int().positive().nullable()),
});
type Draft = { title: string; body: string; project: number | null };

const viewerOf = (session: Session): Viewer => ({ staffId: session.staff.id, role: session.staff.role });

export function savedRepliesPage(deps: { db: Kysely<Database>; now: () => Date }) {
  const app = new Hono<AdminEnv>();

  /** The projects a saved reply may be filed under by this staff member: those they see. */
  const projectsOf = async (scope: Scope) =>
    (await deps.db.selectFrom('project').select(['id', 'name']).orderBy('name').execute()).filter((p) => projectVisible(scope, p.id));

  function fields(w: Words, csrf: string, projects: Array<{ id: number; name: string }>, admin: boolean, draft: Draft): Markup {
    // "All projects" is offered to admins only; an agent's reply is filed under one of their projects.
    return html`${csrfField(csrf)}
<label for="title">${w.name}</label><input id="title" name="title" type="text" required maxlength="200" value="${draft.title}">
<label for="project">${w.project}</label><select id="project" name="project" aria-describedby="project-hint">${admin ? html`<option value="">${w.allProjects}</option>` : ''}${projects.map((p) => html`<option value="${p.id}"${draft.project === p.id ? html` selected` : ''}>${p.name}</option>`)}</select>
${admin ? '' : html`<p class="muted" id="project-hint">${w.allProjectsAdmins}</p>`}
<label for="body">${w.body}</label><textarea id="body" name="body" required>${draft.body}</textarea>
<p class="muted">${w.hint}</p>`;
  }

  const shell = (c: Context<AdminEnv>, title: string, body: Markup, status: 200 | 403 | 404 | 422 = 200) =>
    c.html(page({ t: c.get('t'), lang: c.get('lang'), title, session: c.get('session') }, body), status);

  async function list(c: Context<AdminEnv>, error?: string, draft: Draft = { title: '', body: '', project: null }, status: 200 | 403 | 404 | 422 = 200) {
    const w = WORDS[c.get('lang') as Lang];
    const session = c.get('session');
    const viewer = viewerOf(session);
    const scope = await sessionScope(deps.db, session);
    const [replies, projects] = await Promise.all([allSavedReplies(deps.db, scope), projectsOf(scope)]);
    const admin = session.staff.role !== 'agent';
    const body = html`<h1>${w.title}</h1>
${error ? flash('error', error) : ''}
${replies.length ? html`<table class="list"><thead><tr><th scope="col">${w.name}</th><th scope="col">${w.project}</th><th scope="col">${w.body}</th><th scope="col"></th></tr></thead><tbody>
${replies.map((r) => html`<tr><td>${r.title}</td><td>${r.project ?? w.allProjects}</td><td class="text">${r.body}</td>
<td>${mayEditSavedReply(viewer, r)
    ? html`<a href="/admin/saved-replies/${r.id}" aria-label="${w.edit}: ${r.title}">${w.edit}</a>
<form method="post" action="/admin/saved-replies/${r.id}/delete" class="inline">${csrfField(session.csrf)}<button class="secondary" type="submit" aria-label="${w.remove}: ${r.title}">${w.remove}</button></form>`
    : ''}</td></tr>`)}
</tbody></table>` : html`<p>${w.none}</p>`}
${admin || projects.length ? html`<form method="post" action="/admin/saved-replies" class="card stack">
<h2>${w.add}</h2>
${fields(w, session.csrf, projects, admin, draft)}
<button class="primary" type="submit">${w.save}</button>
</form>` : ''}`;
    return shell(c, w.title, body, status);
  }

  /** The reply's own page, to change it; null (a 404 to send) when the staff member does not see it. */
  async function edit(c: Context<AdminEnv>, id: number, note: { error?: string; draft?: Draft; status?: 200 | 403 | 422 } = {}) {
    const w = WORDS[c.get('lang') as Lang];
    const session = c.get('session');
    const scope = await sessionScope(deps.db, session);
    const reply = await visibleSavedReply(deps.db, scope, id);
    if (!reply) return shell(c, w.notFound, flash('error', w.notFound), 404);
    const title = w.editTitle.replace('{title}', reply.title);
    if (!mayEditSavedReply(viewerOf(session), reply)) {
      return shell(c, title, html`<h1>${title}</h1>${flash('error', w.adminsOnly)}<p><a href="/admin/saved-replies">${w.back}</a></p>`, 403);
    }
    const draft = note.draft ?? { title: reply.title, body: reply.body, project: reply.project_id };
    const body = html`<h1>${title}</h1>
${note.error ? flash('error', note.error) : ''}
<form method="post" action="/admin/saved-replies/${id}" class="card stack">
${fields(w, session.csrf, await projectsOf(scope), session.staff.role !== 'agent', draft)}
<button class="primary" type="submit">${w.save}</button>
</form>
<p><a href="/admin/saved-replies">${w.back}</a></p>`;
    return shell(c, title, body, note.status ?? 200);
  }

  /** The form's values, when they parse and name a project the staff member may file under. */
  async function parse(c: Context<AdminEnv>, fields: Record<string, string | string[]>): Promise<{ ok: true; draft: Draft } | { ok: false; error: string; status: 403 | 422; draft?: Draft }> {
    const w = WORDS[c.get('lang') as Lang];
    const parsed = form.safeParse(fields);
    if (!parsed.success) return { ok: false, status: 422, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    const draft = parsed.data;
    const session = c.get('session');
    if (draft.project === null) {
      return mayEditSavedReply(viewerOf(session), { project_id: null }) ? { ok: true, draft } : { ok: false, status: 403, error: w.adminsOnly, draft };
    }
    // A project outside the staff member's rights is refused as one that does not exist.
    const exists = await deps.db.selectFrom('project').select('id').where('id', '=', draft.project).executeTakeFirst();
    if (!exists || !projectVisible(await sessionScope(deps.db, session), draft.project)) return { ok: false, status: 422, error: w.unknownProject, draft: { ...draft, project: null } };
    return { ok: true, draft };
  }

  const idOf = (c: Context<AdminEnv>) => Number(c.req.param('id'));

  app.get('/', (c) => list(c));

  app.post('/', async (c) => {
    const fields = await checkedForm(c);
    if (!fields) return c.text(c.get('t').formExpired, 403);
    const parsed = await parse(c, fields);
    if (!parsed.ok) return list(c, parsed.error, parsed.draft, parsed.status);
    await addSavedReply(deps.db, { projectId: parsed.draft.project, title: parsed.draft.title, body: parsed.draft.body }, deps.now());
    return c.redirect('/admin/saved-replies', 303);
  });

  app.get('/:id{[0-9]+}', (c) => edit(c, idOf(c)));

  app.post('/:id{[0-9]+}', async (c) => {
    const fields = await checkedForm(c);
    if (!fields) return c.text(c.get('t').formExpired, 403);
    const id = idOf(c);
    const session = c.get('session');
    const reply = await visibleSavedReply(deps.db, await sessionScope(deps.db, session), id);
    if (!reply || !mayEditSavedReply(viewerOf(session), reply)) return edit(c, id);
    const parsed = await parse(c, fields);
    if (!parsed.ok) return edit(c, id, { error: parsed.error, draft: parsed.draft, status: parsed.status });
    await updateSavedReply(deps.db, id, { projectId: parsed.draft.project, title: parsed.draft.title, body: parsed.draft.body });
    return c.redirect('/admin/saved-replies', 303);
  });

  app.post('/:id{[0-9]+}/delete', async (c) => {
    if (!(await checkedForm(c))) return c.text(c.get('t').formExpired, 403);
    const id = idOf(c);
    const session = c.get('session');
    const reply = await visibleSavedReply(deps.db, await sessionScope(deps.db, session), id);
    if (!reply || !mayEditSavedReply(viewerOf(session), reply)) return edit(c, id);
    await deleteSavedReply(deps.db, id);
    return c.redirect('/admin/saved-replies', 303);
  });
  return app;
}

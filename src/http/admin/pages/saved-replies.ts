// Saved replies: the answers staff give every day, per project or for all, written once here and
// inserted into the composer with the client's name and the ticket number filled in.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/schema.ts';
import { addSavedReply, allSavedReplies, deleteSavedReply } from '../../../tickets/drafts.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';

const WORDS = {
  en: {
    title: 'Saved replies',
    none: 'No saved reply yet.',
    add: 'Add a saved reply',
    name: 'Title',
    body: 'Text',
    hint: '{{name}} is replaced by the client\'s name, {{number}} by the ticket number.',
    project: 'Project',
    allProjects: 'All projects',
    save: 'Save',
    remove: 'Delete',
  },
  fr: {
    title: 'Réponses enregistrées',
    none: 'Aucune réponse enregistrée.',
    add: 'Ajouter une réponse enregistrée',
    name: 'Titre',
    body: 'Texte',
    hint: '{{name}} est remplacé par le nom du client, {{number}} par le numéro du ticket.',
    project: 'Projet',
    allProjects: 'Tous les projets',
    save: 'Enregistrer',
    remove: 'Supprimer',
  },
} satisfies Record<Lang, Record<string, string>>;

const form = z.object({
  title: z.string().trim().min(1).max(200),
  body: z.string().trim().min(1).max(20_000),
  project: z.preprocess((v) => (v === '' ? null : v), z.coerce.number().int().positive().nullable()),
});

export function savedRepliesPage(deps: { db: Kysely<Database>; now: () => Date }) {
  const app = new Hono<AdminEnv>();

  async function view(c: Context<AdminEnv>, error?: string): Promise<Markup> {
    const lang = c.get('lang') as Lang;
    const w = WORDS[lang];
    const csrf = c.get('session').csrf;
    const replies = await allSavedReplies(deps.db);
    const projects = await deps.db.selectFrom('project').select(['id', 'name']).orderBy('name').execute();
    return html`<h1>${w.title}</h1>
${error ? flash('error', error) : ''}
${replies.length ? html`<table class="list"><thead><tr><th scope="col">${w.name}</th><th scope="col">${w.project}</th><th scope="col">${w.body}</th><th scope="col"></th></tr></thead><tbody>
${replies.map((r) => html`<tr><td>${r.title}</td><td>${r.project ?? w.allProjects}</td><td class="text">${r.body}</td>
<td><form method="post" action="/admin/saved-replies/${r.id}/delete">${csrfField(csrf)}<button class="secondary" type="submit">${w.remove}</button></form></td></tr>`)}
</tbody></table>` : html`<p>${w.none}</p>`}
<form method="post" action="/admin/saved-replies" class="card stack">
<h2>${w.add}</h2>
${csrfField(csrf)}
<label for="title">${w.name}</label><input id="title" name="title" type="text" required maxlength="200">
<label for="project">${w.project}</label><select id="project" name="project"><option value="">${w.allProjects}</option>${projects.map((p) => html`<option value="${p.id}">${p.name}</option>`)}</select>
<label for="body">${w.body}</label><textarea id="body" name="body" required></textarea>
<p class="muted">${w.hint}</p>
<button class="primary" type="submit">${w.save}</button>
</form>`;
  }

  app.get('/', async (c) => c.html(page({ t: c.get('t'), lang: c.get('lang'), title: WORDS[c.get('lang')].title, session: c.get('session') }, await view(c))));

  app.post('/', async (c) => {
    const fields = await checkedForm(c);
    if (!fields) return c.text(c.get('t').formExpired, 403);
    const parsed = form.safeParse(fields);
    if (!parsed.success) {
      const error = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return c.html(page({ t: c.get('t'), lang: c.get('lang'), title: WORDS[c.get('lang')].title, session: c.get('session') }, await view(c, error)), 422);
    }
    await addSavedReply(deps.db, { projectId: parsed.data.project, title: parsed.data.title, body: parsed.data.body }, deps.now());
    return c.redirect('/admin/saved-replies', 303);
  });

  app.post('/:id{[0-9]+}/delete', async (c) => {
    if (!(await checkedForm(c))) return c.text(c.get('t').formExpired, 403);
    await deleteSavedReply(deps.db, Number(c.req.param('id')));
    return c.redirect('/admin/saved-replies', 303);
  });
  return app;
}

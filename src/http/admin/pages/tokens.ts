// API tokens: each staff member makes their own, for scripts that act as them with their role, and
// revokes any of them alone. A token is shown once, on the page that answers its creation (never in
// a URL, never cached); only its digest is kept. Admins also see every member's tokens and may revoke
// any, for when someone leaves or a token leaks. Another member's token is, to an agent, no token
// at all: revoking it answers 404, like any id outside the actor's rights.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../../db/schema.ts';
import { issueStaffToken } from '../../auth.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';

interface TokenPageDeps {
  db: Kysely<Database>;
  now: () => Date;
}

const en = {
  title: 'API tokens',
  intro: 'A token lets a script use the JSON API (/api/v1) as you, with your role. Send it as "Authorization: Bearer <token>". The API is described at /api/v1/openapi.json.',
  yours: 'Your tokens',
  others: 'Other staff members’ tokens',
  none: 'No tokens yet.',
  name: 'Name',
  owner: 'Staff member',
  created: 'Created',
  lastUsed: 'Last used',
  never: 'never',
  revokedOn: 'revoked',
  revoke: 'Revoke',
  create: 'Create a token',
  namePlaceholder: 'what it is for, e.g. "nightly export"',
  createdOnce: 'Token created. Copy it now: it is shown only this once and cannot be found again.',
  newToken: 'Your new token',
  revoked: 'Token revoked: it no longer opens the API.',
  badName: 'Give the token a name (100 characters at most).',
  notFound: 'No such token.',
  formExpired: 'This form has expired. Please try again.',
};

type TokenStrings = typeof en;

const fr: TokenStrings = {
  title: 'Jetons d’API',
  intro: 'Un jeton permet à un script d’utiliser l’API JSON (/api/v1) en votre nom, avec votre rôle. Envoyez-le dans « Authorization: Bearer <jeton> ». L’API est décrite dans /api/v1/openapi.json.',
  yours: 'Vos jetons',
  others: 'Jetons des autres membres de l’équipe',
  none: 'Aucun jeton pour l’instant.',
  name: 'Nom',
  owner: 'Membre de l’équipe',
  created: 'Créé',
  lastUsed: 'Dernière utilisation',
  never: 'jamais',
  revokedOn: 'révoqué',
  revoke: 'Révoquer',
  create: 'Créer un jeton',
  namePlaceholder: 'à quoi il sert, par ex. « export nocturne »',
  createdOnce: 'Jeton créé. Copiez-le maintenant : il n’est affiché que cette fois et ne pourra pas être retrouvé.',
  newToken: 'Votre nouveau jeton',
  revoked: 'Jeton révoqué : il n’ouvre plus l’API.',
  badName: 'Donnez un nom au jeton (100 caractères au plus).',
  notFound: 'Jeton introuvable.',
  formExpired: 'Ce formulaire a expiré. Veuillez réessayer.',
};

const STRINGS: Record<Lang, TokenStrings> = { en, fr };

const createForm = z.object({ name: z.string().trim().min(1).max(100) });

const formatDate = (iso: string, lang: Lang) =>
  new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** One member's tokens, or (admins) everyone else's; revoked ones stay listed, with when. */
async function tokensOf(db: Kysely<Database>, who: { owner: number } | { notOwner: number }) {
  let q = db
    .selectFrom('staff_token')
    .innerJoin('staff', 'staff.id', 'staff_token.staff_id')
    .select(['staff_token.id', 'staff_token.name', 'staff_token.created_at', 'staff_token.last_used_at', 'staff_token.revoked_at', 'staff.name as owner']);
  q = 'owner' in who ? q.where('staff_token.staff_id', '=', who.owner) : q.where('staff_token.staff_id', '!=', who.notOwner);
  return q.orderBy('staff.name').orderBy('staff_token.created_at', 'desc').orderBy('staff_token.id', 'desc').execute();
}

type TokenRow = Awaited<ReturnType<typeof tokensOf>>[number];

function tokenTable(s: TokenStrings, lang: Lang, rows: TokenRow[], csrf: string, withOwner: boolean): Markup {
  if (!rows.length) return html`<p>${s.none}</p>`;
  return html`<table class="list">
<thead><tr>${withOwner ? html`<th scope="col">${s.owner}</th>` : ''}<th scope="col">${s.name}</th><th scope="col">${s.created}</th><th scope="col">${s.lastUsed}</th><th scope="col"></th></tr></thead>
<tbody>${rows.map((r) => html`<tr>
${withOwner ? html`<td>${r.owner}</td>` : ''}<td>${r.name}</td>
<td>${formatDate(r.created_at, lang)}</td>
<td>${r.last_used_at ? formatDate(r.last_used_at, lang) : s.never}</td>
<td>${r.revoked_at
    ? html`<span class="badge">${s.revokedOn} ${formatDate(r.revoked_at, lang)}</span>`
    : html`<form method="post" action="/admin/tokens/${r.id}/revoke">${csrfField(csrf)}<button class="secondary" type="submit" aria-label="${s.revoke}: ${r.name}">${s.revoke}</button></form>`}</td>
</tr>`)}</tbody>
</table>`;
}

export function tokenPages(deps: TokenPageDeps) {
  const app = new Hono<AdminEnv>();

  async function render(c: Context<AdminEnv>, note: { created?: string; error?: string; revoked?: boolean } = {}, status: 200 | 201 | 404 | 422 = 200) {
    const lang = c.get('lang');
    const s = STRINGS[lang];
    const session = c.get('session');
    const admin = session.staff.role === 'admin';
    const [mine, others] = await Promise.all([
      tokensOf(deps.db, { owner: session.staff.id }),
      admin ? tokensOf(deps.db, { notOwner: session.staff.id }) : Promise.resolve([]),
    ]);
    const body = html`<h1>${s.title}</h1>
<p>${s.intro}</p>
${note.error ? flash('error', note.error) : ''}${note.revoked ? flash('ok', s.revoked) : ''}
${note.created
    ? html`<div class="card stack">${flash('ok', s.createdOnce)}<label for="new-token">${s.newToken}</label><input type="text" id="new-token" readonly value="${note.created}" autocomplete="off" spellcheck="false"></div>`
    : ''}
<form method="post" action="/admin/tokens" class="card stack">
<h2>${s.create}</h2>
${csrfField(session.csrf)}
<label for="token-name">${s.name}</label>
<input type="text" id="token-name" name="name" required maxlength="100" placeholder="${s.namePlaceholder}">
<button class="primary" type="submit">${s.create}</button>
</form>
<h2>${s.yours}</h2>
${tokenTable(s, lang, mine, session.csrf, false)}
${admin ? html`<h2>${s.others}</h2>${tokenTable(s, lang, others, session.csrf, true)}` : ''}`;
    // The page that shows a new token must not be kept by the browser or any proxy.
    if (note.created) c.header('Cache-Control', 'no-store');
    return c.html(page({ t: c.get('t'), lang, title: s.title, session }, body), status);
  }

  app.get('/', (c) => render(c, { revoked: c.req.query('revoked') === '1' }));

  app.post('/', async (c) => {
    const s = STRINGS[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(s.formExpired, 403);
    const parsed = createForm.safeParse(form);
    if (!parsed.success) return render(c, { error: s.badName }, 422);
    const { token } = await issueStaffToken(deps.db, c.get('session').staff.id, parsed.data.name, deps.now());
    return render(c, { created: token }, 201);
  });

  app.post('/:id{[0-9]+}/revoke', async (c) => {
    const s = STRINGS[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(s.formExpired, 403);
    const staff = c.get('session').staff;
    let q = deps.db.updateTable('staff_token').set({ revoked_at: deps.now().toISOString() }).where('id', '=', Number(c.req.param('id'))).where('revoked_at', 'is', null);
    if (staff.role !== 'admin') q = q.where('staff_id', '=', staff.id);
    const result = await q.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return render(c, { error: s.notFound }, 404);
    return c.redirect('/admin/tokens?revoked=1', 303);
  });

  return app;
}

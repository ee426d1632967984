// Staff members (admins only, behind the setup gate): add one — the generated password is shown on
// the page that answers the form, once, never in a URL and never cached, as `guichet staff add`
// prints it; the same form invites instead (setup-staff-form.ts) —, deactivate or reactivate, make
// admin or agent. An admin changes neither their own
// state nor their own role here: the last admin could otherwise lock everyone out.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { addStaff, describeStaff, DirectoryError, setStaffActive, setStaffRole } from '../../../accounts/directory.ts';
import type { Database } from '../../../db/schema.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import { csrfField, flash, type Markup } from '../layout.ts';
import { fill, idParam, setupPage, setupStrings, zodReason } from './setup-common.ts';
import { emptyStaffDraft, staffForm, type StaffDraft } from './setup-staff-form.ts';
import { INVITE_DAYS, invitedNote } from './staff-links.ts';

const addForm = z.object({
  email: z.string().max(254),
  name: z.string().max(200),
  role: z.enum(['admin', 'agent']),
});

const activeForm = z.object({ active: z.enum(['0', '1']) });
const roleForm = z.object({ role: z.enum(['admin', 'agent']) });

type Note = { ok?: string; error?: string; password?: { email: string; value: string } };

export function staffPages(deps: { db: Kysely<Database>; now: () => Date; invites: boolean }) {
  const app = new Hono<AdminEnv>();

  /** The member's address, for the note after a change; null when the id names nobody. */
  const emailOf = async (id: number) => (await deps.db.selectFrom('staff').select('email').where('id', '=', id).executeTakeFirst())?.email ?? null;

  async function render(c: Context<AdminEnv>, note: Note = {}, draft: StaffDraft = emptyStaffDraft, status: 200 | 201 | 404 | 422 = 200) {
    const s = setupStrings(c);
    const session = c.get('session');
    const staff = await describeStaff(deps.db);
    const action = (id: number, path: string, field: string, value: string, label: string, what: string): Markup =>
      html`<form method="post" action="/admin/setup/staff/${id}/${path}" class="inline">${csrfField(session.csrf)}<input type="hidden" name="${field}" value="${value}"><button class="secondary" type="submit" aria-label="${label}: ${what}">${label}</button></form>`;
    const body = html`<h1>${s.staff}</h1>
${note.error ? flash('error', note.error) : ''}${note.ok ? flash('ok', note.ok) : ''}
${note.password
    ? html`<div class="card stack">${flash('ok', fill(s.staffAdded, { email: note.password.email }))}<label for="new-password">${fill(s.newPassword, { email: note.password.email })}</label><input type="text" id="new-password" readonly value="${note.password.value}" autocomplete="off" spellcheck="false"></div>`
    : ''}
<table class="list">
<thead><tr><th scope="col">${s.name}</th><th scope="col">${s.email}</th><th scope="col">${s.role}</th><th scope="col">${s.state}</th><th scope="col">${s.projects}</th><th scope="col">${s.tokens}</th><th scope="col"></th></tr></thead>
<tbody>${staff.map((m) => {
    const self = m.id === session.staff.id;
    return html`<tr>
<td>${m.name}${self ? html` <span class="muted">${s.you}</span>` : ''}</td><td>${m.email}</td>
<td>${s.roles[m.role]}</td>
<td><span class="badge ${m.active ? 'state-active' : 'state-blocked'}">${m.active ? s.active : s.inactive}</span></td>
<td>${m.projects.join(', ') || html`<span class="muted">${s.none}</span>`}</td>
<td class="num">${m.tokens}</td>
<td class="actions">${self
      ? ''
      : html`${m.active ? action(m.id, 'active', 'active', '0', s.deactivate, m.email) : action(m.id, 'active', 'active', '1', s.reactivate, m.email)}
${m.role === 'admin' ? action(m.id, 'role', 'role', 'agent', s.makeAgent, m.email) : action(m.id, 'role', 'role', 'admin', s.makeAdmin, m.email)}`}</td>
</tr>`;
  })}</tbody></table>
<p><a href="/admin/tokens">${s.tokensLink}</a></p>
${staffForm(c, { draft, inviteDays: deps.invites ? INVITE_DAYS : null })}`;
    // The page that shows a new password must not be kept by the browser or any proxy.
    if (note.password) c.header('Cache-Control', 'no-store');
    return c.html(setupPage(c, 'staff', s.staff, body), status);
  }

  // The note names a member by id, so a crafted link cannot make the page say anything else.
  app.get('/', async (c) => {
    const saved = Number(c.req.query('saved'));
    const email = Number.isSafeInteger(saved) && saved > 0 ? await emailOf(saved) : null;
    const invited = Number(c.req.query('invited'));
    const invitee = Number.isSafeInteger(invited) && invited > 0 ? await emailOf(invited) : null;
    return render(c, { ok: email ? fill(setupStrings(c).staffSaved, { email }) : invitee ? invitedNote(c, invitee) : undefined });
  });

  app.post('/', async (c) => {
    const s = setupStrings(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = addForm.safeParse(fields);
    if (!parsed.success) return render(c, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, undefined, 422);
    const v = parsed.data;
    try {
      const password = await addStaff(deps.db, { email: v.email, name: v.name, admin: v.role === 'admin' }, deps.now());
      return render(c, { password: { email: v.email.trim().toLowerCase(), value: password } }, undefined, 201);
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      return render(c, { error: fill(s.refused, { why: err.message }) }, v, 422);
    }
  });

  app.post('/:id{[0-9]+}/active', async (c) => {
    const s = setupStrings(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = activeForm.safeParse(fields);
    const id = idParam(c) ?? 0;
    if (!parsed.success) return render(c, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, undefined, 422);
    const email = await emailOf(id);
    if (!email) return render(c, { error: s.notFound }, undefined, 404);
    try {
      await setStaffActive(deps.db, { id, active: parsed.data.active === '1', by: c.get('session').staff.id });
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      return render(c, { error: fill(s.refused, { why: err.message }) }, undefined, 422);
    }
    return c.redirect(`/admin/setup/staff?saved=${id}`, 303);
  });

  app.post('/:id{[0-9]+}/role', async (c) => {
    const s = setupStrings(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = roleForm.safeParse(fields);
    const id = idParam(c) ?? 0;
    if (!parsed.success) return render(c, { error: fill(s.refused, { why: zodReason(parsed.error) }) }, undefined, 422);
    const email = await emailOf(id);
    if (!email) return render(c, { error: s.notFound }, undefined, 404);
    try {
      await setStaffRole(deps.db, { id, role: parsed.data.role, by: c.get('session').staff.id });
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      return render(c, { error: fill(s.refused, { why: err.message }) }, undefined, 422);
    }
    return c.redirect(`/admin/setup/staff?saved=${id}`, 303);
  });

  return app;
}

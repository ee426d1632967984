// The one form that brings a member in, on the setup staff page: address, name and role, then two
// ways in, each its own submit button (formaction, plain HTML: no script needed). "Send an
// invitation" mails a link to choose a password (staff-links.ts) and comes first, so Enter in a field
// invites: nothing secret passes through the page. "Add with a password" makes one and shows it
// once (setup-staff.ts), for a member without mail yet. Where no outbox is reached (an admin built
// without it), only the second is offered.
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { AdminEnv } from '../guard.ts';
import { fill, type Lang } from '../i18n.ts';
import { csrfField, type Markup } from '../layout.ts';

export const ADD_PATH = '/admin/setup/staff';
export const INVITE_PATH = '/admin/setup/staff/invite';

const WORDS = {
  en: {
    title: 'Add a staff member',
    email: 'Email',
    name: 'Name',
    role: 'Role',
    roles: { admin: 'Admin', agent: 'Agent' },
    invite: 'Send an invitation',
    inviteHint: 'Send an invitation: they receive a mail with a link to choose their own password, valid {days} days; no password is shown here.',
    add: 'Add with a password',
    addHint: 'Add with a password: one is made and shown on the next page, only once, for you to pass on.',
  },
  fr: {
    title: 'Ajouter un membre de l’équipe',
    email: 'E-mail',
    name: 'Nom',
    role: 'Rôle',
    roles: { admin: 'Administrateur', agent: 'Agent' },
    invite: 'Envoyer une invitation',
    inviteHint: 'Envoyer une invitation\u00a0: il reçoit un e-mail avec un lien pour choisir lui-même son mot de passe, valable {days}\u00a0jours\u00a0; aucun mot de passe n’est affiché ici.',
    add: 'Ajouter avec un mot de passe',
    addHint: 'Ajouter avec un mot de passe\u00a0: un mot de passe est créé et affiché sur la page suivante, une seule fois, pour que vous le transmettiez.',
  },
} satisfies Record<Lang, Record<string, unknown>>;

export type StaffDraft = { email: string; name: string; role: string };
export const emptyStaffDraft: StaffDraft = { email: '', name: '', role: 'agent' };

/** The form; `inviteDays` when invitations can be sent (the outbox is reached), null otherwise. */
export function staffForm(c: Context<AdminEnv>, opts: { draft?: StaffDraft; inviteDays: number | null }): Markup {
  const w = WORDS[c.get('lang') as Lang];
  const draft = opts.draft ?? emptyStaffDraft;
  const invites = opts.inviteDays !== null;
  return html`<form method="post" action="${invites ? INVITE_PATH : ADD_PATH}" class="card stack" aria-labelledby="staff-form-title">
<h2 id="staff-form-title">${w.title}</h2>
${csrfField(c.get('session').csrf)}
<label for="staff-email">${w.email}</label>
<input type="email" id="staff-email" name="email" required maxlength="254" value="${draft.email}" autocomplete="off">
<label for="staff-name">${w.name}</label>
<input type="text" id="staff-name" name="name" required maxlength="200" value="${draft.name}">
<label for="staff-role">${w.role}</label>
<select id="staff-role" name="role">
<option value="agent"${draft.role === 'agent' ? html` selected` : ''}>${w.roles.agent}</option>
<option value="admin"${draft.role === 'admin' ? html` selected` : ''}>${w.roles.admin}</option>
</select>
${invites ? html`<p class="muted" id="staff-invite-hint">${fill(w.inviteHint, { days: opts.inviteDays! })}</p>` : ''}
<p class="muted" id="staff-add-hint">${w.addHint}</p>
<div class="actions">
${invites ? html`<button class="primary" type="submit" formaction="${INVITE_PATH}" aria-describedby="staff-invite-hint">${w.invite}</button>` : ''}
<button class="${invites ? 'secondary' : 'primary'}" type="submit" formaction="${ADD_PATH}" aria-describedby="staff-add-hint">${w.add}</button>
</div>
</form>`;
}

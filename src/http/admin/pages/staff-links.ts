// Invitations and password resets: a link that lets a staff member choose their password. The token
// is 32 random bytes, only in the mail; the database keeps its sha256, looked up by that digest and
// compared again in constant time. A link is used once, voids the member's other open links, and is
// refused past its expiry with a page that says so. Links are built from the config's publicUrl,
// never from the request's Host header, which whoever sends the request chooses: a forged Host would
// otherwise mail a real member a link to someone else's site. The reset form answers the same
// words, status and headers whether the address is a member's or not, and in the same time (see
// FORGOT_ANSWER_MS); requests are bounded per address so it cannot flood anyone's inbox.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { hash } from '@node-rs/argon2';
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { addStaff, DirectoryError } from '../../../accounts/directory.ts';
import type { Database, Language, Trx } from '../../../db/schema.ts';
import { checkedForm, sameSecret, type AdminEnv } from '../guard.ts';
import { fill, type Lang } from '../i18n.ts';
import { flash, page, type Markup } from '../layout.ts';
import type { StaffLinkMail } from '../ports.ts';
import { openSession, SESSION_COOKIE, SESSION_HOURS } from '../session.ts';
import { adminsOnly, setupPage, zodReason } from './setup-common.ts';
import { staffForm } from './setup-staff-form.ts';

/** An invitation waits a week for its member: long enough for a holiday, short enough to go stale. */
export const INVITE_DAYS = 7;
/** A reset link is asked for by someone at their screen now: an hour is plenty. */
export const RESET_MINUTES = 60;
/** Reset links mailed to one address, known or not, per window. */
export const RESET_REQUESTS = { max: 3, windowMinutes: 60 };
export const MIN_PASSWORD = 12;
/**
 * The reset form answers no sooner than this, and then only on a multiple of it. A member's address
 * costs a link row, a rendered mail and an outbox row more than a stranger's, a few milliseconds
 * that a patient attacker could measure; padding both to the same floor hides them. Answering first
 * and doing the work afterwards would hide them too, but a failure would then go unseen and the
 * tests could not tell when the mail is queued.
 */
export const FORGOT_ANSWER_MS = 250;

type Kind = 'invite' | 'reset';
const PATHS: Record<Kind, string> = { invite: '/admin/welcome', reset: '/admin/reset' };
const FORM_COOKIE = 'guichet_form';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const digest = (token: string) => createHash('sha256').update(token).digest();

/** What the outbox pages show of a mail carrying a link: everything but the token, which opens an account. */
export const redactStaffLinks = (text: string) => text.replace(/(\/admin\/(?:welcome|reset)\?token=)[A-Za-z0-9_-]+/g, '$1…');

const en = {
  forgotLink: 'Forgot your password?',
  forgotTitle: 'Reset your password',
  forgotIntro: 'Give the address you sign in with: we mail it a link to choose a new password.',
  email: 'Email',
  send: 'Send the link',
  forgotSent: 'If this address has an account, a mail is on its way with a link to choose a new password. The link works once, for {minutes} minutes.',
  backToLogin: 'Back to sign in',
  badAddress: 'This is not a mail address.',
  tooMany: 'Too many reset links were asked for this address. Try again in {minutes} minutes.',
  formExpired: 'This form has expired. Please try again.',
  welcomeTitle: 'Welcome, {name}',
  welcomeIntro: 'Choose the password you will sign in with as {email}.',
  resetTitle: 'Choose a new password',
  resetIntro: 'Choose a new password for {email}. Every session of this account is then signed out.',
  newPassword: 'New password',
  confirmPassword: 'The same password again',
  passwordHint: 'At least {min} characters.',
  tooShort: 'The password must have at least {min} characters.',
  mismatch: 'The two passwords differ.',
  save: 'Save and sign in',
  linkTitle: 'This link cannot be used',
  linkInvalid: 'This link is not valid, or it was already used.',
  linkExpired: 'This link has expired.',
  askReset: 'Ask for a new link',
  inviteTitle: 'Invite a staff member',
  invited: 'Invitation sent to {email}: the link works once, for {days} days.',
  refused: 'Not sent: {why}',
  staff: 'Staff',
};
type LinkStrings = typeof en;
const fr: LinkStrings = {
  forgotLink: 'Mot de passe oublié\u00a0?',
  forgotTitle: 'Réinitialiser votre mot de passe',
  forgotIntro: 'Indiquez l’adresse avec laquelle vous vous connectez\u00a0: nous y envoyons un lien pour choisir un nouveau mot de passe.',
  email: 'E-mail',
  send: 'Envoyer le lien',
  forgotSent: 'Si cette adresse a un compte, un e-mail est en route avec un lien pour choisir un nouveau mot de passe. Le lien sert une fois, pendant {minutes}\u00a0minutes.',
  backToLogin: 'Retour à la connexion',
  badAddress: 'Ce n’est pas une adresse e-mail.',
  tooMany: 'Trop de liens ont été demandés pour cette adresse. Réessayez dans {minutes}\u00a0minutes.',
  formExpired: 'Ce formulaire a expiré. Veuillez réessayer.',
  welcomeTitle: 'Bienvenue, {name}',
  welcomeIntro: 'Choisissez le mot de passe avec lequel vous vous connecterez en tant que {email}.',
  resetTitle: 'Choisir un nouveau mot de passe',
  resetIntro: 'Choisissez un nouveau mot de passe pour {email}. Toutes les sessions de ce compte sont alors fermées.',
  newPassword: 'Nouveau mot de passe',
  confirmPassword: 'Le même mot de passe, à nouveau',
  passwordHint: 'Au moins {min}\u00a0caractères.',
  tooShort: 'Le mot de passe doit avoir au moins {min}\u00a0caractères.',
  mismatch: 'Les deux mots de passe diffèrent.',
  save: 'Enregistrer et se connecter',
  linkTitle: 'Ce lien ne peut pas servir',
  linkInvalid: 'Ce lien n’est pas valide, ou il a déjà servi.',
  linkExpired: 'Ce lien a expiré.',
  askReset: 'Demander un nouveau lien',
  inviteTitle: 'Inviter un membre de l’équipe',
  invited: 'Invitation envoyée à {email}\u00a0: le lien sert une fois, pendant {days}\u00a0jours.',
  refused: 'Non envoyée\u00a0: {why}',
  staff: 'Équipe',
};
const STRINGS: Record<Lang, LinkStrings> = { en, fr };
const stringsOf = (c: Context<AdminEnv>) => STRINGS[c.get('lang')];

// ---- the links themselves ----------------------------------------------------------------------

/** A new link for a member, inside the caller's transaction; resolves with its token (never stored). */
export async function createLink(trx: Trx, staffId: number, kind: Kind, now: Date): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + (kind === 'invite' ? INVITE_DAYS * 86_400_000 : RESET_MINUTES * 60_000));
  // A new invitation replaces the older ones: only the latest mail works.
  if (kind === 'invite') {
    await trx.updateTable('staff_link').set({ used_at: now.toISOString() }).where('staff_id', '=', staffId).where('kind', '=', 'invite').where('used_at', 'is', null).execute();
  }
  await trx.insertInto('staff_link').values({
    staff_id: staffId, kind, token_hash: digest(token).toString('hex'),
    created_at: now.toISOString(), expires_at: expiresAt.toISOString(), used_at: null,
  }).execute();
  // Links expired for a while go: the table stays small, and a recently expired one still says "expired".
  await trx.deleteFrom('staff_link').where('expires_at', '<', new Date(now.getTime() - INVITE_DAYS * 86_400_000).toISOString()).execute();
  return { token, expiresAt };
}

type Found =
  | { state: 'ok'; linkId: number; staff: { id: number; email: string; name: string } }
  | { state: 'expired' | 'invalid' };

/** The open link a token names, for an active member; the digest is compared in constant time once found. */
export async function findLink(db: Kysely<Database>, token: string | undefined, kind: Kind, now: Date): Promise<Found> {
  if (!token || !TOKEN_SHAPE.test(token)) return { state: 'invalid' };
  const given = digest(token);
  const row = await db
    .selectFrom('staff_link')
    .innerJoin('staff', 'staff.id', 'staff_link.staff_id')
    .select(['staff_link.id', 'staff_link.token_hash', 'staff_link.expires_at', 'staff_link.used_at', 'staff.id as staff_id', 'staff.email', 'staff.name', 'staff.active'])
    .where('staff_link.token_hash', '=', given.toString('hex'))
    .where('staff_link.kind', '=', kind)
    .executeTakeFirst();
  if (!row) return { state: 'invalid' };
  const stored = Buffer.from(row.token_hash, 'hex');
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return { state: 'invalid' };
  if (row.used_at !== null || row.active !== 1) return { state: 'invalid' };
  if (row.expires_at <= now.toISOString()) return { state: 'expired' };
  return { state: 'ok', linkId: row.id, staff: { id: row.staff_id, email: row.email, name: row.name } };
}

/**
 * The member's new password, through the link: the link and every other open link of the member
 * are used up, failed logins forgotten, and (for a reset) every session closed, since whoever
 * forgot the password may not be the only one who held it. Null when the link was used meanwhile.
 */
export async function useLink(db: Kysely<Database>, token: string, kind: Kind, passwordHash: string, now: Date): Promise<{ id: number } | null> {
  return db.transaction().execute(async (trx) => {
    const found = await findLink(trx, token, kind, now);
    if (found.state !== 'ok') return null;
    const at = now.toISOString();
    const taken = await trx.updateTable('staff_link').set({ used_at: at }).where('id', '=', found.linkId).where('used_at', 'is', null).executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return null;
    await trx.updateTable('staff_link').set({ used_at: at }).where('staff_id', '=', found.staff.id).where('used_at', 'is', null).execute();
    await trx.updateTable('staff').set({ password_hash: passwordHash }).where('id', '=', found.staff.id).execute();
    await trx.deleteFrom('login_failure').where('email', '=', found.staff.email).execute();
    if (kind === 'reset') await trx.deleteFrom('staff_session').where('staff_id', '=', found.staff.id).execute();
    return { id: found.staff.id };
  });
}

// ---- the pages ---------------------------------------------------------------------------------

export interface StaffLinkDeps {
  db: Kysely<Database>;
  mail: StaffLinkMail;
  /** The config's publicUrl: every link starts with it. */
  publicUrl: string;
  now: () => Date;
  secure: boolean;
}

const linkOf = (publicUrl: string, kind: Kind, token: string) => `${publicUrl.replace(/\/+$/, '')}${PATHS[kind]}?token=${token}`;

/** The token a pre-session form carries, also set as a cookie for that page alone (double submit). */
function formToken(c: Context<AdminEnv>, path: string, secure: boolean): string {
  const token = randomBytes(24).toString('base64url');
  setCookie(c, FORM_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure, path });
  return token;
}
const formTokenOk = (c: Context<AdminEnv>, given: unknown) => {
  const expected = getCookie(c, FORM_COOKIE);
  return Boolean(expected) && sameSecret(typeof given === 'string' ? given : undefined, expected!);
};

/** Below the login form. */
export const forgotLink = (lang: Lang): Markup => html`<p><a href="/admin/forgot">${STRINGS[lang].forgotLink}</a></p>`;

const forgotForm = z.object({ email: z.string().trim().toLowerCase().max(254).pipe(z.email()) });
const passwordForm = z.object({ token: z.string().max(100), password: z.string().max(1000), confirm: z.string().max(1000) });

/** The pages a member reaches without a session: the reset form, and the links' pages. */
export function staffLinkPages(deps: StaffLinkDeps) {
  const app = new Hono<AdminEnv>();
  const shell = (c: Context<AdminEnv>, title: string, body: Markup) => {
    // A link's token is in the address: no cache keeps it, no referrer carries it off.
    c.header('Cache-Control', 'no-store');
    c.header('Referrer-Policy', 'no-referrer');
    return page({ t: c.get('t'), lang: c.get('lang'), title, session: null }, html`<div class="login card">${body}</div>`);
  };

  function forgotPage(c: Context<AdminEnv>, error?: string, email = '') {
    const s = stringsOf(c);
    const csrf = formToken(c, '/admin/forgot', deps.secure);
    return shell(c, s.forgotTitle, html`<h1>${s.forgotTitle}</h1>
${error ? flash('error', error) : ''}
<p>${s.forgotIntro}</p>
<form method="post" action="/admin/forgot" class="stack">
<input type="hidden" name="_csrf" value="${csrf}">
<label for="email">${s.email}</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${email}" autofocus>
<button class="primary" type="submit">${s.send}</button>
</form>
<p><a href="/admin/login">${s.backToLogin}</a></p>`);
  }

  app.get('/forgot', (c) => c.html(forgotPage(c)));

  app.post('/forgot', async (c) => {
    const started = performance.now();
    const s = stringsOf(c);
    const form = await c.req.parseBody();
    if (!formTokenOk(c, form._csrf)) return c.html(forgotPage(c, s.formExpired), 403);
    const parsed = forgotForm.safeParse({ email: form.email });
    if (!parsed.success) return c.html(forgotPage(c, s.badAddress, typeof form.email === 'string' ? form.email.slice(0, 254) : ''), 422);
    const email = parsed.data.email;
    const now = deps.now();
    // Counted per address whether or not it is a member's, so the refusal tells nothing either.
    const since = new Date(now.getTime() - RESET_REQUESTS.windowMinutes * 60_000).toISOString();
    const asked = await deps.db.selectFrom('reset_request').select('at').where('email', '=', email).where('at', '>=', since).orderBy('at').execute();
    if (asked.length >= RESET_REQUESTS.max) {
      const freeAt = new Date(asked[0]!.at).getTime() + RESET_REQUESTS.windowMinutes * 60_000;
      return c.html(forgotPage(c, fill(s.tooMany, { minutes: Math.max(1, Math.ceil((freeAt - now.getTime()) / 60_000)) }), email), 429);
    }
    await deps.db.transaction().execute(async (trx) => {
      await trx.insertInto('reset_request').values({ email, at: now.toISOString() }).execute();
      await trx.deleteFrom('reset_request').where('at', '<', since).execute();
      const staff = await trx.selectFrom('staff').select(['id', 'email', 'name']).where('email', '=', email).where('active', '=', 1).executeTakeFirst();
      if (!staff) return;
      const { token, expiresAt } = await createLink(trx, staff.id, 'reset', now);
      await deps.mail.queue(trx, { kind: 'reset', email: staff.email, name: staff.name, link: linkOf(deps.publicUrl, 'reset', token), expiresAt, lang: c.get('lang') as Language }, now);
    });
    const elapsed = performance.now() - started;
    await sleep(Math.max(1, Math.ceil(elapsed / FORGOT_ANSWER_MS)) * FORGOT_ANSWER_MS - elapsed);
    deleteCookie(c, FORM_COOKIE, { path: '/admin/forgot' });
    // No form on this page: its bytes are the same for every address.
    return c.html(shell(c, s.forgotTitle, html`<h1>${s.forgotTitle}</h1>
${flash('ok', fill(s.forgotSent, { minutes: RESET_MINUTES }))}
<p><a href="/admin/login">${s.backToLogin}</a></p>`));
  });

  // An invited member whose link expired asks for a reset link like anyone: their account exists.
  function refusedPage(c: Context<AdminEnv>, state: 'expired' | 'invalid') {
    const s = stringsOf(c);
    return c.html(shell(c, s.linkTitle, html`<h1>${s.linkTitle}</h1>
${flash('error', state === 'expired' ? s.linkExpired : s.linkInvalid)}
<p><a href="/admin/forgot">${s.askReset}</a></p>
<p><a href="/admin/login">${s.backToLogin}</a></p>`), 410);
  }

  function passwordPage(c: Context<AdminEnv>, kind: Kind, token: string, staff: { email: string; name: string }, error?: string) {
    const s = stringsOf(c);
    const path = PATHS[kind];
    const csrf = formToken(c, path, deps.secure);
    const title = kind === 'invite' ? fill(s.welcomeTitle, { name: staff.name }) : s.resetTitle;
    return shell(c, title, html`<h1>${title}</h1>
${error ? flash('error', error) : ''}
<p>${fill(kind === 'invite' ? s.welcomeIntro : s.resetIntro, { email: staff.email })}</p>
<form method="post" action="${path}" class="stack">
<input type="hidden" name="_csrf" value="${csrf}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="email" value="${staff.email}" autocomplete="username">
<label for="password">${s.newPassword}</label>
<input id="password" name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD}" maxlength="1000" aria-describedby="password-hint" autofocus>
<p class="muted" id="password-hint">${fill(s.passwordHint, { min: MIN_PASSWORD })}</p>
<label for="confirm">${s.confirmPassword}</label>
<input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD}" maxlength="1000">
<button class="primary" type="submit">${s.save}</button>
</form>`);
  }

  for (const kind of ['invite', 'reset'] as const) {
    const path = PATHS[kind].slice('/admin'.length);

    app.get(path, async (c) => {
      const token = c.req.query('token') ?? '';
      const found = await findLink(deps.db, token, kind, deps.now());
      if (found.state !== 'ok') return refusedPage(c, found.state);
      return c.html(passwordPage(c, kind, token, found.staff));
    });

    app.post(path, async (c) => {
      const s = stringsOf(c);
      const form = await c.req.parseBody();
      const parsed = passwordForm.safeParse(form);
      const token = parsed.success ? parsed.data.token : '';
      const found = await findLink(deps.db, token, kind, deps.now());
      if (found.state !== 'ok') return refusedPage(c, found.state);
      if (!formTokenOk(c, form._csrf)) return c.html(passwordPage(c, kind, token, found.staff, s.formExpired), 403);
      const { password, confirm } = parsed.data!;
      if (password.length < MIN_PASSWORD) return c.html(passwordPage(c, kind, token, found.staff, fill(s.tooShort, { min: MIN_PASSWORD })), 422);
      if (password !== confirm) return c.html(passwordPage(c, kind, token, found.staff, s.mismatch), 422);
      const used = await useLink(deps.db, token, kind, await hash(password), deps.now());
      if (!used) return refusedPage(c, 'invalid');
      const session = await openSession(deps.db, used.id, deps.now());
      deleteCookie(c, FORM_COOKIE, { path: PATHS[kind] });
      setCookie(c, SESSION_COOKIE, session, { httpOnly: true, sameSite: 'Lax', secure: deps.secure, path: '/admin', maxAge: SESSION_HOURS * 3600 });
      return c.redirect('/admin/tickets', 303);
    });
  }

  return app;
}

// ---- invitations, on the setup staff page ------------------------------------------------------

const inviteFields = z.object({ email: z.string().max(254), name: z.string().max(200), role: z.enum(['admin', 'agent']) });

/** The note on the staff page after an invitation went out. */
export const invitedNote = (c: Context<AdminEnv>, email: string) => fill(stringsOf(c).invited, { email, days: INVITE_DAYS });

/** POST /admin/setup/staff/invite, admins only: the member is made with a password nobody knows, and mailed a link. */
export function invitePages(deps: StaffLinkDeps) {
  const app = new Hono<AdminEnv>();
  app.use('*', adminsOnly());
  app.post('/', async (c) => {
    const s = stringsOf(c);
    const fields = await checkedForm(c);
    if (!fields) return c.text(s.formExpired, 403);
    const parsed = inviteFields.safeParse(fields);
    const draft = { email: String(fields.email ?? '').slice(0, 254), name: String(fields.name ?? '').slice(0, 200), role: String(fields.role ?? 'agent') };
    const refused = (why: string) => c.html(setupPage(c, 'staff', s.inviteTitle, html`<h1>${s.inviteTitle}</h1>
${flash('error', fill(s.refused, { why }))}
${staffForm(c, { draft, inviteDays: INVITE_DAYS })}
<p><a href="/admin/setup/staff">${s.staff}</a></p>`), 422);
    if (!parsed.success) return refused(zodReason(parsed.error));
    const v = parsed.data;
    const now = deps.now();
    const invitedBy = c.get('session').staff.name;
    try {
      // One transaction: a member exists if and only if their invitation is queued.
      const id = await deps.db.transaction().execute(async (trx) => {
        // addStaff's generated password is dropped unseen: its hash stays, unusable, until the link sets one.
        await addStaff(trx, { email: v.email, name: v.name, admin: v.role === 'admin' }, now);
        const member = await trx.selectFrom('staff').select(['id', 'email', 'name']).where('email', '=', v.email.trim().toLowerCase()).executeTakeFirstOrThrow();
        const { token, expiresAt } = await createLink(trx, member.id, 'invite', now);
        await deps.mail.queue(trx, {
          kind: 'invite', email: member.email, name: member.name, link: linkOf(deps.publicUrl, 'invite', token), expiresAt, lang: c.get('lang') as Language, invitedBy,
        }, now);
        return member.id;
      });
      return c.redirect(`/admin/setup/staff?invited=${id}`, 303);
    } catch (err) {
      if (!(err instanceof DirectoryError)) throw err;
      return refused(err.message);
    }
  });
  return app;
}

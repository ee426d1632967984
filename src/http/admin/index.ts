// The staff admin, mounted at /admin: server-rendered pages over the same reads and staff verbs as
// the JSON API (tickets/), so a rule holds whichever door staff use. Everything works without
// JavaScript. Built from the dependencies passed in: tests call `app.request()` without a port.
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { StaffVerbDeps } from '../../tickets/staff-verbs.ts';
import { ADMIN_CSS, ADMIN_JS } from './assets.ts';
import { adminHeaders, language, requireSession, sameSecret, type AdminEnv } from './guard.ts';
import { fill, type Lang } from './i18n.ts';
import { conductorPage } from './pages/conductor.ts';
import { dashboardPage } from './pages/dashboard.ts';
import { loginPage } from './pages/login.ts';
import { savedRepliesPage } from './pages/saved-replies.ts';
import { ticketListPages } from './pages/ticket-list.ts';
import { ticketPages } from './pages/tickets.ts';
import { setupPages } from './pages/setup.ts';
import { forgotLink, invitePages, staffLinkPages } from './pages/staff-links.ts';
import type { MailboxSummary, SetupLive } from './pages/setup-mailboxes.ts';
import { tokenPages } from './pages/tokens.ts';
import { accountPages } from './pages/accounts.ts';
import { quarantinePages } from './pages/mail.ts';
import { outboxPages } from './pages/outbox.ts';
import type { AdminPorts } from './ports.ts';
import { checkLogin, closeSession, openSession, SESSION_COOKIE, SESSION_HOURS } from './session.ts';

export interface AdminDeps {
  db: Kysely<Database>;
  verbs: StaffVerbDeps;
  /** The admin's public address (config publicUrl): cookies are Secure when it is https. */
  publicUrl: string;
  defaultLanguage: Lang;
  /** Where raw messages (`raw/`) and attachments (`attachments/`) are stored, content-addressed. */
  dataDir: string;
  now?: () => Date;
  /** The intake and the outbox as the People and Mail pages need them; an admin built without them does not serve those pages. */
  ports?: AdminPorts;
  /** For the setup pages: what the config connects (secrets hidden) and the mailbox and outbox's live state. */
  mailboxes?: MailboxSummary;
  health?: SetupLive;
  /** In the demo only: the "write as a client" form, which sends to this support address. */
  demo?: { supportAddress: string } | null;
}

const LOGIN_CSRF_COOKIE = 'guichet_login';

/** Only a path of this admin: a `next` naming another site would make the login page an open redirect. */
const safeNext = (next: unknown) => (typeof next === 'string' && /^\/admin\/[\w\-/?=&%.]*$/.test(next) ? next : '/admin/tickets');

export function createAdmin(deps: AdminDeps) {
  const now = deps.now ?? (() => new Date());
  const secure = deps.publicUrl.startsWith('https:');
  const app = new Hono<AdminEnv>();
  app.use('*', adminHeaders());
  app.use('*', language(deps.defaultLanguage));
  // Invitations and password resets mail links, so they exist only where the outbox is reached.
  const links = deps.ports?.staffLinks ? { db: deps.db, mail: deps.ports.staffLinks, publicUrl: deps.publicUrl, now, secure } : null;

  app.get('/assets/admin.css', (c) => c.body(ADMIN_CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }));
  app.get('/assets/admin.js', (c) => c.body(ADMIN_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=3600' }));

  app.get('/login', (c) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'Strict', secure, path: '/admin/login' });
    return c.html(loginPage({ t: c.get('t'), lang: c.get('lang'), csrf, next: safeNext(c.req.query('next')), forgot: links ? forgotLink(c.get('lang')) : undefined }));
  });

  app.post('/login', async (c) => {
    const t = c.get('t');
    const form = await c.req.parseBody();
    const email = typeof form.email === 'string' ? form.email.slice(0, 320) : '';
    const password = typeof form.password === 'string' ? form.password.slice(0, 1000) : '';
    const next = safeNext(form.next);
    const again = (status: 401 | 403 | 429, error: string) => {
      const csrf = randomBytes(24).toString('base64url');
      setCookie(c, LOGIN_CSRF_COOKIE, csrf, { httpOnly: true, sameSite: 'Strict', secure, path: '/admin/login' });
      return c.html(loginPage({ t, lang: c.get('lang'), csrf, next, email, error, forgot: links ? forgotLink(c.get('lang')) : undefined }), status);
    };
    const expected = getCookie(c, LOGIN_CSRF_COOKIE);
    if (!expected || !sameSecret(typeof form._csrf === 'string' ? form._csrf : undefined, expected)) return again(403, t.formExpired);
    const result = await checkLogin(deps.db, email, password, now());
    if (!result.ok) {
      return result.reason === 'throttled' ? again(429, fill(t.loginThrottled, { minutes: result.retryAfterMinutes })) : again(401, t.loginFailed);
    }
    const token = await openSession(deps.db, result.staff.id, now());
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/admin/login' });
    setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', secure, path: '/admin', maxAge: SESSION_HOURS * 3600 });
    return c.redirect(next, 303);
  });

  if (links) app.route('/', staffLinkPages(links));

  app.use('*', requireSession(deps.db, now));

  app.post('/logout', async (c) => {
    const form = await c.req.parseBody();
    if (!sameSecret(typeof form._csrf === 'string' ? form._csrf : undefined, c.get('session').csrf)) return c.text(c.get('t').formExpired, 403);
    await closeSession(deps.db, getCookie(c, SESSION_COOKIE));
    deleteCookie(c, SESSION_COOKIE, { path: '/admin' });
    return c.redirect('/admin/login', 303);
  });

  app.get('/', (c) => c.redirect('/admin/tickets', 303));
  app.route('/dashboard', dashboardPage({ db: deps.db, now }));
  app.route('/saved-replies', savedRepliesPage({ db: deps.db, now }));
  app.route('/tickets', ticketListPages({ db: deps.db, verbs: deps.verbs, now }));
  app.route('/tickets', ticketPages({ db: deps.db, verbs: deps.verbs, dataDir: deps.dataDir, now }));
  app.route('/tokens', tokenPages({ db: deps.db, now }));
  if (deps.ports) {
    const mail = { db: deps.db, ports: deps.ports, dataDir: deps.dataDir, now };
    app.route('/accounts', accountPages(mail));
    app.route('/quarantine', quarantinePages(mail));
    app.route('/outbox', outboxPages(mail));
    if (deps.demo) app.route('/write', conductorPage({ inbound: deps.ports.inbound, supportAddress: deps.demo.supportAddress, now }));
  }
  // Admins only, like the rest of setup (the invitation form is on the setup staff page).
  if (links) app.route('/setup/staff/invite', invitePages(links));
  app.route('/setup', setupPages({ db: deps.db, now, mailboxes: deps.mailboxes, live: deps.health, invites: links !== null }));
  return app;
}

// The page shell every admin page shares: the top bar, the queues with their counts, the main
// column. Server-rendered with hono/html: every interpolated value is escaped unless it is itself
// a piece of markup made the same way, and no page carries inline script (the CSP forbids it).
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Lang, Strings } from './i18n.ts';
import type { Session } from './session.ts';

/** A piece of markup: what html`` makes; interpolating one in another does not escape it again. */
export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

export const QUEUES = ['mine', 'unassigned', 'awaiting-staff', 'awaiting-client', 'open', 'all'] as const;
export type Queue = (typeof QUEUES)[number];

export interface NavCounts {
  queues: Partial<Record<Queue, number>>;
  pendingAccounts?: number;
  quarantined?: number;
  outboxFailed?: number;
}

export interface PageProps {
  t: Strings;
  lang: Lang;
  title: string;
  session: Session | null;
  counts?: NavCounts;
  /** Which nav entry is this page. */
  current?: Queue | 'accounts' | 'quarantine' | 'outbox' | 'dashboard' | 'setup';
}

function navLink(href: string, label: string, count: number | undefined, current: boolean): Markup {
  return html`<a href="${href}"${current ? html` aria-current="page"` : ''}><span>${label}</span>${count === undefined ? '' : html`<span class="count">${count}</span>`}</a>`;
}

/** A hidden field carrying the session's anti-CSRF token: every form of the admin has one. */
export const csrfField = (token: string): Markup => html`<input type="hidden" name="_csrf" value="${token}">`;

export function page(p: PageProps, body: Markup): Markup {
  const { t, session } = p;
  const nav = session
    ? html`<nav class="side" aria-label="${t.queues}">
        ${navLink('/admin/dashboard', t.dashboard, undefined, p.current === 'dashboard')}
        <h2>${t.queues}</h2>
        ${QUEUES.map((q) => navLink(`/admin/tickets?queue=${q}`, t.queue[q], p.counts?.queues[q], p.current === q))}
        <h2>${t.tickets}</h2>
        ${navLink('/admin/accounts', t.pendingAccounts, p.counts?.pendingAccounts, p.current === 'accounts')}
        ${navLink('/admin/quarantine', t.quarantine, p.counts?.quarantined, p.current === 'quarantine')}
        ${navLink('/admin/outbox', t.outbox, p.counts?.outboxFailed, p.current === 'outbox')}
        ${session.staff.role === 'admin' ? navLink('/admin/setup', t.setup, undefined, p.current === 'setup') : ''}
      </nav>`
    : '';
  const signOut = session
    ? html`<form method="post" action="/admin/logout">${csrfField(session.csrf)}<a class="account" href="/admin/tokens">${t.apiTokens}</a> <span>${session.staff.name}</span> <button type="submit">${t.signOut}</button></form>`
    : '';
  return html`<!doctype html>
<html lang="${p.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · ${t.product}</title>
<link rel="stylesheet" href="/admin/assets/admin.css">
<script src="/admin/assets/admin.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${t.skipToContent}</a>
<header class="top"><a href="/admin/tickets">${t.product}</a>${signOut}</header>
${session ? html`<div class="shell">${nav}<main id="main">${body}</main></div>` : html`<main id="main">${body}</main>`}
</body>
</html>`;
}

export function flash(kind: 'error' | 'ok', text: string): Markup {
  return html`<p class="flash ${kind}" role="${kind === 'error' ? 'alert' : 'status'}">${text}</p>`;
}

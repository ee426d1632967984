// The outbox: notifications with their state, attempts and last error; one notification's text part
// as text and its HTML only inside a sandboxed frame served from its own route, under the CSP of mail's
// own HTML (guard.ts); a failed one retried. Every staff member may retry.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { OutboxState } from '../../../db/schema.ts';
import { scopeMail, visibleMail } from '../../../tickets/rights.ts';
import { checkedForm, mailFrameHeaders, type AdminEnv } from '../guard.ts';
import { fill } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import { CATALOGUE, PAGE, type MailPageDeps } from './mail-words.ts';
import { redactStaffLinks } from './staff-links.ts';
import { firstLines, formatDate, idParam, mailCounts } from './stored-mail.ts';
import { sessionScope } from './ticket-list.ts';

const OUTBOX_STATES = ['pending', 'sent', 'failed', 'bounced'] as const;

export function outboxPages(deps: MailPageDeps) {
  const app = new Hono<AdminEnv>();
  const { db } = deps;
  const scopeOf = (c: Context<AdminEnv>) => sessionScope(db, c.get('session'));

  const shell = async (c: Context<AdminEnv>, title: string, body: Markup, status: 200 | 404 | 409 = 200) =>
    c.html(page({ t: c.get('t'), lang: c.get('lang'), title, session: c.get('session'), counts: await mailCounts(db, await scopeOf(c)), current: 'outbox' }, body), status);

  app.get('/', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const wanted = c.req.query('state');
    const state = (OUTBOX_STATES as readonly string[]).includes(wanted ?? '') ? (wanted as OutboxState) : null;
    const before = idParam(c.req.query('before'));
    const scope = await scopeOf(c);
    const rows = await db
      .selectFrom('outbox')
      .select(['id', 'event', 'recipient', 'subject', 'state', 'attempts', 'last_error', 'created_at', 'sent_at'])
      .$if(state !== null, (q) => q.where('state', '=', state!))
      .$if(before !== null, (q) => q.where('id', '<', before!))
      .$call((q) => scopeMail(q, scope, 'outbox'))
      .orderBy('id', 'desc')
      .limit(PAGE + 1)
      .execute();
    const shown = rows.slice(0, PAGE);
    const filter = (value: OutboxState | null, label: string) =>
      html`<a href="/admin/outbox${value ? `?state=${value}` : ''}"${state === value ? html` aria-current="page"` : ''}>${label}</a>`;
    const body = html`<h1>${s.outbox}</h1>
<nav class="filters">${filter(null, s.all)}${OUTBOX_STATES.map((v) => filter(v, s.outboxStates[v]))}</nav>
${shown.length ? html`<table class="list">
<thead><tr><th scope="col">#</th><th scope="col">${s.created}</th><th scope="col">${s.event}</th><th scope="col">${s.recipient}</th><th scope="col">${s.subject}</th><th scope="col">${s.state}</th><th scope="col">${s.attempts}</th><th scope="col">${s.lastError}</th></tr></thead>
<tbody>${shown.map((r) => html`<tr>
<td class="num"><a href="/admin/outbox/${r.id}">${r.id}</a></td>
<td>${formatDate(r.created_at, lang)}</td>
<td>${r.event}</td>
<td>${r.recipient}</td>
<td><a href="/admin/outbox/${r.id}">${r.subject}</a></td>
<td><span class="badge outbox-${r.state}">${s.outboxStates[r.state]}</span></td>
<td class="num">${r.attempts}</td>
<td class="reason">${r.last_error ? firstLines(r.last_error, 2, 200) : ''}</td>
</tr>`)}</tbody></table>` : html`<p>${s.noNotifications}</p>`}
${rows.length > PAGE ? html`<p><a href="/admin/outbox?${state ? `state=${state}&` : ''}before=${shown.at(-1)!.id}">${s.next}</a></p>` : ''}`;
    return shell(c, s.outbox, body);
  });

  async function notificationPage(c: Context<AdminEnv>, id: number, note: Markup | string = '', status: 200 | 409 = 200) {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const scope = await scopeOf(c);
    const row = await db
      .selectFrom('outbox')
      .leftJoin('ticket', 'ticket.id', 'outbox.ticket_id')
      .select([
        'outbox.id', 'outbox.event', 'outbox.recipient', 'outbox.subject', 'outbox.state', 'outbox.attempts', 'outbox.last_error', 'outbox.server_response',
        'outbox.created_at', 'outbox.sent_at', 'outbox.next_attempt_at', 'outbox.text', 'outbox.message_id', 'ticket.number as ticket_number',
      ])
      .where('outbox.id', '=', id)
      .$call((q) => scopeMail(q, scope, 'outbox'))
      .executeTakeFirst();
    if (!row) return shell(c, c.get('t').notFound, html`<p>${c.get('t').notFound}</p>`, 404);
    const body = html`<h1>${fill(s.notification, { id: row.id })}: ${row.subject}</h1>
${note}
<div class="grid2">
<section>
${row.state === 'failed' ? html`<form method="post" action="/admin/outbox/${row.id}/retry" class="card mail action">${csrfField(c.get('session').csrf)}<button class="primary" type="submit">${s.retry}</button></form>` : ''}
<div class="card mail"><h2>${s.textPart}</h2><pre class="mailtext">${redactStaffLinks(row.text)}</pre></div>
<div class="card mail"><h2>${s.htmlPart}</h2>
<iframe class="preview" sandbox="" referrerpolicy="no-referrer" src="/admin/outbox/${row.id}/html" title="${s.htmlPart}"></iframe></div>
</section>
<aside class="card mail">
<dl>
<dt>${s.state}</dt><dd><span class="badge outbox-${row.state}">${s.outboxStates[row.state]}</span></dd>
<dt>${s.recipient}</dt><dd>${row.recipient}</dd>
<dt>${s.event}</dt><dd>${row.event}</dd>
<dt>${s.ticket}</dt><dd>${row.ticket_number !== null ? html`<a href="/admin/tickets/${row.ticket_number}">#${row.ticket_number}</a>` : '—'}</dd>
<dt>${s.created}</dt><dd>${formatDate(row.created_at, lang)}</dd>
<dt>${s.sent}</dt><dd>${formatDate(row.sent_at, lang)}</dd>
${row.state === 'pending' ? html`<dt>${s.nextAttempt}</dt><dd>${formatDate(row.next_attempt_at, lang)}</dd>` : ''}
<dt>${s.attempts}</dt><dd>${row.attempts}</dd>
${row.last_error ? html`<dt>${s.lastError}</dt><dd class="reason">${row.last_error}</dd>` : ''}
${row.server_response ? html`<dt>${s.serverResponse}</dt><dd class="reason">${row.server_response}</dd>` : ''}
<dt>${s.messageId}</dt><dd class="reason">${row.message_id}</dd>
</dl>
</aside>
</div>`;
    return shell(c, fill(s.notification, { id: row.id }), body, status);
  }

  app.get('/:id{[0-9]+}', (c) => {
    const id = idParam(c.req.param('id'));
    const s = CATALOGUE[c.get('lang')];
    return id === null ? c.notFound() : notificationPage(c, id, c.req.query('retried') === '1' ? flash('ok', s.retried) : '');
  });

  // The rendered HTML, for the sandboxed frame of the page above only: its own CSP (no script, no
  // request of any kind), framed by the admin and nothing else. The admin's headers keep these.
  app.get('/:id{[0-9]+}/html', async (c) => {
    const id = idParam(c.req.param('id'));
    const row = id === null ? undefined : await scopeMail(db.selectFrom('outbox').select('outbox.html').where('outbox.id', '=', id), await scopeOf(c), 'outbox').executeTakeFirst();
    if (!row) return c.text(c.get('t').notFound, 404);
    return c.body(redactStaffLinks(row.html), 200, mailFrameHeaders());
  });

  app.post('/:id{[0-9]+}/retry', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(c.get('t').formExpired, 403);
    const id = idParam(c.req.param('id'))!;
    if (!(await visibleMail(db, await scopeOf(c), 'outbox', id))) return notificationPage(c, id);
    if (!(await deps.ports.outbox.retry(id))) return notificationPage(c, id, flash('error', s.notFailed), 409);
    return c.redirect(`/admin/outbox/${id}?retried=1`, 303);
  });

  return app;
}

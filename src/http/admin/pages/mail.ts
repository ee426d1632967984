// The quarantine: the inbound messages that became no ticket or comment and wait for staff
// (quarantined, failed, held), and any inbound message's decision log (the outbox is outbox.ts).
// What mail wrote is shown as text only: a message's parsed text in a <pre>, its raw bytes as a
// text/plain download. Every staff member may release or reject: the
// quarantine is part of answering the people who write, and nothing here deletes mail (the raw
// bytes stay; a rejected message is `ignored` with who decided).
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { InboundState } from '../../../db/schema.ts';
import { checkedForm, type AdminEnv } from '../guard.ts';
import { fill, type Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import { CATALOGUE, PAGE, type MailPageDeps } from './mail-words.ts';
import { firstLines, formatDate, idParam, mailCounts, readRaw, storedMail } from './stored-mail.ts';
import { scopeMail, visibleMail } from '../../../tickets/rights.ts';
import { sessionScope } from './ticket-list.ts';


const WAITING: InboundState[] = ['quarantined', 'failed', 'held'];

/**
 * Why a held message waits, as the intake words it (src/mail/decide.ts): an account decision (the
 * People page decides), a project choice (the client answers), or else the sender's bound of new
 * tickets, which staff may lift for one message.
 */
const ACCOUNT_HOLD = /^(awaiting account validation|contact (pending|refused|blocked))$/;
const PROJECT_HOLD = 'awaiting project choice';
export type HoldKind = 'account' | 'project' | 'bound';
export const holdKind = (outcome: string | null): HoldKind =>
  outcome && ACCOUNT_HOLD.test(outcome) ? 'account' : outcome === PROJECT_HOLD ? 'project' : 'bound';


const sizeOf = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);
const who = (a: { address: string; name: string } | null) => (a ? (a.name ? `${a.name} <${a.address}>` : a.address) : '');

export function quarantinePages(deps: MailPageDeps) {
  const app = new Hono<AdminEnv>();
  const { db } = deps;
  // Mail of a ticket outside the staff member's projects answers as mail that does not exist.
  const scopeOf = (c: Context<AdminEnv>) => sessionScope(db, c.get('session'));

  const shell = async (c: Context<AdminEnv>, title: string, body: Markup, status: 200 | 404 | 409 = 200) =>
    c.html(page({ t: c.get('t'), lang: c.get('lang'), title, session: c.get('session'), counts: await mailCounts(db, await scopeOf(c)), current: 'quarantine' }, body), status);

  app.get('/', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const wanted = c.req.query('state');
    const state = (WAITING as string[]).includes(wanted ?? '') ? (wanted as InboundState) : null;
    const before = idParam(c.req.query('before'));
    const scope = await scopeOf(c);
    const rows = await db
      .selectFrom('inbound_message')
      .leftJoin('contact', 'contact.id', 'inbound_message.contact_id')
      .select(['inbound_message.id', 'inbound_message.state', 'inbound_message.outcome', 'inbound_message.received_at', 'inbound_message.raw_path', 'contact.email'])
      .where('inbound_message.state', 'in', state ? [state] : WAITING)
      .$if(before !== null, (q) => q.where('inbound_message.id', '<', before!))
      .$call((q) => scopeMail(q, scope, 'inbound_message'))
      .orderBy('inbound_message.id', 'desc')
      .limit(PAGE + 1)
      .execute();
    const shown = rows.slice(0, PAGE);
    const mails = await Promise.all(shown.map((r) => storedMail(deps.ports.inbound, deps.dataDir, r.raw_path, { head: true })));
    const filter = (value: InboundState | null, label: string) =>
      html`<a href="/admin/quarantine${value ? `?state=${value}` : ''}"${state === value ? html` aria-current="page"` : ''}>${label}</a>`;
    const body = html`<h1>${s.quarantine}</h1>
<nav class="filters">${filter(null, s.waiting)}${WAITING.map((v) => filter(v, s.states[v]))}</nav>
${shown.length ? html`<table class="list">
<thead><tr><th scope="col">#</th><th scope="col">${s.received}</th><th scope="col">${s.state}</th><th scope="col">${s.sender}</th><th scope="col">${s.subject}</th><th scope="col">${s.reason}</th></tr></thead>
<tbody>${shown.map((r, i) => {
      const mail = mails[i];
      return html`<tr>
<td class="num"><a href="/admin/quarantine/${r.id}">${r.id}</a></td>
<td>${formatDate(r.received_at, lang)}</td>
<td><span class="badge inbound-${r.state}">${s.states[r.state]}</span></td>
<td>${r.email ?? who(mail?.from ?? null)}</td>
<td><a href="/admin/quarantine/${r.id}">${mail ? mail.subject || s.noSubject : s.unreadable}</a></td>
<td class="reason">${r.outcome ?? ''}</td>
</tr>`;
    })}</tbody></table>` : html`<p>${s.nothingWaiting}</p>`}
${rows.length > PAGE ? html`<p><a href="/admin/quarantine?${state ? `state=${state}&` : ''}before=${shown.at(-1)!.id}">${s.next}</a></p>` : ''}`;
    return shell(c, s.quarantine, body);
  });

  async function messagePage(c: Context<AdminEnv>, id: number, opts: { note?: Markup; released?: boolean; status?: 200 | 409 } = {}) {
    const s = CATALOGUE[c.get('lang')];
    const lang = c.get('lang');
    const scope = await scopeOf(c);
    const row = await db
      .selectFrom('inbound_message')
      .leftJoin('contact', 'contact.id', 'inbound_message.contact_id')
      .leftJoin('ticket', 'ticket.id', 'inbound_message.ticket_id')
      .leftJoin('project', 'project.id', 'inbound_message.project_id')
      .select([
        'inbound_message.id', 'inbound_message.state', 'inbound_message.outcome', 'inbound_message.received_at', 'inbound_message.processed_at',
        'inbound_message.released_at', 'inbound_message.attempts', 'inbound_message.raw_path', 'inbound_message.size', 'inbound_message.mailbox',
        'inbound_message.uid', 'inbound_message.message_id', 'inbound_message.entry_id',
        'contact.email as contact_email', 'contact.state as contact_state', 'ticket.number as ticket_number', 'project.key as project_key', 'project.name as project_name',
      ])
      .where('inbound_message.id', '=', id)
      .$call((q) => scopeMail(q, scope, 'inbound_message'))
      .executeTakeFirst();
    if (!row) return shell(c, c.get('t').notFound, html`<p>${c.get('t').notFound}</p>`, 404);
    const mail = await storedMail(deps.ports.inbound, deps.dataDir, row.raw_path);
    const csrf = c.get('session').csrf;
    const action = (name: string, label: string, hint: string, kind = 'secondary') => html`<form method="post" action="/admin/quarantine/${row.id}/${name}" class="action">
${csrfField(csrf)}<button class="${kind}" type="submit">${label}</button> <span class="muted">${hint}</span></form>`;
    let actions: Markup | string = '';
    if (row.state === 'quarantined' || row.state === 'failed') actions = html`${action('release', s.release, s.releaseHint, 'primary')}${action('reject', s.reject, s.rejectHint)}`;
    else if (row.state === 'held') {
      const kind = holdKind(row.outcome);
      actions = html`${kind === 'bound' ? action('release', s.releaseHeld, s.releaseHeldHint, 'primary') : ''}
${kind === 'account' ? html`<p>${s.accountHold} <a href="/admin/accounts">${c.get('t').pendingAccounts}</a>.</p>` : ''}
${kind === 'project' ? html`<p>${s.projectHold}</p>` : ''}
${action('reject', s.reject, s.rejectHint)}`;
    }
    const headersShown = mail ? ['auto-submitted', 'precedence', 'reply-to', 'in-reply-to', 'references', 'authentication-results'].filter((h) => mail.headers[h]) : [];
    // What the release came to is read from the row, not from the address: a link cannot make the page say something else.
    const released = opts.released ? flash('ok', fill(s.processedAgain, { state: s.states[row.state], outcome: `${row.outcome ?? ''}${row.ticket_number !== null ? ` #${row.ticket_number}` : ''}` })) : '';
    const body = html`<h1>${fill(s.message, { id: row.id })}: ${mail ? mail.subject || s.noSubject : s.unreadable}</h1>
${opts.note ?? released}
<div class="grid2">
<section>
${actions ? html`<div class="card mail stack">${actions}</div>` : ''}
<div class="card mail">
<h2>${s.text}</h2>
${mail ? html`<dl class="mailhead">
<dt>${s.sender}</dt><dd>${who(mail.from)}</dd>
<dt>${s.to}</dt><dd>${mail.to.map(who).join(', ')}</dd>
${mail.cc.length ? html`<dt>${s.cc}</dt><dd>${mail.cc.map(who).join(', ')}</dd>` : ''}
<dt>${s.date}</dt><dd>${formatDate(mail.date, lang)}</dd>
<dt>${s.subject}</dt><dd>${mail.subject}</dd>
${headersShown.map((h) => html`<dt>${h}</dt><dd class="reason">${mail.headers[h]!.slice(0, 2000)}</dd>`)}
${mail.attachments.length ? html`<dt>${s.attachments}</dt><dd>${mail.attachments.map((a) => `${a.filename || '(unnamed)'} (${a.contentType}, ${sizeOf(a.size)})`).join(' · ')}</dd>` : ''}
</dl>
<pre class="mailtext">${mail.text}</pre>` : html`<p>${s.unreadable}</p>`}
<p><a href="/admin/quarantine/${row.id}/raw" download>${s.rawDownload}</a> (${sizeOf(row.size)})</p>
</div>
</section>
<aside class="card mail" aria-label="${s.decisionLog}">
<h2>${s.decisionLog}</h2>
<dl>
<dt>${s.state}</dt><dd><span class="badge inbound-${row.state}">${s.states[row.state]}</span></dd>
<dt>${s.outcome}</dt><dd class="reason">${row.outcome ?? ''}</dd>
<dt>${s.identifiedAs}</dt><dd>${row.contact_email ? html`${row.contact_email} (${row.contact_state ?? ''})` : '—'}</dd>
<dt>${s.routedTo}</dt><dd>${row.project_key ? `${row.project_key} ${row.project_name ?? ''}` : '—'}</dd>
<dt>${s.ticket}</dt><dd>${row.ticket_number !== null ? html`<a href="/admin/tickets/${row.ticket_number}${row.entry_id !== null ? `#entry-${row.entry_id}` : ''}">#${row.ticket_number}</a>` : '—'}</dd>
<dt>${s.received}</dt><dd>${formatDate(row.received_at, lang)}</dd>
<dt>${s.processed}</dt><dd>${formatDate(row.processed_at, lang)}</dd>
${row.released_at ? html`<dt>${s.releasedAt}</dt><dd>${formatDate(row.released_at, lang)}</dd>` : ''}
<dt>${s.attempts}</dt><dd>${row.attempts}</dd>
<dt>${s.source}</dt><dd>${row.mailbox}${row.uid !== null ? ` UID ${row.uid}` : ''}</dd>
<dt>${s.messageId}</dt><dd class="reason">${row.message_id ?? ''}</dd>
</dl>
</aside>
</div>`;
    return shell(c, fill(s.message, { id: row.id }), body, opts.status);
  }

  app.get('/:id{[0-9]+}', (c) => {
    const id = idParam(c.req.param('id'));
    const s = CATALOGUE[c.get('lang')];
    if (id === null) return c.notFound();
    return messagePage(c, id, c.req.query('rejected') === '1' ? { note: flash('ok', s.rejected) } : { released: c.req.query('released') === '1' });
  });

  app.get('/:id{[0-9]+}/raw', async (c) => {
    const id = idParam(c.req.param('id'));
    const row = id === null ? undefined : await scopeMail(db.selectFrom('inbound_message').select(['inbound_message.id', 'inbound_message.raw_path']).where('inbound_message.id', '=', id), await scopeOf(c), 'inbound_message').executeTakeFirst();
    const raw = row ? await readRaw(deps.dataDir, row.raw_path) : null;
    if (!row || !raw) return c.text(c.get('t').notFound, 404);
    // Mail is other people's text: a download, never a page the browser would render or sniff.
    return c.body(new Uint8Array(raw), 200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="message-${row.id}.eml"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, no-store',
    });
  });

  app.post('/:id{[0-9]+}/release', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(c.get('t').formExpired, 403);
    const id = idParam(c.req.param('id'))!;
    const row = await scopeMail(db.selectFrom('inbound_message').select(['inbound_message.state', 'inbound_message.outcome']).where('inbound_message.id', '=', id), await scopeOf(c), 'inbound_message').executeTakeFirst();
    if (!row) return c.notFound();
    let result = null;
    if (row.state === 'quarantined' || row.state === 'failed') result = await deps.ports.inbound.replay(id);
    else if (row.state === 'held' && holdKind(row.outcome) === 'bound') result = await deps.ports.inbound.release(id);
    if (!result) return messagePage(c, id, { note: flash('error', fill(s.notWaiting, { state: s.states[row.state] })), status: 409 });
    return c.redirect(`/admin/quarantine/${id}?released=1`, 303);
  });

  app.post('/:id{[0-9]+}/reject', async (c) => {
    const s = CATALOGUE[c.get('lang')];
    const form = await checkedForm(c);
    if (!form) return c.text(c.get('t').formExpired, 403);
    const id = idParam(c.req.param('id'))!;
    const row = await scopeMail(db.selectFrom('inbound_message').select('inbound_message.state').where('inbound_message.id', '=', id), await scopeOf(c), 'inbound_message').executeTakeFirst();
    if (!row) return c.notFound();
    if (!(await deps.ports.inbound.reject(id, c.get('session').staff.email))) {
      return messagePage(c, id, { note: flash('error', fill(s.notWaiting, { state: s.states[row.state] })), status: 409 });
    }
    return c.redirect(`/admin/quarantine/${id}?rejected=1`, 303);
  });

  return app;
}

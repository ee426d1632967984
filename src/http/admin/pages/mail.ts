// Mail: the inbound messages that became no ticket or comment and wait for staff (quarantined,
// failed, held), any inbound message's decision log, and the outbox. What mail wrote is shown as
// text only: a message's parsed text in a <pre>, its raw bytes as a text/plain download, and a
// notification's HTML only inside a sandboxed frame served from its own route, under a CSP that
// allows no script, no request and no navigation. Every staff member may release or reject: the
// quarantine is part of answering the people who write, and nothing here deletes mail (the raw
// bytes stay; a rejected message is `ignored` with who decided).
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import type { Database, InboundState, OutboxState } from '../../../db/schema.ts';
import { checkedForm, mailFrameHeaders, type AdminEnv } from '../guard.ts';
import { fill, type Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import type { AdminPorts } from '../ports.ts';
import { redactStaffLinks } from './staff-links.ts';
import { firstLines, formatDate, idParam, mailCounts, readRaw, storedMail } from './stored-mail.ts';
import { scopeMail, visibleMail } from '../../../tickets/rights.ts';
import { sessionScope } from './ticket-list.ts';

interface MailPageDeps {
  db: Kysely<Database>;
  ports: AdminPorts;
  dataDir: string;
  now: () => Date;
}

const en = {
  quarantine: 'Quarantine',
  outbox: 'Outbox',
  message: 'Message {id}',
  notification: 'Notification {id}',
  nothingWaiting: 'No message waits for staff.',
  noNotifications: 'No notifications here.',
  waiting: 'Waiting for staff',
  all: 'All',
  received: 'Received',
  processed: 'Processed',
  state: 'State',
  sender: 'Sender',
  subject: 'Subject',
  reason: 'Reason',
  recipient: 'Recipient',
  event: 'Event',
  attempts: 'Attempts',
  lastError: 'Last error',
  serverResponse: 'Server response',
  created: 'Created',
  sent: 'Sent',
  nextAttempt: 'Next attempt',
  noSubject: '(no subject)',
  unreadable: 'The stored message could not be read.',
  decisionLog: 'Decision log',
  outcome: 'Outcome',
  ticket: 'Ticket',
  identifiedAs: 'Identified as',
  routedTo: 'Project',
  releasedAt: 'Released by staff',
  source: 'Source',
  messageId: 'Message-ID',
  size: 'Size',
  headers: 'Headers',
  to: 'To',
  cc: 'Cc',
  date: 'Date',
  attachments: 'Attachments',
  text: 'Text as the intake read it',
  rawDownload: 'Download the raw message',
  release: 'Process again',
  releaseHint: 'Runs the message through the intake again, with today’s contacts, watchers and projects.',
  releaseHeld: 'Let it through',
  releaseHeldHint: 'The sender’s bound of new tickets a day held it: this message goes through anyway.',
  reject: 'Reject',
  rejectHint: 'Drops it for good (its bytes are kept): ignored, with your name.',
  accountHold: 'Held until its sender’s account is decided: see',
  projectHold: 'Held until the sender says which project it is for.',
  processedAgain: 'Processed again: {state} — {outcome}',
  rejected: 'Rejected.',
  notWaiting: 'This message is not waiting for staff any more ({state}).',
  retry: 'Retry now',
  retried: 'Queued again: it will be sent at the next outbox run.',
  notFailed: 'This notification has not failed: nothing to retry.',
  textPart: 'Text part',
  htmlPart: 'HTML part (shown in a sandbox: no script, no remote content)',
  next: 'Older',
  states: {
    pending: 'Pending', processed: 'Processed', quarantined: 'Quarantined', ignored: 'Ignored', failed: 'Failed', held: 'Held',
  } satisfies Record<InboundState, string>,
  outboxStates: { pending: 'Pending', sent: 'Sent', failed: 'Failed', bounced: 'Bounced' } satisfies Record<OutboxState, string>,
};

type MailStrings = typeof en;

const fr: MailStrings = {
  quarantine: 'Quarantaine',
  outbox: 'Envois',
  message: 'Message {id}',
  notification: 'Notification {id}',
  nothingWaiting: 'Aucun message n’attend le support.',
  noNotifications: 'Aucune notification ici.',
  waiting: 'En attente du support',
  all: 'Tous',
  received: 'Reçu',
  processed: 'Traité',
  state: 'État',
  sender: 'Expéditeur',
  subject: 'Objet',
  reason: 'Motif',
  recipient: 'Destinataire',
  event: 'Événement',
  attempts: 'Tentatives',
  lastError: 'Dernière erreur',
  serverResponse: 'Réponse du serveur',
  created: 'Créée',
  sent: 'Envoyée',
  nextAttempt: 'Prochaine tentative',
  noSubject: '(sans objet)',
  unreadable: 'Le message stocké n’a pas pu être lu.',
  decisionLog: 'Journal de décision',
  outcome: 'Résultat',
  ticket: 'Ticket',
  identifiedAs: 'Identifié comme',
  routedTo: 'Projet',
  releasedAt: 'Libéré par le support',
  source: 'Source',
  messageId: 'Message-ID',
  size: 'Taille',
  headers: 'En-têtes',
  to: 'À',
  cc: 'Cc',
  date: 'Date',
  attachments: 'Pièces jointes',
  text: 'Texte tel que lu à la réception',
  rawDownload: 'Télécharger le message brut',
  release: 'Traiter à nouveau',
  releaseHint: 'Repasse le message à la réception, avec les contacts, observateurs et projets d’aujourd’hui.',
  releaseHeld: 'Laisser passer',
  releaseHeldHint: 'La limite de nouveaux tickets par jour de l’expéditeur l’a retenu\u00a0: ce message passe quand même.',
  reject: 'Rejeter',
  rejectHint: 'L’écarte définitivement (le message brut est conservé)\u00a0: ignoré, à votre nom.',
  accountHold: 'Retenu jusqu’à la décision sur le compte de l’expéditeur\u00a0: voir',
  projectHold: 'Retenu jusqu’à ce que l’expéditeur choisisse le projet.',
  processedAgain: 'Traité à nouveau\u00a0: {state} — {outcome}',
  rejected: 'Rejeté.',
  notWaiting: 'Ce message n’attend plus le support ({state}).',
  retry: 'Réessayer maintenant',
  retried: 'Remise en file\u00a0: elle partira au prochain passage de l’envoi.',
  notFailed: 'Cette notification n’a pas échoué\u00a0: rien à réessayer.',
  textPart: 'Partie texte',
  htmlPart: 'Partie HTML (affichée dans un bac à sable\u00a0: ni script, ni contenu distant)',
  next: 'Plus anciens',
  states: { pending: 'En attente', processed: 'Traité', quarantined: 'En quarantaine', ignored: 'Ignoré', failed: 'En échec', held: 'Retenu' },
  outboxStates: { pending: 'En attente', sent: 'Envoyée', failed: 'En échec', bounced: 'Revenue' },
};

const CATALOGUE: Record<Lang, MailStrings> = { en, fr };

const PAGE = 50;
const WAITING: InboundState[] = ['quarantined', 'failed', 'held'];
const OUTBOX_STATES = ['pending', 'sent', 'failed', 'bounced'] as const;

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

/** The CSP of a notification's HTML: its inline styles and data: images, nothing else; framed by the admin alone. */

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

// The ticket pages: the list of a queue, and one ticket with its thread, the composer (a public
// reply or an internal note, with status, priority and assignee in the same submit) and its fields.
// Every write goes through the staff verbs in one transaction; a form posted from a page older than
// the ticket's last change is refused with what changed, never applied over a colleague's work.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { PRIORITIES, RESOLUTIONS, STATUSES, TYPES, VISIBILITIES, type Database } from '../../../db/schema.ts';
import { clearDraft, draftOf, fillSavedReply, savedRepliesFor, saveDraft } from '../../../tickets/drafts.ts';
import { changesSince, ticketForStaff, ticketVersion, type TicketForStaff } from '../../../tickets/ticket-page.ts';
import { changeFields, inTransaction, replyToTicket, type FieldChanges, type StaffActor, type StaffVerbDeps } from '../../../tickets/staff-verbs.ts';
import { checkedForm, mailFrameHeaders, type AdminEnv } from '../guard.ts';
import { fill, type Strings } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import { navCounts, sessionScope, statusBadge } from './ticket-list.ts';
import { scopeTickets, visibleTicket } from '../../../tickets/rights.ts';
import type { Session } from '../session.ts';

interface TicketPageDeps {
  db: Kysely<Database>;
  verbs: StaffVerbDeps;
  dataDir: string;
  now: () => Date;
}

const actorOf = (s: Session): StaffActor => ({ role: 'staff', id: `staff:${s.staff.id}`, staffId: s.staff.id, name: s.staff.name });

const formatDate = (iso: string, lang: string) =>
  new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }) + ' UTC';

/** An empty select means "leave as it is": the form names only what staff chose to change. */
const optional = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), z.enum(values).optional());

/** Whether a comma-separated list of ids names the same set as `ids`. */
const sameIds = (was: string, ids: number[]) => {
  const before = was.split(',').filter(Boolean).map(Number).sort((a, b) => a - b);
  const after = [...new Set(ids)].sort((a, b) => a - b);
  return before.length === after.length && before.every((v, i) => v === after[i]);
};

const answerForm = z.object({
  version: z.coerce.number().int().min(0),
  message: z.string().max(100_000).default(''),
  kind: z.enum(['reply', 'note']).default('reply'),
  status: optional(STATUSES),
  resolution: optional(RESOLUTIONS),
  priority: optional(PRIORITIES),
  type: optional(TYPES),
  visibility: optional(VISIBILITIES),
  // The products control is sent whole when the project has products: its absence changes nothing.
  products_shown: z.literal('1').optional(),
  products_was: z.string().max(2000).default(''),
  products: z.preprocess((v) => ([] as unknown[]).concat(v ?? []), z.array(z.coerce.number().int().positive()).max(100)),
  // '-' unassigns; empty leaves the assignee as it is.
  assignee: z.preprocess((v) => (v === '' ? undefined : v), z.union([z.literal('-'), z.email()]).optional()),
  duplicate_of: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
});

function select(id: string, label: string, options: Array<[string, string]>): Markup {
  return html`<div><label for="${id}">${label}</label><select id="${id}" name="${id}"><option value="">—</option>${options.map(([value, text]) => html`<option value="${value}">${text}</option>`)}</select></div>`;
}

/** Images a browser shows inline from an attachment; anything else (SVG, HTML, PDF…) is downloaded. */
const INLINE_IMAGES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

function attachmentsView(number: number, attachments: TicketForStaff['entries'][number]['attachments']): Markup {
  if (!attachments.length) return html``;
  return html`<ul class="attachments">${attachments.map((a) => {
    const href = `/admin/tickets/${number}/attachments/${a.id}`;
    const preview = INLINE_IMAGES.has(a.content_type) ? html`<br><img src="${href}" alt="${a.filename}" class="preview" loading="lazy">` : '';
    return html`<li><a href="${href}" download="${a.filename}">${a.filename}</a> <span class="muted">(${Math.ceil(a.size / 1024)} KB)</span>${preview}</li>`;
  })}</ul>`;
}

function entryView(t: Strings, lang: string, number: number, e: TicketForStaff['entries'][number], images: boolean): Markup {
  const full = e.full_text && e.full_text.trim() !== e.text.trim()
    ? html`<details><summary>${t.showFull}</summary><div class="text">${e.full_text}</div></details>`
    : '';
  // The mail's HTML, already sanitised at intake, only ever inside a frame with no script and no origin.
  // Remote images stay out until staff ask: loading one tells the sender the mail was read.
  const remote = e.html?.includes('data-remote-src=') && !images
    ? html`<p class="muted"><a href="/admin/tickets/${number}?images=${e.id}#entry-${e.id}">${t.loadImages}</a></p>`
    : '';
  const rich = e.html
    ? html`<details${images ? html` open` : ''}><summary>${t.showHtml}</summary>${remote}<iframe class="mail-html" sandbox="allow-popups allow-popups-to-escape-sandbox" referrerpolicy="no-referrer" title="${t.showHtml}" src="/admin/tickets/${number}/entries/${e.id}/html${images ? '?images=1' : ''}"></iframe></details>`
    : '';
  return html`<article class="card entry${e.kind === 'note' ? ' note' : ''}" id="entry-${e.id}">
<header><strong>${e.staff_name ?? e.contact_name ?? e.author_email ?? ''}</strong><span>${formatDate(e.created_at, lang)}</span>${e.kind === 'note' ? html`<span class="badge">${t.internalNote}</span>` : ''}${e.unverified ? html`<span class="badge unverified" title="${e.unverified}">${t.unverified}</span>` : ''}</header>
<div class="text">${e.text}</div>
${full}${rich}${attachmentsView(number, e.attachments)}
</article>`;
}

function mergedView(t: Strings, lang: string, view: TicketForStaff): Markup {
  return html`${view.merged.map((m) => html`<section class="merged" aria-label="${t.mergedFrom} #${m.number}">
<h2><a href="/admin/tickets/${m.number}">#${m.number}</a> ${m.summary} <span class="badge">${t.mergedFrom}</span></h2>
${m.entries.map((e) => html`<article class="card entry${e.kind === 'note' ? ' note' : ''}"><header><strong>${e.staff_name ?? e.contact_name ?? e.author_email ?? ''}</strong><span>${formatDate(e.created_at, lang)}</span></header><div class="text">${e.text}</div></article>`)}
</section>`)}`;
}

interface Composer {
  /** What the textarea starts with: a saved reply being used, else the staff member's draft, else what a refused submit held. */
  text: string;
  replies: Array<{ id: number; title: string }>;
}

function savedReplyPicker(t: Strings, number: number, replies: Composer['replies']): Markup {
  if (!replies.length) return html`<p class="muted"><a href="/admin/saved-replies">${t.savedReplies}</a></p>`;
  return html`<form method="get" action="/admin/tickets/${number}" class="inline">
<label for="reply">${t.savedReply}</label>
<select id="reply" name="reply">${replies.map((r) => html`<option value="${r.id}">${r.title}</option>`)}</select>
<button class="secondary" type="submit">${t.insert}</button> <a href="/admin/saved-replies">${t.savedReplies}</a>
</form>`;
}

function ticketView(t: Strings, lang: string, view: TicketForStaff, staff: Array<{ email: string; name: string }>, csrf: string, note: { error?: string; saved?: boolean; images?: number }, composer: Composer): Markup {
  const { ticket } = view;
  const reporter = ticket.reporter_name ? `${ticket.reporter_name} <${ticket.reporter_email}>` : (ticket.reporter_email ?? '');
  return html`<h1>#${ticket.number} ${ticket.summary}</h1>
${note.error ? flash('error', note.error) : ''}${note.saved ? flash('ok', t.changed) : ''}
<div class="grid2">
<section aria-label="${t.thread}">
${view.entries.map((e) => entryView(t, lang, ticket.number, e, note.images === e.id))}
${mergedView(t, lang, view)}
<div class="card">
<h2>${t.composer}</h2>
${savedReplyPicker(t, ticket.number, composer.replies)}
<form method="post" action="/admin/tickets/${ticket.number}/answer" class="stack">
${csrfField(csrf)}
<input type="hidden" name="version" value="${view.version}">
<label for="message">${t.message}</label>
<textarea id="message" name="message" data-draft="/admin/tickets/${ticket.number}/draft">${composer.text}</textarea>
<div class="fields">
${select('status', t.col.status, STATUSES.map((s) => [s, t.status[s]]))}
${select('resolution', t.col.resolution, RESOLUTIONS.map((r) => [r, t.resolution[r]]))}
${select('priority', t.col.priority, PRIORITIES.map((r) => [r, t.priority[r]]))}
${select('type', t.col.type, TYPES.map((r) => [r, t.type[r]]))}
${select('visibility', t.col.visibility, VISIBILITIES.map((v) => [v, t.visibility[v]]))}
${view.products.length ? html`<div><label for="products">${t.col.products}</label><input type="hidden" name="products_shown" value="1"><input type="hidden" name="products_was" value="${view.products.filter((p) => p.chosen).map((p) => p.id).join(',')}"><select id="products" name="products" multiple size="${Math.min(4, view.products.length)}">${view.products.map((p) => html`<option value="${p.id}"${p.chosen ? html` selected` : ''}>${p.name}</option>`)}</select></div>` : ''}
${select('assignee', t.col.assignee, [['-', t.nobody], ...staff.map((s): [string, string] => [s.email, s.name])])}
<div><label for="duplicate_of">${t.duplicateOf}</label><input id="duplicate_of" name="duplicate_of" type="text" inputmode="numeric" pattern="[0-9]*"></div>
</div>
<button class="primary" type="submit" name="kind" value="reply">${t.replyPublic}</button>
<button class="secondary" type="submit" name="kind" value="note">${t.addNote}</button>
</form>
</div>
</section>
<aside class="card" aria-label="${t.fields}">
<dl>
<dt>${t.col.status}</dt><dd>${statusBadge(t, ticket)}</dd>
<dt>${t.col.resolution}</dt><dd>${t.resolution[ticket.resolution]}</dd>
<dt>${t.col.priority}</dt><dd>${t.priority[ticket.priority]}</dd>
<dt>${t.col.type}</dt><dd>${t.type[ticket.type]}</dd>
<dt>${t.col.visibility}</dt><dd>${t.visibility[ticket.visibility]}</dd>
<dt>${t.col.assignee}</dt><dd>${ticket.assignee_name ?? t.nobody}</dd>
<dt>${t.col.reporter}</dt><dd>${reporter}</dd>
${ticket.organisation_name ? html`<dt>${t.col.organisation}</dt><dd>${ticket.organisation_name}</dd>` : ''}
${ticket.project_name ? html`<dt>${t.col.project}</dt><dd>${ticket.project_name}</dd>` : ''}
</dl>
${view.others.length ? html`<h2>${t.otherTickets}</h2><ul class="others">${view.others.map((o) => html`<li><a href="/admin/tickets/${o.number}">#${o.number}</a> ${o.summary} <span class="badge">${t.status[o.status]}</span></li>`)}</ul>` : ''}
</aside>
</div>`;
}

export function ticketPages(deps: TicketPageDeps) {
  const app = new Hono<AdminEnv>();
  const staffList = () => deps.db.selectFrom('staff').select(['email', 'name']).where('active', '=', 1).orderBy('name').execute();

  async function render(c: Context<AdminEnv>, number: number, extra: { error?: string; saved?: boolean; images?: number; status?: 200 | 409 | 422; text?: string } = {}) {
    const t = c.get('t');
    const session = c.get('session');
    const scope = await sessionScope(deps.db, session);
    // A ticket outside the staff member's projects answers as one that does not exist.
    const view = await ticketForStaff(deps.db, number, scope);
    const lang = c.get('lang');
    if (!view) return c.html(page({ t, lang, title: t.notFound, session }, html`<p>${t.notFound}</p>`), 404);
    const replies = await savedRepliesFor(deps.db, view.ticket.project_id);
    const chosen = replies.find((r) => String(r.id) === c.req.query('reply'));
    const text = chosen
      ? fillSavedReply(chosen.body, { name: view.ticket.reporter_name || null, number })
      : (extra.text ?? (await draftOf(deps.db, view.ticket.id, session.staff.id)) ?? '');
    const body = ticketView(t, lang, view, await staffList(), session.csrf, extra, { text, replies });
    const counts = await navCounts(deps.db, session.staff.id, scope);
    return c.html(page({ t, lang, title: `#${number} ${view.ticket.summary}`, session, counts }, body), extra.status ?? 200);
  }

  /** An attachment of this ticket: raster images may show inline; everything else is a download, never rendered. */
  app.get('/:number{[0-9]+}/attachments/:id{[0-9]+}', async (c) => {
    const row = await scopeTickets(deps.db
      .selectFrom('attachment')
      .innerJoin('entry', 'entry.id', 'attachment.entry_id')
      .innerJoin('ticket', 'ticket.id', 'entry.ticket_id')
      .select(['attachment.filename', 'attachment.content_type', 'attachment.sha256'])
      .where('attachment.id', '=', Number(c.req.param('id')))
      .where('ticket.number', '=', Number(c.req.param('number'))), await sessionScope(deps.db, c.get('session')))
      .executeTakeFirst();
    if (!row || !/^[0-9a-f]{64}$/.test(row.sha256)) return c.text(c.get('t').notFound, 404);
    const bytes = await readFile(path.join(deps.dataDir, 'attachments', row.sha256.slice(0, 2), row.sha256)).catch(() => null);
    if (!bytes) return c.text(c.get('t').notFound, 404);
    const inline = INLINE_IMAGES.has(row.content_type);
    const name = encodeURIComponent(row.filename).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
    return c.body(new Uint8Array(bytes), 200, {
      'content-type': inline ? row.content_type : 'application/octet-stream',
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename*=UTF-8''${name}`,
      'content-security-policy': "default-src 'none'; sandbox",
      'x-content-type-options': 'nosniff',
      'cache-control': 'private, max-age=3600',
    });
  });

  /** A mail's sanitised HTML, for the sandboxed frame of the ticket page: no script, no remote content, no origin. */
  app.get('/:number{[0-9]+}/entries/:id{[0-9]+}/html', async (c) => {
    const row = await scopeTickets(deps.db
      .selectFrom('entry')
      .innerJoin('ticket', 'ticket.id', 'entry.ticket_id')
      .select('entry.html')
      .where('entry.id', '=', Number(c.req.param('id')))
      .where('ticket.number', '=', Number(c.req.param('number'))), await sessionScope(deps.db, c.get('session')))
      .executeTakeFirst();
    if (!row?.html) return c.text(c.get('t').notFound, 404);
    // Asked for: the remote images kept aside at intake get their address back, and the CSP lets them load.
    const images = c.req.query('images') === '1';
    const body = images ? row.html.replace(/\sdata-remote-src="/g, ' src="') : row.html;
    const placeholder = '<style>img[data-remote-src]{display:inline-block;min-width:40px;min-height:20px;border:1px dashed #9aa5b1;}</style>';
    // Links already open in a new window (the sanitiser sets target="_blank"): no <base> needed.
    return c.body(`<!doctype html><html><head><meta charset="utf-8">${placeholder}</head><body>${body}</body></html>`, 200, mailFrameHeaders({ remoteImages: images }));
  });

  /** The composer's text as staff type it (admin.js posts it): a reload or a crash loses nothing. */
  app.post('/:number{[0-9]+}/draft', async (c) => {
    const form = await checkedForm(c);
    if (!form) return c.text(c.get('t').formExpired, 403);
    const ticket = await visibleTicket(deps.db, await sessionScope(deps.db, c.get('session')), Number(c.req.param('number')));
    if (!ticket) return c.text(c.get('t').notFound, 404);
    await saveDraft(deps.db, { ticketId: ticket.id, staffId: c.get('session').staff.id, text: typeof form.text === 'string' ? form.text : '' }, deps.now());
    return c.body(null, 204);
  });

  app.get('/:number{[0-9]+}', (c) => render(c, Number(c.req.param('number')), { saved: c.req.query('saved') === '1', images: Number(c.req.query('images')) || undefined }));

  app.post('/:number{[0-9]+}/answer', async (c) => {
    const t = c.get('t');
    const number = Number(c.req.param('number'));
    const form = await checkedForm(c);
    if (!form) return c.text(t.formExpired, 403);
    const parsed = answerForm.safeParse(form);
    if (!parsed.success) return render(c, number, { error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), status: 422 });
    const input = parsed.data;
    const scope = await sessionScope(deps.db, c.get('session'));
    const current = await visibleTicket(deps.db, scope, number);
    if (!current) return render(c, number);
    // The ticket it duplicates must be one the staff member may see too, or the refusal would tell it exists.
    if (input.duplicate_of !== undefined && !(await visibleTicket(deps.db, scope, input.duplicate_of))) {
      return render(c, number, { error: `no ticket #${input.duplicate_of}`, status: 422, text: input.message });
    }
    const version = await ticketVersion(deps.db, current.id);
    if (version !== input.version) {
      const what = (await changesSince(deps.db, current.id, input.version)).map((e) => (e.field ? `${e.field} → ${e.to_value ?? ''}` : e.kind)).join(', ');
      return render(c, number, { error: fill(t.staleTicket, { what }), status: 409, text: input.message });
    }
    const changes: FieldChanges = {
      ...(input.status && { status: input.status }),
      ...(input.resolution && { resolution: input.resolution }),
      ...(input.priority && { priority: input.priority }),
      ...(input.type && { type: input.type }),
      ...(input.visibility && { visibility: input.visibility }),
      ...(input.products_shown && !sameIds(input.products_was, input.products) && { products: input.products }),
      ...(input.assignee !== undefined && { assignee: input.assignee === '-' ? null : input.assignee }),
      ...(input.duplicate_of !== undefined && { duplicateOf: input.duplicate_of }),
    };
    const message = input.message.trim();
    const actor = actorOf(c.get('session'));
    const result = await inTransaction(deps.db, async (trx) => {
      if (message) {
        const replied = await replyToTicket(trx, deps.verbs, actor, { number, message, internal: input.kind === 'note' }, deps.now());
        if (!replied.ok) return replied;
      }
      if (Object.keys(changes).length) return changeFields(trx, deps.verbs, actor, number, changes, deps.now());
      return message ? { ok: true as const } : { ok: false as const, code: 'invalid' as const, reason: 'write a message or choose a change' };
    });
    if (!result.ok) return render(c, number, { error: result.reason, status: 422, text: input.message });
    await clearDraft(deps.db, current.id, c.get('session').staff.id);
    return c.redirect(`/admin/tickets/${number}?saved=1`, 303);
  });

  return app;
}

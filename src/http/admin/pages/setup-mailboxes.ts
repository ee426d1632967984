// The mailboxes, read only: what the configuration connects (with every password already hidden by
// the composition root, which alone reads the config) and how it is doing right now — the IMAP
// connection, the last UID handled per mailbox, the outbox relay's failures. Changing any of it is
// the operator's business (config.json, GUICHET_* variables) and needs a restart.
import type { Context } from 'hono';
import { html } from 'hono/html';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';
import type { AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
import type { Markup } from '../layout.ts';
import { setupPage, setupStrings, type SetupStrings } from './setup-common.ts';

/** What the configuration connects, as plain values; URLs carry no password (`imaps://user:***@host/INBOX`). */
export interface MailboxSummary {
  supportAddress: string;
  imap: { url: string; idle: boolean; pollCron: string; markAs: string } | null;
  smtpIntake: { listen: string; auth: boolean; allowedClients: string[] | null } | null;
  sending: { kind: 'smtp'; url: string } | { kind: 'capture'; dir: string };
}

/** The live state, read from the running poller and outbox (the same sources as /healthz). */
export interface SetupLive {
  mailbox(): { connected: boolean; idle: boolean; lastError: string | null; lastPollAt: Date | null } | null;
  outbox?(): { stalledSince: Date | null; lastError: string | null; stalledForMs: number };
}

const when = (d: Date | null, lang: Lang, never: string) =>
  d ? `${d.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', timeStyle: 'medium', timeZone: 'UTC' })} UTC` : never;

/**
 * The highest UID handled per (mailbox, UIDVALIDITY): the cursor rows (UIDs whose bytes duplicated
 * an earlier message) and the stored messages' UIDs, as the poller resumes from them.
 */
async function lastUids(db: Kysely<Database>) {
  const [cursors, stored] = await Promise.all([
    db.selectFrom('mailbox_cursor').select(['mailbox', 'uid_validity', 'last_uid']).execute(),
    db.selectFrom('inbound_message')
      .select(['mailbox', 'uid_validity', sql<number>`max(uid)`.as('last_uid')])
      .where('uid', 'is not', null).where('uid_validity', 'is not', null).where('state', '!=', 'pending')
      .groupBy(['mailbox', 'uid_validity'])
      .execute(),
  ]);
  const slots = new Map<string, { mailbox: string; uidValidity: number; lastUid: number }>();
  for (const r of [...cursors, ...stored]) {
    const uidValidity = Number(r.uid_validity);
    const key = `${r.mailbox}\u0000${uidValidity}`;
    const lastUid = Math.max(Number(r.last_uid), slots.get(key)?.lastUid ?? 0);
    slots.set(key, { mailbox: r.mailbox, uidValidity, lastUid });
  }
  return [...slots.values()].sort((a, b) => a.mailbox.localeCompare(b.mailbox) || b.uidValidity - a.uidValidity);
}

/** A transport error may quote a URL with its credentials: hide the password as the summary does. */
const scrub = (text: string | null) => text && text.replace(/\/\/([^:@/\s]+):[^@\s]+@/g, '//$1:***@');

const row = (label: string, value: Markup | string) => html`<dt>${label}</dt><dd>${value}</dd>`;

function imapCard(s: SetupStrings, lang: Lang, summary: MailboxSummary | undefined, live: SetupLive | undefined): Markup {
  const imap = summary?.imap;
  if (!imap) return html`<section class="card setup-box"><h2>${s.imap}</h2><p>${s.noImap}</p></section>`;
  const state = live?.mailbox() ?? null;
  const yesNo = (b: boolean) => (b ? s.yes : s.no);
  return html`<section class="card setup-box"><h2>${s.imap}</h2><dl>
${row(s.url, html`<code>${imap.url}</code>`)}
${row(s.idleConfigured, yesNo(imap.idle))}
${row(s.pollCron, html`<code>${imap.pollCron}</code>`)}
${row(s.markAs, imap.markAs)}
${state
    ? html`${row(s.connected, html`<span class="badge ${state.connected ? 'state-active' : 'state-blocked'}">${yesNo(state.connected)}</span>`)}
${row(s.idleNow, yesNo(state.idle))}
${row(s.lastPoll, when(state.lastPollAt, lang, s.never))}
${row(s.lastError, scrub(state.lastError) ?? s.none)}`
    : row(s.connected, s.notRunning)}
</dl></section>`;
}

export async function mailboxPage(c: Context<AdminEnv>, deps: { db: Kysely<Database>; mailboxes?: MailboxSummary; live?: SetupLive }) {
  const s = setupStrings(c);
  const lang = c.get('lang');
  const m = deps.mailboxes;
  const uids = await lastUids(deps.db);
  const sending = deps.live?.outbox?.() ?? null;
  const body = html`<h1>${s.mailboxes}</h1>
<p>${s.mailboxesIntro}</p>
${m ? html`<p>${s.supportAddress}: <strong>${m.supportAddress}</strong></p>` : ''}
${imapCard(s, lang, m, deps.live)}
<section class="card setup-box"><h2>${s.lastUids}</h2>
${uids.length
    ? html`<table class="list"><thead><tr><th scope="col">${s.mailbox}</th><th scope="col">${s.uidValidity}</th><th scope="col">${s.lastUid}</th></tr></thead>
<tbody>${uids.map((u) => html`<tr><td>${u.mailbox}</td><td class="num">${u.uidValidity}</td><td class="num">${u.lastUid}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">${s.noUids}</p>`}
</section>
<section class="card setup-box"><h2>${s.smtpIntake}</h2>
${m?.smtpIntake
    ? html`<dl>${row(s.listen, html`<code>${m.smtpIntake.listen}</code>`)}${row(s.auth, m.smtpIntake.auth ? s.yes : s.no)}${row(s.allowedClients, m.smtpIntake.allowedClients?.join(', ') ?? s.anyClient)}</dl>`
    : html`<p>${m ? s.noSmtpIntake : s.unknown}</p>`}
</section>
<section class="card setup-box"><h2>${s.outbox}</h2><dl>
${m ? (m.sending.kind === 'smtp' ? row(s.relay, html`<code>${m.sending.url}</code>`) : row(s.capture, html`<code>${m.sending.dir}</code>`)) : ''}
${sending
    ? html`${row(s.stalledSince, sending.stalledSince ? when(sending.stalledSince, lang, s.never) : s.working)}${row(s.lastError, scrub(sending.lastError) ?? s.none)}`
    : row(s.state, s.unknown)}
</dl></section>`;
  return c.html(setupPage(c, 'mailboxes', s.mailboxes, body));
}

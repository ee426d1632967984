// The demo's "write as a client" form, after Action Mailbox's conductor: a newcomer writes a mail
// as any client and it goes through the real intake, exactly as one arriving by IMAP or SMTP would;
// the outbox then shows Guichet's answer. Only in the demo: in a real installation a form that
// writes as anyone would be a way to forge a client's mail.
import { Hono, type Context } from 'hono';
import { html } from 'hono/html';
import { z } from 'zod';
import { checkedForm, type AdminEnv } from '../guard.ts';
import type { Lang } from '../i18n.ts';
import { csrfField, flash, page, type Markup } from '../layout.ts';
import type { InboundPort } from '../ports.ts';

const WORDS = {
  en: {
    title: 'Write as a client',
    intro: 'Demo only: this mail goes through the real intake, as if it had arrived in the support mailbox. The answers appear in the Outbox.',
    from: 'From', to: 'To', subject: 'Subject', body: 'Text', send: 'Send through the intake',
    result: 'Taken in: {state} — {outcome}', ticket: 'Open ticket #{n}',
  },
  fr: {
    title: 'Écrire comme un client',
    intro: 'Démonstration seulement\u00a0: ce message passe par la vraie réception, comme s’il était arrivé dans la boîte du support. Les réponses apparaissent dans les Envois.',
    from: 'De', to: 'À', subject: 'Objet', body: 'Texte', send: 'Envoyer à la réception',
    result: 'Reçu\u00a0: {state} — {outcome}', ticket: 'Ouvrir le ticket n°{n}',
  },
} satisfies Record<Lang, Record<string, string>>;

const form = z.object({
  from: z.email(),
  name: z.string().max(200).default(''),
  subject: z.string().trim().min(1).max(500),
  body: z.string().max(100_000),
});

/** A header value in RFC 2047 when it is not plain ASCII; CR and LF never pass into a header. */
function header(value: string): string {
  const flat = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?utf-8?B?${Buffer.from(flat).toString('base64')}?=`;
}

/** The mail as a client's program would send it. */
export function composeClientMail(m: { from: string; name: string; to: string; subject: string; body: string; now: Date }): Buffer {
  const from = m.name ? `${header(m.name.replace(/["\\]/g, ''))} <${m.from}>` : m.from;
  const lines = [
    `From: ${from}`,
    `To: ${m.to}`,
    `Subject: ${header(m.subject)}`,
    `Date: ${m.now.toUTCString()}`,
    `Message-ID: <conductor-${m.now.getTime()}-${Math.random().toString(36).slice(2)}@${m.from.split('@')[1]}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from(m.body.replace(/\r?\n/g, '\r\n')).toString('base64').replace(/.{76}/g, '$&\r\n'),
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}

export function conductorPage(deps: { inbound: InboundPort; supportAddress: string; now: () => Date }) {
  const app = new Hono<AdminEnv>();
  const show = (c: Context<AdminEnv>, note: Markup | '' = '', status: 200 | 422 = 200) => {
    const lang = c.get('lang');
    const w = WORDS[lang];
    return c.html(page({ t: c.get('t'), lang, title: w.title, session: c.get('session') }, html`<h1>${w.title}</h1>
<p class="muted">${w.intro}</p>${note}
<form method="post" action="/admin/write" class="card stack">
${csrfField(c.get('session').csrf)}
<label for="from">${w.from}</label><input id="from" name="from" type="email" required value="ada@example.com">
<label for="name">Name</label><input id="name" name="name" type="text" value="Ada Lovelace">
<label for="to">${w.to}</label><input id="to" type="text" value="${deps.supportAddress}" disabled>
<label for="subject">${w.subject}</label><input id="subject" name="subject" type="text" required>
<label for="body">${w.body}</label><textarea id="body" name="body"></textarea>
<button class="primary" type="submit">${w.send}</button>
</form>`), status);
  };
  app.get('/', (c) => show(c));
  app.post('/', async (c) => {
    const fields = await checkedForm(c);
    if (!fields) return c.text(c.get('t').formExpired, 403);
    const parsed = form.safeParse(fields);
    if (!parsed.success) return show(c, flash('error', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')), 422);
    const raw = composeClientMail({ ...parsed.data, to: deps.supportAddress, now: deps.now() });
    const result = await deps.inbound.deliver(raw);
    const w = WORDS[c.get('lang')];
    const note = html`${flash('ok', w.result.replace('{state}', result.state).replace('{outcome}', result.outcome))}${result.ticketNumber ? html`<p><a href="/admin/tickets/${result.ticketNumber}">${w.ticket.replace('{n}', String(result.ticketNumber))}</a></p>` : ''}`;
    return show(c, note);
  });
  return app;
}

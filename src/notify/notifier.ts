// Turns what happened into the notification rows it causes: implements the notice ports that
// tickets/, accounts/ and the intake declare. For each notice it picks the recipients and their
// language, composes the template's variables, threads the mail on the ticket and queues it in the
// caller's transaction. Every ticket notification keeps the subject `[#N] summary`, so mail
// programs that thread by subject (Gmail does) keep the whole life of a ticket in one conversation.
import type { Contact, Language, Ticket, Trx } from '../db/schema.ts';
import { silentLog, type Log } from '../log.ts';
import { plusAddress } from '../protocol/addresses.ts';
import { mailtoUrl } from '../protocol/mailto.ts';
import { actionMarker, projectMarker } from '../protocol/markers.ts';
import { replyAddress, type TokenRole } from '../protocol/reply-token.ts';
import { formatTag, ticketSubject } from '../protocol/subject.ts';
import type { AccountNotices } from '../accounts/notices.ts';
import type { NoticeCause, TicketNotices } from '../tickets/notices.ts';
import { recordEvent } from '../tickets/store.ts';
import type { NotificationEvent } from '../tickets/workflow.ts';
import { checkBudget, type AutomaticMailBudget } from './budget.ts';
import { enqueueNotification, markReturned } from './outbox.ts';
import type { RenderedMail, Renderer, TemplateName, TemplateVars, TicketVars } from './render.ts';

export interface NotifierOptions {
  renderer: Renderer;
  domain: string;
  supportAddress: string;
  /**
   * The reply tokens' key: each notice about a ticket is answered at its recipient's own address
   * (protocol/reply-token.ts). Null where the mailbox takes no plus addresses: the support address.
   */
  replySecret: string | null;
  tagPrefix: string;
  defaultLanguage: Language;
  /**
   * Bounds what Guichet sends on its own to one address (config automaticMail), so a responder that
   * looks human cannot keep a loop going; mail carrying a staff member's action is not counted.
   */
  automaticMail: AutomaticMailBudget;
  /** Said in the resolution and auto-close notices. */
  autoCloseDays: number;
  /** Where a notice withheld about no ticket is told (one about a ticket is an event on it). */
  log?: Log;
}

/** Templates a ticket change sends to the client side; each takes the ticket summary box. */
export type TicketTemplate = {
  [K in TemplateName]: TemplateVars[K] extends TicketVars ? K : never;
}[TemplateName];

export function languageOf(contact: Pick<Contact, 'language'> | undefined, fallback: Language): Language {
  return contact?.language === 'fr' || contact?.language === 'en' ? contact.language : fallback;
}

export function ticketVars(ticket: Ticket, contact?: Pick<Contact, 'name'>): TicketVars {
  return { number: ticket.number, summary: ticket.summary, status: ticket.status, priority: ticket.priority, contactName: contact?.name || undefined };
}

/** What a workflow change's notice is composed from. */
interface ChangeContext { trx: Trx; before: Ticket; after: Ticket; message: string | undefined }
type NoticeVars<T extends TemplateName> = Omit<TemplateVars[T], keyof TicketVars>;

/** Every notice Guichet sends: the ports of tickets/ and accounts/, and the intake's own. */
export type Notifier = TicketNotices & AccountNotices & ReturnType<typeof createNotifier>;

export function createNotifier(opts: NotifierOptions) {
  const subjectOf = (ticket: Ticket) => ticketSubject(ticket.number, ticket.summary, opts.tagPrefix);
  /** Where `recipient` answers a notice about `ticket`: the token binds the answer to both. */
  const replyAddressOf = (ticket: Ticket, role: TokenRole, recipient: string) =>
    opts.replySecret ? replyAddress(opts.supportAddress, opts.replySecret, role, ticket.number, recipient) : opts.supportAddress;
  const queue = (trx: Trx, n: Parameters<typeof enqueueNotification>[1], now: Date) => enqueueNotification(trx, n, { domain: opts.domain, now });

  const log = opts.log ?? silentLog;

  /**
   * Whether an automatic notice to `recipient` may be queued. Past the budget it is not: the ticket
   * (when there is one) records that the mail was withheld, otherwise a log line says so; whatever
   * caused it (the ticket, the comment, the held message) stays as it is.
   */
  async function mayQueue(trx: Trx, m: { recipient: string; event: string; ticketId: number | null }, now: Date): Promise<boolean> {
    const over = await checkBudget(trx, m.recipient, opts.automaticMail, now);
    if (!over) return true;
    const why = `${over.max} automatic mails in ${over.bound === 'day' ? 'a day' : '10 minutes'}`;
    if (m.ticketId !== null) {
      await recordEvent(trx, { ticketId: m.ticketId, actor: 'system', kind: 'mail_withheld', field: m.event, from: why, to: m.recipient }, now);
    } else {
      log('warn', `automatic mail withheld: ${m.event} to ${m.recipient} (${why})`, { event: m.event, recipient: m.recipient });
    }
    return false;
  }

  /** A notice carrying a staff member's action always goes; any other is Guichet speaking on its own. */
  const isAutomatic = (cause: NoticeCause) => cause !== 'staff';

  /**
   * The ticket's thread: its first message (the root) and its latest one. A ticket staff opened
   * has no client message: its first notification is the root.
   */
  async function threadOf(trx: Trx, ticket: Ticket): Promise<{ inReplyTo: string | null; references: string[] }> {
    const ids = await trx
      .selectFrom('entry')
      .select('message_id')
      .where('ticket_id', '=', ticket.id)
      .where('message_id', 'is not', null)
      .orderBy('id')
      .execute();
    const first = ids.length
      ? undefined
      : await trx.selectFrom('outbox').select('message_id').where('ticket_id', '=', ticket.id).orderBy('id').executeTakeFirst();
    const root = ids[0]?.message_id ?? first?.message_id ?? null;
    const last = ids.at(-1)?.message_id ?? root;
    const references = [...new Set([root, last].filter((x): x is string => Boolean(x)))];
    return { inReplyTo: last, references };
  }

  /**
   * Who hears of a ticket: the reporter, and for a public ticket its watchers (the recipients of a
   * maintenance announcement are its watchers). Contacts that are blocked, refused or bouncing hear
   * nothing, nor does an address that is no contact at all.
   */
  async function audience(trx: Trx, ticket: Ticket): Promise<Array<{ email: string; contact?: Contact }>> {
    const reporter = ticket.reporter_id === null
      ? undefined
      : await trx.selectFrom('contact').selectAll().where('id', '=', ticket.reporter_id).executeTakeFirstOrThrow();
    const people: Array<{ email: string; contact?: Contact }> = reporter ? [{ email: reporter.email, contact: reporter }] : [];
    if (ticket.visibility === 'public') {
      const watchers = await trx.selectFrom('ticket_watcher').select('email').where('ticket_id', '=', ticket.id).orderBy('email').execute();
      const emails = watchers.map((w) => w.email);
      const contacts = emails.length ? await trx.selectFrom('contact').selectAll().where('email', 'in', emails).execute() : [];
      for (const { email } of watchers) {
        if (email !== reporter?.email) people.push({ email, contact: contacts.find((c) => c.email === email) });
      }
    }
    // The reporter hears of their ticket while their account awaits validation; a watcher only once
    // it is an active contact (a stranger in Cc hears nothing until staff validate the address).
    return people.filter(({ contact }, i) =>
      contact !== undefined && !contact.bounced_at && (contact.state === 'active' || (i === 0 && reporter !== undefined && contact.state === 'pending')));
  }

  /**
   * One notice to each person of the ticket's audience, on the ticket's thread; an automatic one only
   * to those within their budget. Resolves with how many were queued.
   */
  async function toAudience<T extends TicketTemplate>(
    trx: Trx,
    ticket: Ticket,
    template: T,
    vars: Omit<TemplateVars[T], keyof TicketVars>,
    now: Date,
    automatic: boolean,
  ): Promise<number> {
    const thread = await threadOf(trx, ticket);
    let queued = 0;
    for (const person of await audience(trx, ticket)) {
      if (automatic && !(await mayQueue(trx, { recipient: person.email, event: template, ticketId: ticket.id }, now))) continue;
      queued++;
      const rendered = opts.renderer.render(template, languageOf(person.contact, opts.defaultLanguage), {
        ...ticketVars(ticket, person.contact),
        ...vars,
      } as TemplateVars[T]);
      await queueOnThread(trx, ticket, thread, { event: template, recipient: person.email, subject: subjectOf(ticket), rendered, automatic }, now);
    }
    return queued;
  }

  function queueOnThread(
    trx: Trx,
    ticket: Ticket,
    thread: { inReplyTo: string | null; references: string[] },
    m: { event: string; recipient: string; subject: string; rendered: RenderedMail; automatic: boolean },
    now: Date,
  ) {
    return queue(trx, {
      ticketId: ticket.id, ticketNumber: ticket.number, event: m.event, recipient: m.recipient, subject: m.subject,
      html: m.rendered.html, text: m.rendered.text, inReplyTo: thread.inReplyTo, references: thread.references,
      automatic: m.automatic,
      replyTo: replyAddressOf(ticket, m.event === 'staff-alert' ? 'staff' : 'client', m.recipient), autoSubmitted: 'auto-generated',
    }, now);
  }

  /**
   * A mail to one contact about no ticket yet (account pending or refused, which project), answering
   * their message; an automatic one only within the contact's budget.
   */
  async function toContact<T extends 'account-pending' | 'account-refused' | 'project-question'>(
    trx: Trx, contact: Contact, template: T, vars: TemplateVars[T], answering: string | null, now: Date, automatic: boolean,
  ): Promise<void> {
    if (automatic && !(await mayQueue(trx, { recipient: contact.email, event: template, ticketId: null }, now))) return;
    const rendered = opts.renderer.render(template, languageOf(contact, opts.defaultLanguage), vars);
    await queue(trx, {
      ticketId: null, ticketNumber: null, event: template, recipient: contact.email, subject: rendered.subject,
      html: rendered.html, text: rendered.text, inReplyTo: answering, references: answering ? [answering] : [],
      automatic,
      replyTo: opts.supportAddress, autoSubmitted: 'auto-replied',
    }, now);
  }

  /** The variables of each notice a workflow change sends, beyond the ticket's summary box. */
  const changeVars: { [K in NotificationEvent]: (c: ChangeContext) => Promise<NoticeVars<K>> | NoticeVars<K> } = {
    'feedback-requested': ({ message }) => ({ message: message ?? '' }),
    'ticket-assigned': async ({ trx, after, message }) => {
      const assignee = after.assignee_id
        ? await trx.selectFrom('staff').select('name').where('id', '=', after.assignee_id).executeTakeFirst()
        : undefined;
      return { message, assigneeName: assignee?.name };
    },
    'ticket-resolved': ({ after, message }) => {
      // The links prefill a reply whose marker carries this resolution's token.
      const subject = `Re: ${subjectOf(after)}`;
      const link = (action: 'confirm' | 'still-broken') =>
        mailtoUrl(opts.supportAddress, { subject, body: actionMarker(action, after.number, after.action_token!) });
      return { message, resolution: after.resolution, autoCloseDays: opts.autoCloseDays, confirmMailto: link('confirm'), reopenMailto: link('still-broken') };
    },
    'ticket-closed': ({ after, message }) => ({ message, resolution: after.resolution }),
    'auto-closed': ({ after }) => ({ resolution: after.resolution, days: opts.autoCloseDays }),
    'ticket-duplicate': async ({ trx, after, message }) => {
      const target = await trx.selectFrom('ticket').select('summary').where('number', '=', after.duplicate_of!).executeTakeFirst();
      return { message, duplicateOf: after.duplicate_of!, duplicateOfSummary: target?.summary ?? '' };
    },
    'priority-changed': ({ before, message }) => ({ message, previousPriority: before.priority }),
    'type-changed': ({ before, after, message }) => ({ message, type: after.type, previousType: before.type }),
    'ticket-confirmed': ({ message }) => ({ message }),
    'ticket-reopened': ({ message }) => ({ message }),
  };

  async function announceChange<K extends NotificationEvent>(trx: Trx, notice: K, c: Omit<ChangeContext, 'trx'>, now: Date, automatic: boolean): Promise<void> {
    await toAudience(trx, c.after, notice, await changeVars[notice]({ trx, ...c }), now, automatic);
  }

  return {
    /** The acknowledgement of a new ticket, answering the client's own message; withheld past the reporter's budget. */
    async opened(trx, e, now) {
      const automatic = isAutomatic(e.cause ?? 'client');
      if (automatic && !(await mayQueue(trx, { recipient: e.reporter.email, event: 'ticket-received', ticketId: e.ticket.id }, now))) return;
      const rendered = opts.renderer.render('ticket-received', languageOf(e.reporter, opts.defaultLanguage), {
        ...ticketVars(e.ticket, e.reporter),
        unknownTag: e.unknownTag,
        fallbacks: e.fallbacks,
      });
      await queue(trx, {
        ticketId: e.ticket.id, ticketNumber: e.ticket.number, event: 'ticket-received', recipient: e.reporter.email,
        subject: subjectOf(e.ticket), html: rendered.html, text: rendered.text, inReplyTo: e.answering,
        references: e.answering ? [e.answering] : [], replyTo: replyAddressOf(e.ticket, 'client', e.reporter.email), autoSubmitted: 'auto-replied',
        automatic,
      }, now);
    },

    async changed(trx, e, now) {
      await announceChange(trx, e.notice, { before: e.before, after: e.after, message: e.message }, now, isAutomatic(e.cause));
    },

    async staffReplied(trx, e, now) {
      await toAudience(trx, e.ticket, 'staff-reply', { message: e.message, authorName: e.authorName }, now, false);
    },

    async announced(trx, e, now) {
      return toAudience(trx, e.ticket, 'maintenance-announcement', {
        message: e.message, startsAt: e.startsAt, endsAt: e.endsAt, organisation: e.organisation, authorName: e.authorName,
      }, now, false);
    },

    /**
     * Staff alerts: the assignee, else the staff of the ticket's project, else every active staff
     * member. Not counted against a budget: staff are bounded where their alerts are decided.
     */
    async clientWrote(trx, e, now) {
      const { ticket } = e;
      let staff = ticket.assignee_id
        ? await trx.selectFrom('staff').selectAll().where('id', '=', ticket.assignee_id).where('active', '=', 1).execute()
        : [];
      if (!staff.length && ticket.project_id !== null) {
        staff = await trx
          .selectFrom('project_staff')
          .innerJoin('staff', 'staff.id', 'project_staff.staff_id')
          .selectAll('staff')
          .where('project_staff.project_id', '=', ticket.project_id)
          .where('staff.active', '=', 1)
          .execute();
      }
      if (!staff.length) staff = await trx.selectFrom('staff').selectAll().where('active', '=', 1).execute();
      if (!staff.length) return;
      const thread = await threadOf(trx, ticket);
      for (const member of staff) {
        const rendered = opts.renderer.render('staff-alert', opts.defaultLanguage, {
          ...ticketVars(ticket, member),
          newTicket: e.newTicket,
          authorName: e.author.name || e.author.email,
          authorEmail: e.author.email,
          message: e.message,
        });
        const subject = `${formatTag(ticket.number, opts.tagPrefix)} ${rendered.subject}`;
        await queueOnThread(trx, ticket, thread, { event: 'staff-alert', recipient: member.email, subject, rendered, automatic: false }, now);
      }
    },

    async accountPending(trx, contact, e, now) {
      await toContact(trx, contact, 'account-pending', { email: contact.email, originalSubject: e.originalSubject, contactName: contact.name || undefined }, e.answering, now, true);
    },

    async accountRefused(trx, contact, e, now) {
      await toContact(trx, contact, 'account-refused', { email: contact.email, contactName: contact.name || undefined, message: e.message }, e.answering, now, false);
    },

    /**
     * Several projects and nothing said which: one mailto link per project, to its plus address,
     * whose marker releases the held message onto that project.
     */
    async projectQuestion(trx: Trx, contact: Contact, e: { summary: string; choices: Array<{ key: string; name: string }>; inboundId: number; answering: string }, now: Date) {
      await toContact(trx, contact, 'project-question', {
        originalSubject: e.summary,
        contactName: contact.name || undefined,
        projects: e.choices.map((c) => ({
          name: c.name,
          mailto: mailtoUrl(plusAddress(opts.supportAddress, c.key), { subject: `Re: ${e.summary}`, body: projectMarker(c.key, e.inboundId) }),
        })),
      }, e.answering, now, true);
    },

    /**
     * The mail relay works again after an outage: one notice to the active staff admins (every active
     * staff member when there is no admin). Queued once per outage, also with several processes: a
     * notice already queued since the outage began is enough.
     */
    async relayRecovered(trx: Trx, outage: { since: Date; until: Date; lastError: string }, now: Date): Promise<number> {
      const already = await trx
        .selectFrom('outbox')
        .select('id')
        .where('event', '=', 'relay-outage')
        .where('created_at', '>=', outage.since.toISOString())
        .executeTakeFirst();
      if (already) return 0;
      const active = await trx.selectFrom('staff').selectAll().where('active', '=', 1).orderBy('id').execute();
      const admins = active.filter((s) => s.role === 'admin');
      const staff = admins.length ? admins : active;
      if (!staff.length) return 0;
      const waiting = await trx
        .selectFrom('outbox')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', 'pending')
        .executeTakeFirstOrThrow();
      const rendered = opts.renderer.render('relay-outage', opts.defaultLanguage, { ...outage, queued: Number(waiting.n) });
      for (const member of staff) {
        await queue(trx, {
          ticketId: null, ticketNumber: null, event: 'relay-outage', recipient: member.email, subject: rendered.subject,
          html: rendered.html, text: rendered.text, inReplyTo: null, references: [], replyTo: null, autoSubmitted: 'auto-generated',
          automatic: false,
        }, now);
      }
      return staff.length;
    },

    /** A staff member's mail was refused: the reason, to them alone, on the ticket's thread. */
    async staffMailRefused(trx: Trx, e: { ticket: Ticket; staff: { email: string; name: string }; reason: string; answering: string }, now: Date) {
      const rendered = opts.renderer.render('staff-mail-refused', opts.defaultLanguage, { ...ticketVars(e.ticket, e.staff), reason: e.reason });
      await queue(trx, {
        ticketId: e.ticket.id, ticketNumber: e.ticket.number, event: 'staff-mail-refused', recipient: e.staff.email,
        subject: `${formatTag(e.ticket.number, opts.tagPrefix)} ${rendered.subject}`, html: rendered.html, text: rendered.text,
        inReplyTo: e.answering, references: [e.answering], replyTo: replyAddressOf(e.ticket, 'staff', e.staff.email),
        autoSubmitted: 'auto-replied', automatic: false,
      }, now);
    },

    /**
     * A staff member's invitation or password reset: to them alone, about no ticket. Not counted
     * against a budget: an admin or the member asked for it, and the reset form bounds its requests.
     */
    async staffLink(trx: Trx, n: { kind: 'invite' | 'reset'; email: string; name: string; link: string; expiresAt: Date; lang: Language; invitedBy?: string }, now: Date) {
      const person = { email: n.email, contactName: n.name || undefined, adminLink: n.link, expiresAt: n.expiresAt };
      const event = n.kind === 'invite' ? 'staff-invite' : 'password-reset';
      const rendered = n.kind === 'invite'
        ? opts.renderer.render('staff-invite', n.lang, { ...person, invitedBy: n.invitedBy ?? '' })
        : opts.renderer.render('password-reset', n.lang, person);
      await queue(trx, {
        ticketId: null, ticketNumber: null, event, recipient: n.email, subject: rendered.subject, html: rendered.html, text: rendered.text,
        inReplyTo: null, references: [], replyTo: null, autoSubmitted: 'auto-generated', automatic: false,
      }, now);
    },

    /** A bounce returned these notifications: marks them; resolves with the recipients they were for. */
    returned: (trx: Trx, messageIds: string[], reason: string) => markReturned(trx, messageIds, reason),
  } satisfies TicketNotices & AccountNotices & Record<string, unknown>;
}

// Turns a ticket change into the notification rows it causes: picks the recipients and their
// language, renders the template, threads the mail on the ticket and queues it in the caller's
// transaction. Every ticket notification keeps the subject `[#N] summary`, so mail programs that
// thread by subject (Gmail does) keep the whole life of a ticket in one conversation.
import type { Transaction } from 'kysely';
import type { Contact, Database, Ticket } from '../db/schema.ts';
import { formatTag } from '../mail/route.ts';
import type { Priority, Status } from '../tickets/values.ts';
import { enqueueNotification } from './outbox.ts';
import type { Lang, RenderedMail, Renderer, TemplateName, TemplateVars, TicketVars } from './render.ts';

export interface NotifierOptions {
  renderer: Renderer;
  domain: string;
  supportAddress: string;
  tagPrefix: string;
  defaultLanguage: Lang;
  /** Bounds acknowledgements to one sender per hour, so a mail loop or a flood cannot snowball. */
  maxAcknowledgementsPerHour: number;
}

type Trx = Transaction<Database>;

/** Templates a ticket change sends to the client side; each takes the ticket summary box. */
export type TicketTemplate = {
  [K in TemplateName]: TemplateVars[K] extends TicketVars ? K : never;
}[TemplateName];

export function languageOf(contact: Pick<Contact, 'language'> | undefined, fallback: Lang): Lang {
  return contact?.language === 'fr' || contact?.language === 'en' ? contact.language : fallback;
}

export function ticketVars(ticket: Ticket, contact?: Pick<Contact, 'name'>): TicketVars {
  return {
    number: ticket.number,
    summary: ticket.summary,
    status: ticket.status as Status,
    priority: ticket.priority as Priority,
    contactName: contact?.name || undefined,
  };
}

export function createNotifier(opts: NotifierOptions) {
  const subjectOf = (ticket: Ticket) => `${formatTag(ticket.number, opts.tagPrefix)} ${ticket.summary}`;

  async function recentAcknowledgements(trx: Trx, recipient: string, now: Date): Promise<number> {
    const since = new Date(now.getTime() - 3600_000).toISOString();
    const row = await trx
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('recipient', '=', recipient)
      .where('event', '=', 'ticket-received')
      .where('created_at', '>=', since)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

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
   * maintenance announcement are its watchers). Contacts that are blocked or refused hear nothing.
   */
  async function audience(trx: Trx, ticket: Ticket): Promise<Array<{ email: string; contact?: Contact }>> {
    const reporter = ticket.reporter_id === null
      ? undefined
      : await trx.selectFrom('contact').selectAll().where('id', '=', ticket.reporter_id).executeTakeFirstOrThrow();
    const people: Array<{ email: string; contact?: Contact }> = reporter ? [{ email: reporter.email, contact: reporter }] : [];
    if (ticket.visibility === 'public') {
      const watchers = await trx
        .selectFrom('ticket_watcher')
        .select('email')
        .where('ticket_id', '=', ticket.id)
        .orderBy('email')
        .execute();
      const emails = watchers.map((w) => w.email);
      const contacts = emails.length ? await trx.selectFrom('contact').selectAll().where('email', 'in', emails).execute() : [];
      for (const { email } of watchers) {
        if (email !== reporter?.email) people.push({ email, contact: contacts.find((c) => c.email === email) });
      }
    }
    return people.filter((p) => !p.contact || ((p.contact.state === 'active' || p.contact.state === 'pending') && !p.contact.bounced_at));
  }

  /** Queues one notice nobody asked for on the ticket's thread. */
  function queueOnThread(
    trx: Trx,
    ticket: Ticket,
    thread: { inReplyTo: string | null; references: string[] },
    m: { event: string; recipient: string; subject: string; rendered: RenderedMail },
    now: Date,
  ) {
    return enqueueNotification(
      trx,
      {
        ticketId: ticket.id,
        ticketNumber: ticket.number,
        event: m.event,
        recipient: m.recipient,
        subject: m.subject,
        html: m.rendered.html,
        text: m.rendered.text,
        inReplyTo: thread.inReplyTo,
        references: thread.references,
        replyTo: opts.supportAddress,
        autoSubmitted: 'auto-generated',
      },
      { domain: opts.domain, now },
    );
  }

  return {
    /**
     * The acknowledgement of a new ticket, answering the client's own message. Returns false when
     * the per-sender bound withheld it.
     */
    async ticketReceived(
      trx: Trx,
      args: { ticket: Ticket; reporter: Contact; answering: string | null; unknownTag: number | null; fallbacks?: TemplateVars['ticket-received']['fallbacks'] },
      now: Date,
    ): Promise<boolean> {
      const { ticket, reporter } = args;
      if ((await recentAcknowledgements(trx, reporter.email, now)) >= opts.maxAcknowledgementsPerHour) return false;
      const rendered = opts.renderer.render('ticket-received', languageOf(reporter, opts.defaultLanguage), {
        ...ticketVars(ticket, reporter),
        unknownTag: args.unknownTag,
        fallbacks: args.fallbacks ?? [],
      });
      await enqueueNotification(
        trx,
        {
          ticketId: ticket.id,
          ticketNumber: ticket.number,
          event: 'ticket-received',
          recipient: reporter.email,
          subject: subjectOf(ticket),
          html: rendered.html,
          text: rendered.text,
          inReplyTo: args.answering,
          references: args.answering ? [args.answering] : [],
          replyTo: opts.supportAddress,
          autoSubmitted: 'auto-replied',
        },
        { domain: opts.domain, now },
      );
      return true;
    },

    /** One notification of a client-visible change to each person of the ticket's audience. */
    async ticketEvent<T extends TicketTemplate>(
      trx: Trx,
      ticket: Ticket,
      template: T,
      vars: (contact: Contact | undefined) => Omit<TemplateVars[T], keyof TicketVars>,
      now: Date,
    ): Promise<number> {
      const thread = await threadOf(trx, ticket);
      const people = await audience(trx, ticket);
      for (const person of people) {
        const rendered = opts.renderer.render(template, languageOf(person.contact, opts.defaultLanguage), {
          ...ticketVars(ticket, person.contact),
          ...vars(person.contact),
        } as TemplateVars[T]);
        await queueOnThread(trx, ticket, thread, { event: template, recipient: person.email, subject: subjectOf(ticket), rendered }, now);
      }
      return people.length;
    },

    /** A mail to one contact that is about no ticket yet (account pending or refused, which project). */
    async toContact<T extends 'account-pending' | 'account-refused' | 'project-question'>(
      trx: Trx,
      contact: Contact,
      template: T,
      vars: TemplateVars[T],
      answering: string | null,
      now: Date,
    ): Promise<string> {
      const rendered = opts.renderer.render(template, languageOf(contact, opts.defaultLanguage), vars);
      const row = await enqueueNotification(
        trx,
        {
          ticketId: null,
          ticketNumber: null,
          event: template,
          recipient: contact.email,
          subject: rendered.subject,
          html: rendered.html,
          text: rendered.text,
          inReplyTo: answering,
          references: answering ? [answering] : [],
          replyTo: opts.supportAddress,
          autoSubmitted: 'auto-replied',
        },
        { domain: opts.domain, now },
      );
      return row.message_id;
    },

    /** Staff alerts: the assignee, else the staff of the ticket's project, else every active staff member. */
    async staffAlert(
      trx: Trx,
      ticket: Ticket,
      args: { newTicket: boolean; author: Contact; message: string; organisation?: string },
      now: Date,
    ): Promise<number> {
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
      if (!staff.length) return 0;
      const thread = await threadOf(trx, ticket);
      for (const member of staff) {
        const rendered = opts.renderer.render('staff-alert', opts.defaultLanguage, {
          ...ticketVars(ticket, member),
          newTicket: args.newTicket,
          authorName: args.author.name || args.author.email,
          authorEmail: args.author.email,
          organisation: args.organisation,
          message: args.message,
        });
        const subject = `${formatTag(ticket.number, opts.tagPrefix)} ${rendered.subject}`;
        await queueOnThread(trx, ticket, thread, { event: 'staff-alert', recipient: member.email, subject, rendered }, now);
      }
      return staff.length;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

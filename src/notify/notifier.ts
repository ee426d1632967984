// Turns a ticket change into the notification rows it causes: picks the recipient and language,
// renders the template, threads the mail on the ticket and queues it in the caller's transaction.
import type { Transaction } from 'kysely';
import type { Contact, Database, Ticket } from '../db/schema.ts';
import { formatTag } from '../mail/route.ts';
import { enqueueNotification } from './outbox.ts';
import type { Priority, Status } from '../tickets/values.ts';
import type { Renderer } from './render.ts';

export interface NotifierOptions {
  renderer: Renderer;
  domain: string;
  supportAddress: string;
  tagPrefix: string;
  defaultLanguage: 'en' | 'fr';
  /** Bounds acknowledgements to one sender per hour, so a mail loop or a flood cannot snowball. */
  maxAcknowledgementsPerHour: number;
}

type Trx = Transaction<Database>;

export function languageOf(contact: Pick<Contact, 'language'>, fallback: 'en' | 'fr'): 'en' | 'fr' {
  return contact.language === 'fr' || contact.language === 'en' ? contact.language : fallback;
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

  return {
    /**
     * The acknowledgement of a new ticket, answering the client's own message. Returns false when
     * the per-sender bound withheld it.
     */
    async ticketReceived(
      trx: Trx,
      args: { ticket: Ticket; reporter: Contact; answering: string; unknownTag: number | null },
      now: Date,
    ): Promise<boolean> {
      const { ticket, reporter } = args;
      if ((await recentAcknowledgements(trx, reporter.email, now)) >= opts.maxAcknowledgementsPerHour) return false;
      const lang = languageOf(reporter, opts.defaultLanguage);
      const rendered = opts.renderer.render('ticket-received', lang, {
        number: ticket.number,
        summary: ticket.summary,
        status: ticket.status as Status,
        priority: ticket.priority as Priority,
        contactName: reporter.name || undefined,
        unknownTag: args.unknownTag,
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
          references: [args.answering],
          replyTo: opts.supportAddress,
          autoSubmitted: 'auto-replied',
        },
        { domain: opts.domain, now },
      );
      return true;
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;

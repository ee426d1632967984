// Stage "apply": everything a message changes happens in ONE transaction (a savepoint of its
// batch's transaction): the contact, the ticket or its entry, attachment metadata, the event, the
// outbox rows and the inbound row's outcome. A crash before the commit leaves the inbound row
// pending, and the replay starts from a clean slate.
import type { InboundMessage, InboundState } from '../db/schema.ts';
import { languageOf, type Notifier } from '../notify/notifier.ts';
import type { ChangeDeps } from '../tickets/change-ticket.ts';
import { mayWrite, recordEvent, type EntryInput, type Trx } from '../tickets/ticket-service.ts';
import { fileNewTicket, findProjectMarker } from './file-new-ticket.ts';
import { fileReply } from './file-reply.ts';
import { identifySender, type UnknownSenders } from './identify.ts';
import { cleanSubject, routeMessage, type RouteLookups } from './route.ts';
import type { Classification } from './classify.ts';
import type { PreparedMail } from './prepare.ts';
import { extractReply } from './reply-text.ts';

export interface ApplySettings {
  supportAddresses: string[];
  tagPrefix: string;
  defaultLanguage: 'en' | 'fr';
  unknownSenders: UnknownSenders;
  replyToClosed: 'new_ticket' | 'reopen';
}

/** A stored message and what the prepare stage made of it. */
export interface ApplyInput extends Omit<PreparedMail, 'kind'> {
  inbound: InboundMessage;
}

export interface Outcome {
  state: InboundState;
  outcome: string;
  ticketNumber: number | null;
  /** True when the transaction queued mail: the outbox worker should run. */
  queuedMail: boolean;
  /** A held message this one released, to run through the pipeline after the commit. */
  replay?: number;
}

function lookups(trx: Trx): RouteLookups {
  return {
    async ticketExists(number) {
      return Boolean(await trx.selectFrom('ticket').select('id').where('number', '=', number).executeTakeFirst());
    },
    async ticketForMessageIds(ids) {
      const rows = await trx
        .selectFrom('message_ref')
        .innerJoin('ticket', 'ticket.id', 'message_ref.ticket_id')
        .select(['message_ref.message_id', 'ticket.number'])
        .where('message_ref.message_id', 'in', ids)
        .execute();
      for (const id of ids) {
        const hit = rows.find((r) => r.message_id === id);
        if (hit) return hit.number;
      }
      return null;
    },
  };
}

/** The whole change a message makes, inside the caller's transaction (or savepoint). */
export async function applyInTransaction(
  trx: Trx,
  deps: { notifier: Notifier; change: ChangeDeps; settings: ApplySettings; now: Date },
  input: ApplyInput,
): Promise<Outcome> {
  const { mail, inbound, classification } = input;
  const { now, settings } = deps;
  // Claims the row: on PostgreSQL a second process handling the same message waits here, then
  // sees it is no longer pending and does nothing.
  const claimed = await trx
    .updateTable('inbound_message')
    .set({ attempts: inbound.attempts + 1 })
    .where('id', '=', inbound.id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    return { state: 'processed', outcome: 'already processed', ticketNumber: null, queuedMail: false };
  }

  const finish = async (o: Omit<Outcome, 'queuedMail'> & { queuedMail?: boolean; ticketId?: number | null; entryId?: number | null; contactId?: number | null }): Promise<Outcome> => {
    await trx
      .updateTable('inbound_message')
      .set({
        state: o.state,
        outcome: o.outcome,
        ticket_id: o.ticketId ?? null,
        entry_id: o.entryId ?? null,
        contact_id: o.contactId ?? null,
        processed_at: now.toISOString(),
      })
      .where('id', '=', inbound.id)
      .execute();
    return { state: o.state, outcome: o.outcome, ticketNumber: o.ticketNumber, queuedMail: o.queuedMail ?? false, replay: o.replay };
  };

  if (!mail.from) return finish({ state: 'quarantined', outcome: 'no sender address', ticketNumber: null });
  if (settings.supportAddresses.includes(mail.from.address)) {
    return finish({ state: 'ignored', outcome: 'sent from the support address itself (loop guard)', ticketNumber: null });
  }

  const route = await routeMessage(mail, lookups(trx), settings.tagPrefix);

  if (classification.kind !== 'human') {
    // Automated mail never opens a ticket nor gets an answer; on a ticket it is logged as an event.
    const ticket = route.kind === 'reply'
      ? await trx.selectFrom('ticket').selectAll().where('number', '=', route.number).executeTakeFirst()
      : undefined;
    if (ticket) {
      await recordEvent(trx, { ticketId: ticket.id, actor: `email:${mail.from.address}`, kind: classification.kind, to: classification.reason }, now);
    }
    // A delivery report that says "delivered" (status 2.x.x) is no bounce.
    if (classification.kind === 'bounce' && classification.reason !== 'delivered') await markBounced(trx, input.returnedIds, classification, now);
    return finish({
      state: 'ignored',
      outcome: `${classification.kind.replace('_', '-')}: ${classification.reason}`,
      ticketNumber: ticket?.number ?? null,
      ticketId: ticket?.id ?? null,
    });
  }

  const sender = await identifySender(trx, mail.from, now, settings, mail.headers);
  const entry: EntryInput = {
    kind: 'email',
    authorContactId: sender.contact.id,
    authorStaffId: sender.staffId,
    authorEmail: mail.from.address,
    text: '',
    fullText: input.bodyText,
    html: input.html,
    messageId: mail.messageId,
    inboundMessageId: inbound.id,
    attachments: input.attachments,
  };

  const summary = (cleanSubject(mail.subject, settings.tagPrefix) || '(no subject)').slice(0, 250);
  const contactId = sender.contact.id;
  let linkedTo: number | null = null;

  if (route.kind === 'reply') {
    const ticket = await trx.selectFrom('ticket').selectAll().where('number', '=', route.number).executeTakeFirstOrThrow();
    if (sender.contact.state === 'blocked' || !(await mayWrite(trx, ticket, sender))) {
      return finish({
        state: 'quarantined',
        outcome: `sender ${mail.from.address} may not write on ticket #${ticket.number}`,
        ticketNumber: ticket.number,
        ticketId: ticket.id,
        contactId,
      });
    }
    const filed = await fileReply(
      trx,
      { change: deps.change, replyToClosed: settings.replyToClosed },
      { ticket, entry, replyText: input.replyText ?? extractReply(input.bodyText), staffId: sender.staffId, contact: sender.contact },
      now,
    );
    if (filed.kind === 'comment') {
      return finish({
        state: 'processed',
        outcome: filed.action ? `comment (${filed.action})` : 'comment',
        ticketNumber: filed.ticket.number,
        ticketId: filed.ticket.id,
        entryId: filed.entryId,
        contactId,
        queuedMail: filed.queuedMail,
      });
    }
    // A reply to a closed ticket starts a new one that points back at it.
    linkedTo = filed.closed.number;
  }

  if (sender.staffId === null && sender.contact.state !== 'active') {
    // Held, never dropped: validating the contact replays this message into a ticket.
    const { contact } = sender;
    let queuedMail = false;
    if (contact.state === 'pending' && !contact.notified_at) {
      await deps.notifier.toContact(trx, contact, 'account-pending', { email: contact.email, originalSubject: summary, contactName: contact.name || undefined }, mail.messageId, now);
      await trx.updateTable('contact').set({ notified_at: now.toISOString() }).where('id', '=', contact.id).execute();
      queuedMail = true;
    }
    const why = contact.state === 'pending' ? 'awaiting account validation' : `contact ${contact.state}`;
    return finish({ state: 'held', outcome: why, ticketNumber: null, contactId, queuedMail });
  }

  // The answer to "which project?": release the held message onto the chosen project.
  const choice = route.kind === 'new' ? findProjectMarker(input.bodyText) : null;
  if (choice) {
    const project = await trx.selectFrom('project').select('id').where('key', '=', choice.key).executeTakeFirst();
    const released = project
      ? await trx
          .updateTable('inbound_message')
          .set({ state: 'pending', outcome: null, project_id: project.id })
          .where('id', '=', choice.inboundId)
          .where('contact_id', '=', contactId)
          .where('state', '=', 'held')
          .where('outcome', '=', 'awaiting project choice')
          .executeTakeFirst()
      : undefined;
    if (released && Number(released.numUpdatedRows) === 1) {
      return finish({ state: 'processed', outcome: `project choice ${choice.key} for message ${choice.inboundId}`, ticketNumber: null, contactId, replay: choice.inboundId });
    }
  }

  const watchers = [...mail.to, ...mail.cc]
    .map((a) => a.address)
    .filter((a) => !settings.supportAddresses.includes(a) && !isPlusOf(a, settings.supportAddresses) && a !== mail.from!.address);
  const opened = await fileNewTicket(
    trx,
    { notifier: deps.notifier, supportAddresses: settings.supportAddresses },
    {
      mail, sender, summary, watchers, linkedTo,
      bodyText: linkedTo !== null ? (input.replyText ?? extractReply(input.bodyText)) : input.bodyText.trim(),
      entry,
      language: languageOf(sender.contact, settings.defaultLanguage),
      unknownTag: route.kind === 'new' ? route.unknownTag : null,
      chosenProjectId: inbound.project_id,
      inboundId: inbound.id,
    },
    now,
  );
  if (opened.kind === 'asked') {
    return finish({ state: 'held', outcome: 'awaiting project choice', ticketNumber: null, contactId, queuedMail: true });
  }
  return finish({
    state: 'processed',
    outcome: linkedTo !== null ? `ticket (follows closed #${linkedTo})` : 'ticket',
    ticketNumber: opened.ticketNumber,
    ticketId: opened.ticketId,
    entryId: opened.entryId,
    contactId,
    queuedMail: opened.queuedMail,
  });
}

/** `support+shop@…` is ours too: never a watcher. */
function isPlusOf(address: string, supportAddresses: string[]): boolean {
  return supportAddresses.some((s) => {
    const [local, domain] = s.split('@');
    return address.startsWith(`${local}+`) && address.endsWith(`@${domain}`);
  });
}

/**
 * A bounce marks the notification it returns (see returnedMessageIds) and the contact it was for: no
 * more mail goes there until the contact writes again. Only a bounce of our own mail counts, so a
 * forged report cannot silence a contact; a delay report (status 4.x.x) marks nothing, since the
 * sending server keeps trying.
 */
async function markBounced(trx: Trx, ids: string[], bounce: Extract<Classification, { kind: 'bounce' }>, now: Date): Promise<void> {
  if (!ids.length || bounce.status?.startsWith('4.')) return;
  const reason = bounce.status ? `${bounce.reason} (${bounce.status})` : bounce.reason;
  const returned = await trx
    .updateTable('outbox')
    .set({ state: 'bounced', last_error: reason })
    .where('message_id', 'in', ids)
    .where('state', 'in', ['sent', 'pending'])
    .returning('recipient')
    .execute();
  const recipients = [...new Set(returned.map((r) => r.recipient))];
  if (!recipients.length) return;
  await trx
    .updateTable('contact')
    .set({ bounced_at: now.toISOString(), bounce_reason: reason })
    .where('email', 'in', recipients)
    .execute();
}

// Disposition "reply": a client's mail joins the thread of the ticket it answers (only its new text
// becomes the comment), and the workflow acts on it (tickets/client-mail.ts) when it is trusted.
import { extractReply } from '../reply-text.ts';
import { replyByMail } from '../../tickets/client-mail.ts';
import { ticketByNumber } from '../../tickets/store.ts';
import { admit, entryOf, type Handler } from './context.ts';

export const reply: Handler<{ ticketNumber: number; reopen: boolean; trusted: boolean }> = async (h, d) => {
  const contact = await admit(h);
  const ticket = await ticketByNumber(h.trx, d.ticketNumber);
  if (!ticket) throw new Error(`ticket #${d.ticketNumber} vanished while its reply was applied`);
  const text = h.message.replyText ?? extractReply(h.message.bodyText);
  const untrusted = d.trusted ? undefined : 'no reply token, DMARC or DKIM pass: filed as a comment, the workflow did not act on it';
  const filed = await replyByMail(h.trx, h.notices, { ticket, entry: entryOf(h, contact, text), author: contact, reopen: d.reopen, untrusted }, h.now);
  return {
    state: 'processed',
    outcome: filed.action ? `comment (${filed.action})` : 'comment',
    ticketNumber: filed.ticket.number,
    ticketId: filed.ticket.id,
    entryId: filed.entry.id,
    contactId: contact.id,
  };
};

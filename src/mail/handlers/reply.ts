// Disposition "reply": a person's mail joins the thread of the ticket it answers (only its new text
// becomes the comment), and for a client the workflow acts on it (tickets/client-mail.ts).
import { extractReply } from '../reply-text.ts';
import { replyByMail } from '../../tickets/client-mail.ts';
import { ticketByNumber } from '../../tickets/store.ts';
import { admit, entryOf, type Handler } from './context.ts';

export const reply: Handler<{ ticketNumber: number; as: 'client' | 'staff'; reopen: boolean }> = async (h, d) => {
  const contact = await admit(h);
  const ticket = await ticketByNumber(h.trx, d.ticketNumber);
  if (!ticket) throw new Error(`ticket #${d.ticketNumber} vanished while its reply was applied`);
  const text = h.message.replyText ?? extractReply(h.message.bodyText);
  const author = d.as === 'staff' ? { role: 'staff' as const, staffId: h.sender!.staffId!, contact } : { role: 'client' as const, contact };
  const filed = await replyByMail(h.trx, h.notices, { ticket, entry: entryOf(h, contact, text), author, reopen: d.reopen }, h.now);
  return {
    state: 'processed',
    outcome: filed.action ? `comment (${filed.action})` : 'comment',
    ticketNumber: filed.ticket.number,
    ticketId: filed.ticket.id,
    entryId: filed.entry.id,
    contactId: contact.id,
  };
};

// Disposition "repeat": the sender sent the same request again (same subject and text within a
// day), the way a resending mail program or a responder does. It joins the ticket the first copy
// opened as a comment, kept whole, and nothing answers it: a copy is no new request.
import { addEntry, recordEvent, ticketByNumber } from '../../tickets/store.ts';
import { admit, entryOf, type Handler } from './context.ts';

export const repeat: Handler<{ ticketNumber: number }> = async (h, d) => {
  const contact = await admit(h);
  const ticket = await ticketByNumber(h.trx, d.ticketNumber);
  if (!ticket) throw new Error(`ticket #${d.ticketNumber} vanished while a copy of its request was applied`);
  const entry = await addEntry(h.trx, ticket.id, entryOf(h, contact, h.message.firstText), h.now);
  await recordEvent(h.trx, { ticketId: ticket.id, actor: `contact:${contact.id}`, kind: 'commented', to: String(entry.id) }, h.now);
  return {
    state: 'processed',
    outcome: `copy of the request of ticket #${ticket.number} (same subject and text within a day): a comment, not acknowledged`,
    ticketNumber: ticket.number,
    ticketId: ticket.id,
    entryId: entry.id,
    contactId: contact.id,
  };
};

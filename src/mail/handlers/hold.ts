// Disposition "hold": mail from a contact who may not open tickets yet (pending validation, refused,
// blocked) waits, never dropped; validating the contact replays it. A pending contact is told once.
import { tellPending } from '../../accounts/contacts.ts';
import { admit, type Handler } from './context.ts';

export const hold: Handler<{ reason: string; tell: boolean }> = async (h, d) => {
  const contact = await admit(h);
  if (d.tell) await tellPending(h.trx, h.notices, contact, { originalSubject: h.summary, answering: h.message.mail.messageId }, h.now);
  return { state: 'held', outcome: d.reason, ticketNumber: null, contactId: contact.id };
};

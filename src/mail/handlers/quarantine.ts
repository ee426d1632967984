// Disposition "quarantine": mail kept out of every ticket, with the reason, for staff to look at. A
// stranger's mail on a ticket still makes the stranger's contact row, so staff see who it was.
import { ticketByNumber } from '../../tickets/store.ts';
import { admit, type Handler } from './context.ts';

export const quarantine: Handler<{ reason: string; ticketNumber: number | null }> = async (h, d) => {
  if (d.ticketNumber === null || !h.sender) return { state: 'quarantined', outcome: d.reason, ticketNumber: null };
  const contact = await admit(h);
  const ticket = await ticketByNumber(h.trx, d.ticketNumber);
  return { state: 'quarantined', outcome: d.reason, ticketNumber: d.ticketNumber, ticketId: ticket?.id ?? null, contactId: contact.id };
};

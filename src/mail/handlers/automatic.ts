// Disposition "automatic": an auto-reply, a bounce or list mail never opens a ticket nor gets an
// answer. On a ticket it is logged as an event. A bounce of Guichet's own mail marks the
// notification it returns and silences the address until its owner writes again; a delay report
// (status 4.x.x) and a "delivered" report mark nothing.
import { markBouncing } from '../../accounts/contacts.ts';
import { logAutomaticMail } from '../../tickets/client-mail.ts';
import { ticketByNumber } from '../../tickets/store.ts';
import type { Handler, Handling } from './context.ts';

async function markBounced(h: Handling): Promise<void> {
  const c = h.message.classification;
  if (c.kind !== 'bounce' || c.reason === 'delivered' || c.status?.startsWith('4.') || !h.message.returnedIds.length) return;
  const reason = c.status ? `${c.reason} (${c.status})` : c.reason;
  const recipients = await h.notices.returned(h.trx, h.message.returnedIds, reason);
  await markBouncing(h.trx, recipients, reason, h.now);
}

export const automatic: Handler<{ ticketNumber: number | null }> = async (h, d) => {
  const c = h.message.classification;
  if (c.kind === 'human') throw new Error('automatic: a human message');
  const ticket = d.ticketNumber === null ? undefined : await ticketByNumber(h.trx, d.ticketNumber);
  if (ticket) await logAutomaticMail(h.trx, ticket, { from: h.message.mail.from!.address, kind: c.kind, reason: c.reason }, h.now);
  await markBounced(h);
  return { state: 'ignored', outcome: `${c.kind.replace('_', '-')}: ${c.reason}`, ticketNumber: ticket?.number ?? null, ticketId: ticket?.id ?? null };
};

// Disposition "project answer": the sender clicked one of the "which project?" links; the message
// held for that answer is released onto the project and replayed after this one commits.
import { releaseOntoProject } from '../inbound.ts';
import { admit, type Handler } from './context.ts';
import { newTicket } from './new-ticket.ts';

export const projectAnswer: Handler<{ key: string; inboundId: number; trusted: boolean }> = async (h, d) => {
  const contact = await admit(h);
  const project = await h.trx.selectFrom('project').select('id').where('key', '=', d.key).executeTakeFirst();
  if (project && (await releaseOntoProject(h.trx, d.inboundId, contact.id, project.id))) {
    return { state: 'processed', outcome: `project choice ${d.key} for message ${d.inboundId}`, ticketNumber: null, contactId: contact.id, replay: d.inboundId };
  }
  // decide() saw the message waiting in this same transaction; should it not be, this mail is a new request.
  return newTicket(h, { linkedTo: null, unknownTag: null, trusted: d.trusted });
};

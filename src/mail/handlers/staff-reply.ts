// Disposition "staff reply": a staff member answered from their mail program. Its new text is a
// public reply mailed to the client (or, under `#note`, an internal note), and the command lines at
// its top run through the staff verbs (tickets/staff-verbs.ts), the same rules as the API. All of it
// or nothing: a refused command rolls the whole mail back, and the staff member is told why by mail.
// The client sees the reply's text under the staff member's name, never their address or commands.
import { sql } from 'kysely';
import { changeFields, replyToTicket, type StaffActor, type VerbResult } from '../../tickets/staff-verbs.ts';
import { ticketByNumber } from '../../tickets/store.ts';
import { extractReply } from '../reply-text.ts';
import { readStaffCommands } from '../staff-commands.ts';
import type { Finished } from '../inbound.ts';
import type { Handler, Handling } from './context.ts';

async function refuse(h: Handling, ticketNumber: number, staff: { email: string; name: string }, reason: string): Promise<Finished> {
  const ticket = await ticketByNumber(h.trx, ticketNumber);
  if (ticket) await h.notices.staffMailRefused(h.trx, { ticket, staff, reason, answering: h.message.mail.messageId }, h.now);
  return { state: 'processed', outcome: `staff mail refused: ${reason}`, ticketNumber, ticketId: ticket?.id ?? null };
}

export const staffReply: Handler<{ ticketNumber: number }> = async (h, d) => {
  const { trx, message, now } = h;
  const staff = await trx.selectFrom('staff').select(['id', 'email', 'name']).where('id', '=', h.sender!.staffId!).executeTakeFirstOrThrow();
  const actor: StaffActor = { role: 'staff', id: `staff:${staff.id}`, staffId: staff.id, name: staff.name };
  const commands = readStaffCommands(message.replyText ?? extractReply(message.bodyText), staff.email);
  if (commands.errors.length) return refuse(h, d.ticketNumber, staff, commands.errors.join('; '));
  const changing = Object.keys(commands.changes).length > 0;
  if (!commands.text && !changing) return refuse(h, d.ticketNumber, staff, 'the mail has no text above the quoted message, and no command');

  const verbs = { notices: h.notices, language: h.settings.defaultLanguage };
  // The verbs may write part of a change before refusing: a savepoint takes the whole mail back.
  await sql`savepoint staff_mail`.execute(trx);
  let entryId: number | null = null;
  let result: VerbResult<unknown> = { ok: true };
  if (commands.text) {
    const { mail } = message;
    const replied = await replyToTicket(trx, verbs, actor, {
      number: d.ticketNumber, message: commands.text, internal: commands.internal,
      mail: { fullText: message.bodyText, html: message.html, messageId: mail.messageId, inboundMessageId: message.inbound.id, attachments: message.attachments },
    }, now);
    if (replied.ok) entryId = replied.entry.id;
    result = replied;
  }
  if (result.ok && changing) result = await changeFields(trx, verbs, actor, d.ticketNumber, commands.changes, now);
  if (!result.ok) {
    await sql`rollback to savepoint staff_mail`.execute(trx);
    await sql`release savepoint staff_mail`.execute(trx);
    return refuse(h, d.ticketNumber, staff, result.reason);
  }
  await sql`release savepoint staff_mail`.execute(trx);
  const ticket = await ticketByNumber(trx, d.ticketNumber);
  const what = [commands.text ? (commands.internal ? 'note' : 'public reply') : null, changing ? `commands: ${Object.keys(commands.changes).join(', ')}` : null];
  return {
    state: 'processed',
    outcome: `staff mail (${what.filter(Boolean).join('; ')})`,
    ticketNumber: d.ticketNumber,
    ticketId: ticket?.id ?? null,
    entryId,
  };
};

// Stage "apply": everything a message changes happens in ONE transaction (a savepoint of its
// batch's transaction): claim the row, find out who wrote and where it goes, decide (decide.ts),
// carry the disposition out with its handler, record the outcome. A crash before the commit leaves
// the row pending, and the replay starts from a clean slate. Reads only until decide() has spoken.
import { projectsFor } from '../accounts/directory.ts';
import { lookUpSender, type Sender } from '../accounts/identify.ts';
import type { Ticket, Trx } from '../db/schema.ts';
import { findProjectMarker } from '../protocol/markers.ts';
import { carriesOurLoopHeader } from '../protocol/loop-header.ts';
import { isOurMessageId } from '../protocol/message-id.ts';
import { readReplyToken, type ReplyToken } from '../protocol/reply-token.ts';
import { cleanSubject } from '../protocol/subject.ts';
import { followDuplicates, mayWrite, ticketByNumber } from '../tickets/store.ts';
import { verdictOf } from './authenticate.ts';
import { decide, type Disposition, type Facts, type RouteFacts } from './decide.ts';
import { automatic } from './handlers/automatic.ts';
import type { ApplyInput, Handler, Handling, IntakeNotices, IntakeSettings } from './handlers/context.ts';
import { hold } from './handlers/hold.ts';
import { ignore } from './handlers/ignore.ts';
import { newTicket } from './handlers/new-ticket.ts';
import { projectAnswer } from './handlers/project-answer.ts';
import { quarantine } from './handlers/quarantine.ts';
import { repeat } from './handlers/repeat.ts';
import { reply } from './handlers/reply.ts';
import { staffReply } from './handlers/staff-reply.ts';
import { claim, finish, isAwaitingProject, type Finished } from './inbound.ts';
import { routeMessage, type RouteLookups } from './route.ts';

export type { ApplyInput, IntakeNotices, IntakeSettings };

/** One handler per disposition; the compiler checks none is missing. */
const HANDLERS: { [K in Disposition['kind']]: Handler<Extract<Disposition, { kind: K }>> } = {
  quarantine, ignore, automatic, hold, reply, repeat, 'staff-reply': staffReply, 'project-answer': projectAnswer, 'new-ticket': newTicket,
};

/** The route's lookups; a ticket found by its tag is kept, so deciding does not read it again. */
function lookups(trx: Trx, found: Map<number, Ticket>): RouteLookups {
  return {
    async ticketExists(number) {
      const ticket = await ticketByNumber(trx, number);
      if (ticket) found.set(number, ticket);
      return ticket !== undefined;
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

/** The route with what deciding needs of its tickets: where a reply lands, and whether the sender may write there. */
async function routeFacts(trx: Trx, input: ApplyInput, sender: Sender | null, token: ReplyToken | null, prefix: string): Promise<RouteFacts> {
  const found = new Map<number, Ticket>();
  const route = await routeMessage({ ...input.mail, tokenTicket: token?.valid ? token.ticketNumber : null }, lookups(trx, found), prefix);
  if (route.kind === 'new') return route;
  const named = found.get(route.number) ?? (await ticketByNumber(trx, route.number))!;
  const target = await followDuplicates(trx, named);
  const writer = sender && { ...sender, contactId: sender.contact?.id ?? null };
  const may = writer !== null && (await mayWrite(trx, named, writer));
  const mayTarget = target.id === named.id ? may : writer !== null && (await mayWrite(trx, target, writer));
  return { kind: 'reply', number: route.number, target: { number: target.number, status: target.status }, mayWrite: may, mayWriteTarget: mayTarget };
}

const COPY_WINDOW_MS = 30 * 86_400_000;

/** An earlier message with this Message-ID from this sender, applied within 30 days: this one is its copy. */
async function copyOf(trx: Trx, input: ApplyInput, sender: Sender | null, now: Date): Promise<number | null> {
  const messageId = input.inbound.message_id;
  if (!messageId || !sender?.contact) return null;
  const earlier = await trx
    .selectFrom('inbound_message')
    .select('id')
    .where('message_id', '=', messageId)
    .where('contact_id', '=', sender.contact.id)
    .where('id', '<', input.inbound.id)
    .where('state', 'in', ['processed', 'held', 'quarantined'])
    .where('received_at', '>=', new Date(now.getTime() - COPY_WINDOW_MS).toISOString())
    .orderBy('id')
    .executeTakeFirst();
  return earlier?.id ?? null;
}

async function projectAnswerOf(trx: Trx, input: ApplyInput, sender: Sender | null): Promise<Facts['projectAnswer']> {
  const marker = findProjectMarker(input.bodyText);
  if (!marker) return null;
  const contact = sender?.contact;
  const releasable = contact != null && (await isAwaitingProject(trx, marker.inboundId, contact.id));
  const allowed = releasable && (await projectsFor(trx, contact!.organisation_id)).some((p) => p.key === marker.key);
  return { ...marker, releasable, allowed };
}

/** Where a reply token may be: the recipients, and the addresses the delivering servers recorded. */
function recipientsOf(input: ApplyInput): string[] {
  const { mail } = input;
  const traced = ['delivered-to', 'x-original-to', 'envelope-to'].flatMap((h) => (mail.headers[h] ?? '').split(/[\s,<>]+/));
  return [...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address), ...traced.filter((a) => a.includes('@'))];
}

/** Evidence that the From address is genuine, strongest first. */
function authenticationOf(input: ApplyInput, token: ReplyToken | null, settings: IntakeSettings): Pick<Facts, 'authenticated' | 'dmarcFail'> {
  const from = input.mail.from?.address;
  if (!from) return { authenticated: null, dmarcFail: null };
  const verdict = verdictOf(from, input.mail.trace, settings.trustedAuthservIds);
  const dmarcFail = verdict.result === 'fail' ? verdict.how : null;
  if (token?.valid) return { authenticated: `reply token for ticket #${token.ticketNumber}`, dmarcFail };
  if (verdict.result === 'pass') return { authenticated: verdict.how, dmarcFail };
  return { authenticated: input.dkim?.pass ?? null, dmarcFail };
}

const DAY_MS = 86_400_000;

/**
 * What the sender opened in the last 24 hours, read only for a mail that may open a ticket: how
 * many tickets, and the one (if any) whose first mail had this subject and this text.
 */
async function openedToday(trx: Trx, input: ApplyInput, sender: Sender | null, route: RouteFacts, summary: string, now: Date): Promise<Facts['openedToday']> {
  const opens = route.kind === 'new' || route.target.status === 'closed';
  if (!opens || !sender?.contact) return { count: 0, sameAs: null };
  const tickets = await trx
    .selectFrom('ticket')
    .select(['id', 'number', 'summary'])
    .where('reporter_id', '=', sender.contact.id)
    .where('created_at', '>=', new Date(now.getTime() - DAY_MS).toISOString())
    .orderBy('id')
    .execute();
  const sameSummary = tickets.filter((t) => t.summary === summary);
  for (const t of sameSummary) {
    const first = await trx.selectFrom('entry').select(['text', 'full_text']).where('ticket_id', '=', t.id).orderBy('id').executeTakeFirst();
    if (first && (first.full_text ?? first.text).trim() === input.bodyText.trim()) return { count: tickets.length, sameAs: t.number };
  }
  return { count: tickets.length, sameAs: null };
}

async function factsOf(
  trx: Trx, input: ApplyInput, sender: Sender | null, token: ReplyToken | null, route: RouteFacts, summary: string, settings: IntakeSettings, now: Date,
): Promise<Facts> {
  return {
    from: input.mail.from?.address ?? null,
    fromCount: input.mail.fromCount,
    ...authenticationOf(input, token, settings),
    classification: input.classification,
    ownMail: isOurMessageId(input.mail.messageId, settings.domain)
      ? 'its Message-ID is ours'
      : carriesOurLoopHeader(input.mail.headers, settings.domain) ? 'it carries our loop header' : null,
    copyOf: await copyOf(trx, input, sender, now),
    projectAnswer: await projectAnswerOf(trx, input, sender),
    openedToday: await openedToday(trx, input, sender, route, summary, now),
    released: input.inbound.released_at !== null,
  };
}

/** The whole change a message makes, inside the caller's transaction (or savepoint). */
export async function applyInTransaction(
  trx: Trx,
  deps: { notices: IntakeNotices; settings: IntakeSettings; now: Date },
  input: ApplyInput,
): Promise<Finished> {
  if (!(await claim(trx, input.inbound))) return { state: 'processed', outcome: 'already processed', ticketNumber: null };
  const { settings, now } = deps;
  const from = input.mail.from;
  const sender = from ? await lookUpSender(trx, from, settings) : null;
  const token = from ? readReplyToken(recipientsOf(input), from.address, settings.supportAddresses, settings.replySecret) : null;
  const route = await routeFacts(trx, input, sender, token, settings.tagPrefix);
  const summary = (cleanSubject(input.mail.subject, settings.tagPrefix) || '(no subject)').slice(0, 250);
  const disposition = decide(await factsOf(trx, input, sender, token, route, summary, settings, now), sender, route, settings);

  const handling: Handling = { trx, notices: deps.notices, settings, now, message: input, sender, summary };
  const handler = HANDLERS[disposition.kind] as Handler<Disposition>;
  const finished = await handler(handling, disposition);
  await finish(trx, input.inbound.id, finished, now);
  return finished;
}

// Disposition "new ticket": reads the fields the client set by pseudo-headers, finds the project
// (the address it was sent to, a plus address, a `Project:` line, the organisation's only project,
// or the one the client chose when asked), then opens the ticket, acknowledged with any value that
// fell back to its default. With several projects and nothing saying which, the client is asked
// and the message waits, held, for the answer (project-answer.ts).
import { projectsFor } from '../../accounts/directory.ts';
import { admitWatchers } from '../../accounts/watchers.ts';
import type { Contact, Trx } from '../../db/schema.ts';
import { isOurAddress, plusKey } from '../../protocol/addresses.ts';
import { isReplyTokenKey } from '../../protocol/reply-token.ts';
import { openFromMail } from '../../tickets/client-mail.ts';
import { recordEvent } from '../../tickets/store.ts';
import type { Fallback } from '../../tickets/notices.ts';
import { awaitingProject } from '../inbound.ts';
import { extractPseudoHeaders } from '../pseudo-headers.ts';
import { extractReply } from '../reply-text.ts';
import { admit, entryOf, type Handler, type Handling } from './context.ts';

interface ProjectFound {
  id: number | null;
  choices: Array<{ key: string; name: string }>;
}

/**
 * Only among the projects the sender's organisation may use (all of them for a contact of no
 * organisation): an address, a plus address or a `Project:` line naming another is not obeyed.
 */
async function findProject(h: Handling, contact: Contact, named: string | undefined): Promise<ProjectFound> {
  const { trx, message } = h;
  if (message.inbound.project_id) return { id: message.inbound.project_id, choices: [] };
  const allowed = await projectsFor(trx, contact.organisation_id);
  const recipients = [...message.mail.to, ...message.mail.cc].map((a) => a.address);
  const byAddress = await trx.selectFrom('project_address').select('project_id').where('address', 'in', recipients.length ? recipients : ['']).execute();
  const addressed = allowed.find((p) => byAddress.some((b) => b.project_id === p.id));
  if (addressed) return { id: addressed.id, choices: [] };
  // A reply address (support+t12-…@) that proved nothing names no project.
  const plus = plusKey(recipients, h.settings.supportAddresses);
  const key = ((plus && !isReplyTokenKey(plus) ? plus : null) ?? named)?.toLowerCase();
  const keyed = key ? allowed.find((p) => p.key.toLowerCase() === key || p.name.toLowerCase() === key) : undefined;
  if (keyed) return { id: keyed.id, choices: [] };
  if (allowed.length === 1) return { id: allowed[0]!.id, choices: [] };
  return { id: null, choices: allowed };
}

/** The people the mail is also addressed to: not its sender, not Guichet's own addresses. */
async function othersNamed(h: Handling): Promise<string[]> {
  const { mail } = h.message;
  const named = [...mail.to, ...mail.cc].map((a) => a.address).filter((a) => a !== mail.from?.address && !isOurAddress(a, h.settings.supportAddresses));
  if (!named.length) return [];
  // Project addresses (and their plus variants) are Guichet's too; a short table, read whole.
  const projects = (await h.trx.selectFrom('project_address').select('address').execute()).map((p) => p.address);
  return named.filter((a) => !isOurAddress(a, projects));
}

async function productsOf(trx: Trx, projectId: number | null, named: string[], fallbacks: Fallback[]): Promise<number[]> {
  if (!named.length) return [];
  const rows = projectId === null ? [] : await trx.selectFrom('product').select(['id', 'name']).where('project_id', '=', projectId).execute();
  const wanted = named.map((p) => p.toLowerCase());
  for (const given of named) {
    if (!rows.some((r) => r.name.toLowerCase() === given.toLowerCase())) fallbacks.push({ field: 'products', given, used: '—' });
  }
  return rows.filter((r) => wanted.includes(r.name.toLowerCase())).map((r) => r.id);
}

const DEFAULT_USED = { type: 'assistance', priority: 'minor', visibility: 'public', project: '—', products: '—' } as const;

export const newTicket: Handler<{ linkedTo: number | null; unknownTag: number | null; trusted: boolean }> = async (h, d) => {
  const contact = await admit(h);
  const { message, trx, now } = h;
  const mail = message.mail;
  // A follow-up of a closed ticket keeps only the new text; a first mail all of it but its signature
  // (the entry's full text keeps everything).
  const bodyText = d.linkedTo !== null ? (message.replyText ?? extractReply(message.bodyText)) : message.firstText;
  const pseudo = extractPseudoHeaders(bodyText, { allowMaintenance: h.sender!.staffId !== null });
  const fallbacks: Fallback[] = pseudo.unknown.map((u) => ({ field: u.field, given: u.given, used: DEFAULT_USED[u.field] }));

  const project = await findProject(h, contact, pseudo.fields.project);
  if (project.id === null && project.choices.length > 1) {
    await h.notices.projectQuestion(trx, contact, { summary: h.summary, choices: project.choices, inboundId: message.inbound.id, answering: mail.messageId }, now);
    return awaitingProject(contact.id);
  }
  if (project.id === null && pseudo.fields.project) fallbacks.push({ field: 'project', given: pseudo.fields.project, used: '—' });
  const productIds = await productsOf(trx, project.id, pseudo.fields.products ?? [], fallbacks);

  const watchers = await admitWatchers(trx, await othersNamed(h), contact, h.settings, now);
  const { ticket, entry } = await openFromMail(trx, h.notices, {
    reporter: contact,
    summary: h.summary,
    entry: entryOf(h, contact, pseudo.body),
    watchers,
    fields: { type: pseudo.fields.type, priority: pseudo.fields.priority, visibility: pseudo.fields.visibility, projectId: project.id, productIds, linkedTo: d.linkedTo },
    language: contact.language ?? h.settings.defaultLanguage,
    answering: mail.messageId,
    unknownTag: d.unknownTag,
    fallbacks,
  }, now);
  if (!d.trusted) {
    await recordEvent(trx, { ticketId: ticket.id, actor: `contact:${contact.id}`, kind: 'unverified', field: 'entry', from: String(entry.id), to: 'no DMARC or DKIM pass for the sender' }, now);
  }
  return {
    state: 'processed',
    outcome: d.linkedTo !== null ? `ticket (follows closed #${d.linkedTo})` : 'ticket',
    ticketNumber: ticket.number,
    ticketId: ticket.id,
    entryId: entry.id,
    contactId: contact.id,
  };
};

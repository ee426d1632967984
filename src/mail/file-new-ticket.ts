// Files a message that belongs to no ticket yet: reads the fields the client set by pseudo-headers,
// finds the project (address, then pseudo-header, then the organisation's only project), opens the
// ticket, acknowledges it (naming any value that fell back to its default) and alerts staff.
import type { Contact } from '../db/schema.ts';
import type { Notifier } from '../notify/notifier.ts';
import { mailtoUrl, type Fallback } from '../notify/render.ts';
import { openTicket, type EntryInput, type Trx } from '../tickets/ticket-service.ts';
import { extractPseudoHeaders } from './pseudo-headers.ts';
import type { MailFacts } from './types.ts';

export interface NewTicketArgs {
  mail: MailFacts;
  sender: { contact: Contact; staffId: number | null };
  summary: string;
  bodyText: string;
  entry: EntryInput;
  watchers: string[];
  language: string;
  unknownTag: number | null;
  linkedTo?: number | null;
  /** The project the client chose when asked; wins over everything else. */
  chosenProjectId?: number | null;
  inboundId: number;
}

export type NewTicketFiling =
  | { kind: 'ticket'; ticketId: number; ticketNumber: number; entryId: number; queuedMail: boolean }
  | { kind: 'asked'; projects: string[] };

/** The marker a "which project?" mailto link puts in the answer's body. */
export function projectMarker(key: string, inboundId: number): string {
  return `[project ${key} #${inboundId}]`;
}

export function findProjectMarker(text: string): { key: string; inboundId: number } | null {
  const m = /\[project ([A-Za-z0-9_-]+) #(\d+)\]/.exec(text);
  return m ? { key: m[1]!, inboundId: Number(m[2]) } : null;
}

/** `support+shop@example.com` → `shop`, when the base address is ours. */
export function plusKey(recipients: string[], supportAddresses: string[]): string | null {
  for (const r of recipients) {
    const m = /^([^+@]+)\+([^@]+)@(.+)$/.exec(r);
    if (m && supportAddresses.includes(`${m[1]}@${m[3]}`)) return m[2]!.toLowerCase();
  }
  return null;
}

async function findProject(
  trx: Trx,
  args: NewTicketArgs,
  supportAddresses: string[],
  named: string | undefined,
): Promise<{ id: number | null; unknown: string | null; choices: Array<{ key: string; name: string }> }> {
  if (args.chosenProjectId) return { id: args.chosenProjectId, unknown: null, choices: [] };
  const recipients = [...args.mail.to, ...args.mail.cc].map((a) => a.address);
  const byAddress = await trx.selectFrom('project_address').select('project_id').where('address', 'in', recipients.length ? recipients : ['']).executeTakeFirst();
  if (byAddress) return { id: byAddress.project_id, unknown: null, choices: [] };
  const key = plusKey(recipients, supportAddresses) ?? named;
  if (key) {
    const project = await trx
      .selectFrom('project')
      .select('id')
      .where((eb) => eb.or([eb(eb.fn('lower', ['key']), '=', key.toLowerCase()), eb(eb.fn('lower', ['name']), '=', key.toLowerCase())]))
      .executeTakeFirst();
    if (project) return { id: project.id, unknown: null, choices: [] };
  }
  // The organisation's projects, or every project for a contact of no organisation.
  const orgId = args.sender.contact.organisation_id;
  const candidates = await trx
    .selectFrom('project')
    .select(['project.id', 'project.key', 'project.name'])
    .$if(orgId !== null, (q) => q.innerJoin('organisation_project', 'organisation_project.project_id', 'project.id').where('organisation_project.organisation_id', '=', orgId!))
    .orderBy('project.key')
    .execute();
  if (candidates.length === 1) return { id: candidates[0]!.id, unknown: key ?? null, choices: [] };
  return { id: null, unknown: key ?? null, choices: candidates };
}

export async function fileNewTicket(
  trx: Trx,
  deps: { notifier: Notifier; supportAddresses: string[] },
  args: NewTicketArgs,
  now: Date,
): Promise<NewTicketFiling> {
  const isStaff = args.sender.staffId !== null;
  const pseudo = extractPseudoHeaders(args.bodyText, { allowMaintenance: isStaff });
  const fallbacks: Fallback[] = pseudo.unknown.map((u) => ({
    field: u.field,
    given: u.given,
    used: u.field === 'type' ? 'assistance' : u.field === 'priority' ? 'minor' : u.field === 'visibility' ? 'public' : '—',
  }));
  const project = await findProject(trx, args, deps.supportAddresses, pseudo.fields.project);
  if (project.id === null && project.choices.length > 1) {
    // Several projects and nothing says which: ask, one mailto link per project; the answer
    // releases this (held) message onto the chosen project.
    const [local, domain] = deps.supportAddresses[0]!.split('@');
    await deps.notifier.toContact(trx, args.sender.contact, 'project-question', {
      originalSubject: args.summary,
      contactName: args.sender.contact.name || undefined,
      projects: project.choices.map((c) => ({
        name: c.name,
        mailto: mailtoUrl(`${local}+${c.key.toLowerCase()}@${domain}`, { subject: `Re: ${args.summary}`, body: projectMarker(c.key, args.inboundId) }),
      })),
    }, args.mail.messageId, now);
    return { kind: 'asked', projects: project.choices.map((c) => c.key) };
  }
  if (project.unknown && project.id === null && pseudo.fields.project) {
    fallbacks.push({ field: 'project', given: pseudo.fields.project, used: '—' });
  }
  let productIds: number[] = [];
  if (pseudo.fields.products?.length) {
    const wanted = pseudo.fields.products.map((p) => p.toLowerCase());
    const rows = project.id === null
      ? []
      : await trx.selectFrom('product').select(['id', 'name']).where('project_id', '=', project.id).execute();
    productIds = rows.filter((r) => wanted.includes(r.name.toLowerCase())).map((r) => r.id);
    for (const given of pseudo.fields.products) {
      if (!rows.some((r) => r.name.toLowerCase() === given.toLowerCase())) fallbacks.push({ field: 'products', given, used: '—' });
    }
  }
  const description = pseudo.body;
  const { ticket, entry } = await openTicket(
    trx,
    {
      reporter: args.sender.contact,
      summary: args.summary,
      language: args.language,
      watchers: args.watchers,
      first: { ...args.entry, text: description },
      fields: { ...pseudo.fields, projectId: project.id, productIds, linkedTo: args.linkedTo ?? null },
    },
    now,
  );
  const acknowledged = await deps.notifier.ticketReceived(
    trx,
    { ticket, reporter: args.sender.contact, answering: args.mail.messageId, unknownTag: args.unknownTag, fallbacks },
    now,
  );
  const alerted = await deps.notifier.staffAlert(trx, ticket, { newTicket: true, author: args.sender.contact, message: description }, now);
  return { kind: 'ticket', ticketId: ticket.id, ticketNumber: ticket.number, entryId: entry.id, queuedMail: acknowledged || alerted > 0 };
}

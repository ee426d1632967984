// Files a message that belongs to no ticket yet: reads the fields the client set by pseudo-headers,
// finds the project (address, then pseudo-header, then the organisation's only project), opens the
// ticket, acknowledges it (naming any value that fell back to its default) and alerts staff.
import type { Contact } from '../db/schema.ts';
import type { Notifier } from '../notify/notifier.ts';
import type { Fallback } from '../notify/render.ts';
import { openTicket, type EntryInput, type Trx } from '../tickets/ticket-service.ts';
import { extractPseudoHeaders } from './pseudo-headers.ts';
import type { InboundMail } from './types.ts';

export interface NewTicketArgs {
  mail: InboundMail;
  sender: { contact: Contact; staffId: number | null };
  summary: string;
  bodyText: string;
  entry: EntryInput;
  watchers: string[];
  language: string;
  unknownTag: number | null;
  linkedTo?: number | null;
}

/** `support+shop@example.com` → `shop`, when the base address is ours. */
export function plusKey(recipients: string[], supportAddresses: string[]): string | null {
  for (const r of recipients) {
    const m = /^([^+@]+)\+([^@]+)@(.+)$/.exec(r);
    if (m && supportAddresses.includes(`${m[1]}@${m[3]}`)) return m[2]!.toLowerCase();
  }
  return null;
}

async function findProject(trx: Trx, args: NewTicketArgs, supportAddresses: string[], named: string | undefined) {
  const recipients = [...args.mail.to, ...args.mail.cc].map((a) => a.address);
  const byAddress = await trx.selectFrom('project_address').select('project_id').where('address', 'in', recipients.length ? recipients : ['']).executeTakeFirst();
  if (byAddress) return { id: byAddress.project_id, unknown: null };
  const key = plusKey(recipients, supportAddresses) ?? named;
  if (key) {
    const project = await trx
      .selectFrom('project')
      .select('id')
      .where((eb) => eb.or([eb(eb.fn('lower', ['key']), '=', key.toLowerCase()), eb(eb.fn('lower', ['name']), '=', key.toLowerCase())]))
      .executeTakeFirst();
    if (project) return { id: project.id, unknown: null };
  }
  const orgId = args.sender.contact.organisation_id;
  if (orgId !== null) {
    const projects = await trx.selectFrom('organisation_project').select('project_id').where('organisation_id', '=', orgId).execute();
    if (projects.length === 1) return { id: projects[0]!.project_id, unknown: key ?? null };
  }
  return { id: null, unknown: key ?? null };
}

export async function fileNewTicket(
  trx: Trx,
  deps: { notifier: Notifier; supportAddresses: string[] },
  args: NewTicketArgs,
  now: Date,
): Promise<{ ticketId: number; ticketNumber: number; entryId: number; queuedMail: boolean }> {
  const isStaff = args.sender.staffId !== null;
  const pseudo = extractPseudoHeaders(args.bodyText, { allowMaintenance: isStaff });
  const fallbacks: Fallback[] = pseudo.unknown.map((u) => ({
    field: u.field,
    given: u.given,
    used: u.field === 'type' ? 'assistance' : u.field === 'priority' ? 'minor' : u.field === 'visibility' ? 'public' : '—',
  }));
  const project = await findProject(trx, args, deps.supportAddresses, pseudo.fields.project);
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
  return { ticketId: ticket.id, ticketNumber: ticket.number, entryId: entry.id, queuedMail: acknowledged || alerted > 0 };
}

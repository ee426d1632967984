// guichet inbound list [--held|--quarantined] | release <id>
// The mail that did not become a ticket or a comment, with why; and the release of a message held
// past its sender's bound of new tickets (intake.maxNewTicketsPerDay), which then goes through.
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';

const USAGE = 'usage: guichet inbound list [--held | --quarantined] | release <id>\n';

export async function inboundCommand(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { held: { type: 'boolean' }, quarantined: { type: 'boolean' } }, allowPositionals: true });
  } catch (err) {
    out(`guichet inbound: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, id, ...extra] = positionals;
  const usable = extra.length === 0 && (verb === 'list' ? id === undefined : verb === 'release' && /^\d+$/.test(id ?? ''));
  if (!usable) {
    out(USAGE);
    return 2;
  }
  if (verb === 'list') return list(config, values, out);
  // Releasing runs the message through the whole intake: the process is built as `ingest` builds it.
  const { createGuichet } = await import('../app.ts');
  const guichet = await createGuichet(config, { prepareThread: false });
  try {
    const result = await guichet.intake.release(Number(id));
    if (!result) {
      out(`guichet inbound: message ${id} is not held\n`);
      return 1;
    }
    await guichet.outbox.runOnce();
    out(`message ${id} released: ${result.state}: ${result.outcome}${result.ticketNumber ? ` #${result.ticketNumber}` : ''}\n`);
    return 0;
  } finally {
    await guichet.stop();
  }
}

async function list(config: Config, values: { held?: boolean; quarantined?: boolean }, out: (s: string) => void): Promise<number> {
  const { openDatabase } = await import('../db/connect.ts');
  const { migrateToLatest } = await import('../db/migrate.ts');
  const database = openDatabase(config.database.url);
  const { db } = database;
  try {
    await migrateToLatest(db);
    const states = values.held ? ['held' as const] : values.quarantined ? ['quarantined' as const] : ['held' as const, 'quarantined' as const, 'failed' as const];
    const rows = await db
      .selectFrom('inbound_message')
      .leftJoin('contact', 'contact.id', 'inbound_message.contact_id')
      .select(['inbound_message.id', 'inbound_message.state', 'inbound_message.outcome', 'inbound_message.received_at', 'contact.email'])
      .where('inbound_message.state', 'in', states)
      .orderBy('inbound_message.id')
      .execute();
    if (!rows.length) out(`no ${states.join(' or ')} messages\n`);
    for (const r of rows) out(`${String(r.id).padStart(6)} ${r.state.padEnd(11)} ${r.received_at} ${r.email ?? '(no sender)'} — ${r.outcome ?? ''}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

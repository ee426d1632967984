// guichet outbox list [--failed] | retry <id>… | retry --all-failed [--clear-bounce]
// What waits to be sent, what failed and why; failed notifications put back to pending, due now
// (attempts kept). The running Guichet sends them at its next outbox run (`outbox.retryCron`).
import { parseArgs } from 'node:util';
import type { Config } from '../config.ts';
import { listOutbox, OutboxError, retryFailed } from '../notify/outbox.ts';

const USAGE = 'usage: guichet outbox list [--failed] | retry <id>... [--clear-bounce] | retry --all-failed [--clear-bounce]\n';

export async function outboxCommand(config: Config, argv: string[], out: (s: string) => void): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { failed: { type: 'boolean' }, 'all-failed': { type: 'boolean' }, 'clear-bounce': { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (err) {
    out(`guichet outbox: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, ...rest] = positionals;
  const ids = rest.map(Number);
  const usable = verb === 'list'
    ? rest.length === 0
    : verb === 'retry' && (values['all-failed'] ? rest.length === 0 : rest.length > 0 && ids.every((n) => Number.isInteger(n) && n > 0));
  if (!usable) {
    out(USAGE);
    return 2;
  }
  const { openDatabase } = await import('../db/connect.ts');
  const { migrateToLatest } = await import('../db/migrate.ts');
  const database = openDatabase(config.database.url);
  try {
    await migrateToLatest(database.db);
    if (verb === 'list') {
      const rows = await listOutbox(database.db, { failed: values.failed });
      if (!rows.length) out(values.failed ? 'no failed notifications\n' : 'nothing waiting or failed\n');
      for (const r of rows) {
        const when = r.state === 'pending' ? ` — next try ${r.next_attempt_at}` : '';
        out(`${String(r.id).padStart(6)} ${r.state.padEnd(7)} ${r.event} to ${r.recipient}, ${r.attempts} attempt(s), queued ${r.created_at}${when}${r.last_error ? ` — ${r.last_error}` : ''}\n`);
      }
      return 0;
    }
    const retried = await retryFailed(database.db, values['all-failed'] ? { allFailed: true } : { ids }, {
      clearBounce: values['clear-bounce'],
      now: new Date(),
    });
    if (!retried.length) {
      out('no failed notifications to retry\n');
      return 0;
    }
    for (const r of retried) out(`${r.id} to ${r.recipient}: pending again, due now\n`);
    out(`${retried.length} notification(s) will be sent at the next outbox run${values['clear-bounce'] ? '; their recipients are no longer marked bouncing' : ''}\n`);
    return 0;
  } catch (err) {
    if (err instanceof OutboxError) {
      out(`guichet outbox: ${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await database.close();
  }
}

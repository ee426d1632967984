// Runs once before the suite: makes sure the real peers can run (installs Debian's dovecot-imapd
// when missing and possible), makes the migrated PostgreSQL template the test databases are copied
// from, and says loudly what will be skipped outside CI.
import { ensureDovecotInstalled } from './dovecot.ts';
import { ensurePostgresTemplate, PG_ADMIN_URL, postgresAvailable } from './databases.ts';

export default async function setup(): Promise<void> {
  const ci = process.env.CI === 'true';
  const dovecot = await ensureDovecotInstalled();
  if (!dovecot) {
    if (ci) throw new Error('Dovecot (dovecot-imapd) is required in CI and could not be installed');
    console.warn('\n!!! Dovecot is not installed and could not be installed: the IMAP integration suites are SKIPPED !!!\n');
  }
  if (await postgresAvailable()) {
    await ensurePostgresTemplate();
  } else {
    if (ci) throw new Error(`PostgreSQL is required in CI and is not reachable at ${PG_ADMIN_URL}`);
    console.warn(`\n!!! PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL suites are SKIPPED !!!\n`);
  }
}

// `guichet backup` and `guichet restore` as processes. On SQLite: a backup taken while the intake
// keeps writing (another process), restored into a fresh folder, holds a database that passes its
// integrity check with every ticket, entry and file its manifest counts; a damaged copy, a
// non-empty target without --force and a database still open elsewhere are refused; an older
// backup is migrated on restore. On PostgreSQL: the data folder is copied and the pg_dump to run is
// printed with the password hidden (no server needed: the database is not touched).
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { backupCommand, restoreCommand, type Manifest } from '../../src/commands/backup.ts';
import { parseConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/db/connect.ts';
import { migrateTo } from '../../src/db/migrate.ts';
import { runGuichet } from '../support/cli.ts';
import { buildGuichet, clientMail, SUPPORT } from '../support/guichet.ts';

const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `guichet-backup-${name}-`));

/** An installation folder as an operator has it: config.json, data/ with the SQLite file in it. */
function installation(name: string, database = 'sqlite:./data/guichet.db'): string {
  const dir = tmp(name);
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    database: { url: database }, dataDir: './data', support: { address: SUPPORT }, outbox: { captureDir: './sent' },
  }));
  return dir;
}

let seq = 0;
/** A client's mail with one attachment of its own random bytes: every mail adds a file. */
function mailWithAttachment(subject: string): Buffer {
  const bytes = randomBytes(2048 + (++seq % 7) * 512);
  const raw = [
    `From: Client ${seq % 5} <client${seq % 5}@example.com>`,
    `To: ${SUPPORT}`,
    `Subject: ${subject}`,
    `Message-ID: <backup-${Date.now()}-${seq}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Request ${seq}: the report attached shows it.`,
    '--b',
    `Content-Type: application/octet-stream; name="report-${seq}.bin"`,
    `Content-Disposition: attachment; filename="report-${seq}.bin"`,
    'Content-Transfer-Encoding: base64',
    '',
    bytes.toString('base64').replace(/.{76}/g, '$&\r\n'),
    '--b--',
    '',
  ].join('\r\n');
  return Buffer.from(raw);
}

const pipe = { mailbox: 'pipe', uidValidity: null, uid: null };

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

const mode = (p: string) => statSync(p).mode & 0o777;

describe('guichet backup and restore on SQLite', () => {
  const opened: Guichet[] = [];
  afterAll(async () => {
    for (const g of opened) await g.stop();
  });

  it('backs up while mail is taken in, and restores every ticket, entry and file it counted', async () => {
    const source = installation('source');
    const g = await buildGuichet({ databaseUrl: `sqlite:${path.join(source, 'data', 'guichet.db')}`, dataDir: path.join(source, 'data') });
    opened.push(g);
    for (let i = 0; i < 12; i++) await g.intake.handle(mailWithAttachment(`Printer ${i} jams`), pipe);
    await g.intake.handle(Buffer.from(clientMail({ from: 'client1@example.com', subject: 'Re: [#3] Printer 2 jams', body: 'Still jammed.' }).raw), pipe);

    // Another writer (this process's intake) keeps storing mail and opening tickets for the whole
    // time the backup process runs.
    let writing = true;
    let written = 0;
    const loop = (async () => {
      while (writing) {
        await g.intake.handle(mailWithAttachment(`Scanner ${written} offline`), pipe);
        if (written % 3 === 0) {
          await g.intake.handle(Buffer.from(clientMail({ from: 'client2@example.com', subject: `Re: [#${1 + (written % 12)}] more`, body: `Note ${written}` }).raw), pipe);
        }
        written++;
      }
    })();
    const backupDir = path.join(tmp('target'), 'nightly');
    const taken = await runGuichet(['backup', backupDir], { cwd: source });
    writing = false;
    await loop;
    expect(taken.stderr).toBe('');
    expect(taken.code).toBe(0);
    expect(written).toBeGreaterThan(0);

    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ format: 'guichet-backup/1', engine: 'sqlite', missingFiles: [] });
    expect(manifest.guichetVersion).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect(manifest.counts!.tickets).toBeGreaterThanOrEqual(12);
    expect(manifest.counts!.attachments).toBeGreaterThanOrEqual(12);
    // The intake went on writing after the snapshot: the backup did not stop it.
    const now = await g.database.db.selectFrom('ticket').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(now.n)).toBeGreaterThan(manifest.counts!.tickets);
    expect(manifest.database!.sha256).toBe(sha256(path.join(backupDir, 'guichet.db')));
    expect(taken.stdout).toContain(`${manifest.counts!.tickets} ticket(s)`);
    // Private like the data folder.
    expect(mode(backupDir)).toBe(0o700);
    expect(mode(path.join(backupDir, 'guichet.db'))).toBe(0o600);
    expect(mode(path.join(backupDir, 'manifest.json'))).toBe(0o600);
    const someRaw = readdirSync(path.join(backupDir, 'raw')).map((d) => path.join(backupDir, 'raw', d)).find((d) => readdirSync(d).length)!;
    expect(mode(someRaw)).toBe(0o700);
    expect(mode(path.join(someRaw, readdirSync(someRaw)[0]!))).toBe(0o600);

    // A second backup into the same folder copies only what is new.
    const again = await runGuichet(['backup', backupDir], { cwd: source });
    expect(again.code).toBe(0);
    const secondManifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    const newFiles = secondManifest.files.raw + secondManifest.files.attachments - manifest.files.raw - manifest.files.attachments;
    expect(again.stdout).toContain(`, ${newFiles} copied now`);

    // Restored into a fresh installation.
    const fresh = installation('restored');
    const restored = await runGuichet(['restore', backupDir], { cwd: fresh });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    const file = path.join(fresh, 'data', 'guichet.db');
    expect(mode(file)).toBe(0o600);
    const sqlite = new SQLite(file, { readonly: true });
    try {
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      const count = (t: string) => (sqlite.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n;
      expect({ tickets: count('ticket'), entries: count('entry'), inboundMessages: count('inbound_message'), attachments: count('attachment') })
        .toEqual(secondManifest.counts);
      // Every file the database names is there, with the bytes its name promises.
      for (const { raw_path, sha256: sha } of sqlite.prepare('select raw_path, sha256 from inbound_message').all() as { raw_path: string; sha256: string }[]) {
        expect(sha256(path.join(fresh, 'data', 'raw', raw_path))).toBe(sha);
      }
      for (const { sha256: sha } of sqlite.prepare('select sha256 from attachment').all() as { sha256: string }[]) {
        expect(sha256(path.join(fresh, 'data', 'attachments', sha.slice(0, 2), sha))).toBe(sha);
      }
      // The same tickets as the source had, number for number.
      const tickets = sqlite.prepare('select number, summary from ticket order by number').all();
      const live = await g.database.db.selectFrom('ticket').select(['number', 'summary']).orderBy('number').limit(tickets.length).execute();
      expect(tickets).toEqual(live);
    } finally {
      sqlite.close();
    }

    // The restored installation runs: it takes a reply on a restored ticket.
    const back = await buildGuichet({ databaseUrl: `sqlite:${file}`, dataDir: path.join(fresh, 'data') });
    try {
      const r = await back.intake.handle(Buffer.from(clientMail({ from: 'client1@example.com', subject: 'Re: [#3] Printer 2 jams', body: 'Fixed now.' }).raw), pipe);
      expect(r.ticketNumber).toBe(3);
    } finally {
      await back.stop();
    }

    // A non-empty database is replaced only with --force, and kept aside.
    let refused = await runGuichet(['restore', backupDir], { cwd: fresh });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already holds tickets or mail; --force');
    const forced = await runGuichet(['restore', backupDir, '--force'], { cwd: fresh });
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(readdirSync(path.join(fresh, 'data')).some((f) => f.startsWith('guichet.db.before-restore-'))).toBe(true);

    // Not over a database a running Guichet has open, even with --force.
    refused = await runGuichet(['restore', backupDir, '--force'], { cwd: source });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is open by another process');

    // A damaged copy is refused before anything is touched.
    const damaged = path.join(tmp('damaged'), 'copy');
    cpSync(backupDir, damaged, { recursive: true });
    const db = readFileSync(path.join(damaged, 'guichet.db'));
    db[db.length - 100] = db[db.length - 100]! ^ 0xff;
    writeFileSync(path.join(damaged, 'guichet.db'), db);
    const other = installation('damaged-target');
    refused = await runGuichet(['restore', damaged], { cwd: other });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('does not match manifest.json');
    expect(existsSync(path.join(other, 'data'))).toBe(false);
  }, 60_000); // two guichet processes (backup, restore) start while this one writes: about 20 s on two busy cores

  it('migrates an older backup on restore, and refuses a folder that holds other files', async () => {
    const source = installation('older');
    const url = `sqlite:${path.join(source, 'data', 'guichet.db')}`;
    const database = openDatabase(url);
    await migrateTo(database.db, '0012_ticket_list');
    await database.close();
    const config = (dir: string) => parseConfig({ database: { url: `sqlite:${path.join(dir, 'data', 'guichet.db')}` }, dataDir: path.join(dir, 'data'), support: { address: SUPPORT }, outbox: { captureDir: path.join(dir, 'sent') } });
    const out: string[] = [];
    const backupDir = path.join(tmp('older-target'), 'b');
    expect(await backupCommand(config(source), [backupDir], (s) => out.push(s))).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(backupDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.database!.migration).toBe('0012_ticket_list');

    const fresh = tmp('older-restored');
    expect(await restoreCommand(config(fresh), [backupDir], (s) => out.push(s))).toBe(0);
    expect(out.join('')).toMatch(/migrations applied to the restored database: 0013_staff_tokens/);

    const cluttered = tmp('cluttered');
    writeFileSync(path.join(cluttered, 'notes.txt'), 'mine');
    expect(await backupCommand(config(source), [cluttered], (s) => out.push(s))).toBe(1);
    expect(out.join('')).toContain('holds other files');
  });
});

describe('guichet backup on PostgreSQL', () => {
  it('copies the data folder and prints the pg_dump to run, the password hidden', async () => {
    const dir = installation('pg', 'postgres://guichet:s3cret-pw@db.internal:5432/guichet');
    const raw = path.join(dir, 'data', 'raw', 'ab');
    mkdirSync(raw, { recursive: true });
    writeFileSync(path.join(raw, `ab${'0'.repeat(62)}.eml`), 'Subject: x\r\n\r\ny\r\n');
    const target = path.join(tmp('pg-target'), 'b');
    // The dump is taken first, into the same folder.
    mkdirSync(target);
    writeFileSync(path.join(target, 'guichet.pgdump'), 'PGDMP');
    const run = await runGuichet(['backup', target], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`pg_dump --format=custom --file=${path.join(target, 'guichet.pgdump')}`);
    expect(run.stdout).toContain('postgres://guichet:***@db.internal:5432/guichet');
    expect(run.stdout).not.toContain('s3cret');
    expect(existsSync(path.join(target, 'raw', 'ab', `ab${'0'.repeat(62)}.eml`))).toBe(true);
    const manifest = JSON.parse(readFileSync(path.join(target, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest).toMatchObject({ engine: 'postgres', database: null, files: { raw: 1, attachments: 0 } });
  });
});

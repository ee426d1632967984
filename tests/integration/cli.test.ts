// The operator's commands as processes: `guichet ingest` (MTA pipe) on both engines, `guichet
// check-config`, and the demo that `guichet start` runs when nothing is configured.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/connect.ts';
import { testEngines } from '../support/databases.ts';
import { clientMail, SUPPORT } from '../support/guichet.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { waitUntil } from '../support/wait.ts';
import { BIN, cleanEnv, runGuichet } from '../support/cli.ts';

const engines = await testEngines();

describe.each(engines)('guichet ingest on $name', (engine) => {
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(async () => {
    await sink.close();
    await engine.cleanup();
  });

  it('runs one message from standard input through the pipeline, once', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-cli-'));
    const databaseUrl = await engine.freshUrl();
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      database: { url: databaseUrl },
      dataDir: './data',
      support: { address: SUPPORT },
      smtp: { url: sink.url },
      intake: { unknownSenders: 'accept' },
    }));
    const mail = clientMail({ subject: 'Piped in', body: 'Delivered by the MTA' });

    const first = await runGuichet(['ingest'], { cwd: dir, input: mail.raw });
    expect(first.stderr).toBe('');
    expect(first.stdout.trim()).toBe('processed: ticket #1');
    expect(first.code).toBe(0);
    const [ack] = await sink.waitFor(1);
    expect(ack!.parsed.subject).toBe('[#1] Piped in');
    expect(ack!.parsed.inReplyTo).toBe(mail.messageId);

    const again = await runGuichet(['ingest', '--config', path.join(dir, 'config.json')], { cwd: os.tmpdir(), input: mail.raw });
    expect(again.stdout.trim()).toBe('processed: ticket (already received)');
    expect(again.code).toBe(0);
    const database = openDatabase(databaseUrl);
    try {
      expect(await database.db.selectFrom('ticket').select('number').execute()).toEqual([{ number: 1 }]);
      expect(await database.db.selectFrom('outbox').select('state').execute()).toEqual([{ state: 'sent' }]);
    } finally {
      await database.close();
    }
    expect(sink.messages).toHaveLength(1);

    const empty = await runGuichet(['ingest'], { cwd: dir, input: '' });
    expect(empty.code).toBe(66);
    expect(empty.stderr).toMatch(/no message on standard input/);
  });
});

describe('guichet directory and contacts commands', () => {
  it('adds staff, projects and organisations, and validates a held contact into a ticket', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-cli-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ support: { address: SUPPORT }, outbox: { captureDir: './sent' } }));
    const run = (...args: string[]) => runGuichet(args, { cwd: dir });

    const staff = await run('staff', 'add', 'agent@help.example.test', 'Agnès', '--admin');
    expect(staff.code).toBe(0);
    expect(staff.stdout).toMatch(/password \(shown once\): \S{12,}/);
    expect((await run('projects', 'add', 'shop', 'Web shop', '--product', 'Checkout', '--staff', 'agent@help.example.test')).stdout).toBe('project SHOP added\n');
    expect((await run('organisations', 'add', 'Acme', '--domain', 'acme.test', '--project', 'SHOP')).code).toBe(0);
    expect((await run('organisations', 'list')).stdout).toBe('Acme\tacme.test\n');
    expect((await run('projects', 'add', 'x', 'y', '--staff', 'nobody@x.test')).code).toBe(1);

    const held = await runGuichet(['ingest'], { cwd: dir, input: clientMail({ from: 'new@stranger.test', subject: 'Let me in', body: 'hi' }).raw });
    expect(held.stdout.trim()).toBe('held: awaiting account validation');
    expect((await run('contacts', 'list', '--pending')).stdout).toMatch(/^pending  new@stranger\.test — 1 held message\(s\)$/m);
    const validated = await run('contacts', 'validate', 'new@stranger.test');
    expect(validated.stdout).toContain('1 held message(s) released');
    expect(validated.stdout).toContain('processed: ticket #1');
    expect((await run('contacts', 'validate', 'new@stranger.test')).code).toBe(1);

    const member = await runGuichet(['ingest'], { cwd: dir, input: clientMail({ from: 'amy@acme.test', subject: 'Member', body: 'hi' }).raw });
    expect(member.stdout.trim()).toBe('processed: ticket #2');
    const database = openDatabase(`sqlite:${path.join(dir, 'data', 'guichet.db')}`);
    try {
      const t = await database.db.selectFrom('ticket').innerJoin('project', 'project.id', 'ticket.project_id').select('project.key').where('number', '=', 2).executeTakeFirst();
      expect(t).toEqual({ key: 'SHOP' });
    } finally {
      await database.close();
    }
  }, 90_000);
});

describe('guichet check-config', () => {
  it('names the key and the problem, and exits non-zero', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-cli-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ support: { address: 'nope' }, smtp: { url: 'ftp://x' } }));
    const bad = await runGuichet(['check-config'], { cwd: dir });
    expect(bad.code).toBe(78);
    expect(bad.stderr).toMatch(/support\.address: /);
    expect(bad.stderr).toMatch(/smtp\.url: expected smtp:\/\//);

    const good = await runGuichet(['check-config'], { cwd: dir, env: cleanEnv({ GUICHET_CONFIG: '/nonexistent.json' }) });
    expect(good.code).toBe(78);
    expect(good.stderr).toMatch(/config file not found/);

    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
      support: { address: 'help@acme.test' },
      smtp: { url: 'smtp://u:hunter2@mail.acme.test:587' },
      smtpIntake: { listen: '127.0.0.1:2525', auth: { user: 'relay', pass: 'correct horse battery' } },
    }));
    const ok = await runGuichet(['check-config'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/configuration is valid/);
    expect(ok.stdout).not.toContain('hunter2');
    expect(ok.stdout).not.toContain('correct horse battery');
    expect(ok.stdout).toContain('"user": "relay"');
  });
});

describe('guichet start with nothing configured (demo)', () => {
  it('takes mail on 127.0.0.1:2525 and writes the acknowledgement under ./data/sent', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-demo-'));
    const child = spawn(process.execPath, [BIN, 'start'], { cwd: dir, env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitUntil(async () => out.includes('Send a first email'), 'the demo banner', 20_000);
      expect(out).toContain('127.0.0.1:2525');
      expect(out).toContain(path.join(dir, 'data', 'sent'));

      // The demo's admin account, printed once, opens the admin.
      const [, email, password] = /staff login: +(\S+) \/ (\S+)/.exec(out) ?? [];
      expect(email).toBe('admin@guichet.localhost');
      const loginPage = await fetch('http://127.0.0.1:8025/admin/login');
      const loginCookie = loginPage.headers.getSetCookie()[0]!.split(';')[0]!;
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
      const signedIn = await fetch('http://127.0.0.1:8025/admin/login', {
        method: 'POST', redirect: 'manual',
        headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, email: email!, password: password! }).toString(),
      });
      expect(signedIn.status).toBe(303);
      expect(signedIn.headers.getSetCookie().some((c) => c.startsWith('guichet_session='))).toBe(true);

      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: 2525, secure: false, ignoreTLS: true });
      await transport.sendMail({ from: 'Ada <ada@example.com>', to: 'support@guichet.localhost', subject: 'Demo request', text: 'Hello demo' });
      const sentDir = path.join(dir, 'data', 'sent');
      // The demo admin gets a staff alert too: the acknowledgement is the mail to Ada.
      const ack = await waitUntil(async () => {
        let files: string[];
        try {
          files = readdirSync(sentDir).filter((n) => n.endsWith('.eml'));
        } catch {
          return null;
        }
        const captured = await Promise.all(files.map((f) => simpleParser(readFileSync(path.join(sentDir, f)))));
        return captured.find((m) => (m.to && 'text' in m.to ? m.to.text : '').includes('ada@example.com')) ?? null;
      }, 'a captured acknowledgement');
      expect(ack.subject).toBe('[#1] Demo request');

      await transport.sendMail({ from: 'ada@example.com', to: 'support@guichet.localhost', subject: `Re: ${ack.subject}`, text: 'More details', inReplyTo: ack.messageId });
      transport.close();
      const health = await fetch('http://127.0.0.1:8025/healthz').then((r) => r.json());
      // Without a token /healthz says only whether Guichet is up.
      expect(health).toEqual({ ok: true });

      const database = openDatabase(`sqlite:${path.join(dir, 'data', 'guichet.db')}`);
      try {
        const entries = await waitUntil(async () => {
          const rows = await database.db.selectFrom('entry').select('text').orderBy('id').execute();
          return rows.length === 2 && rows;
        }, 'the reply on ticket #1');
        expect(entries.map((e) => e.text)).toEqual(['Hello demo', 'More details']);
      } finally {
        await database.close();
      }
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.on('close', r));
      expect(code).toBe(0);
    }
  });
});

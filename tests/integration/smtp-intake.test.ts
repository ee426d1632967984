// The embedded SMTP receiver's limits, driven over a raw socket so every reply code is seen as a
// sending server sees it: only Guichet's addresses as recipients (550), SIZE announced and 552 past
// it with nothing stored, a bounded number of clients (421), AUTH when configured, allowed clients
// only (554). Also: the data folder, its files and the SQLite file are private (0700/0600).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { addProject } from '../../src/accounts/directory.ts';
import { parseConfig } from '../../src/config.ts';
import { buildGuichet, clientMail, SUPPORT } from '../support/guichet.ts';
import { testEngines } from '../support/databases.ts';
import { waitUntil } from '../support/wait.ts';

interface Reply { code: number; text: string }

/** One SMTP session over a raw socket: each call sends a line and resolves with the whole reply. */
class Session {
  private buffer = '';
  private waiting: Array<(r: Reply) => void> = [];
  private closed = false;
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.flush();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w({ code: 0, text: 'connection closed' });
    });
    socket.on('error', () => {});
  }

  static async open(port: number): Promise<{ session: Session; greeting: Reply }> {
    const socket = net.connect(port, '127.0.0.1');
    const session = new Session(socket);
    return { session, greeting: await session.next() };
  }

  private flush(): void {
    for (;;) {
      const lines = this.buffer.split('\r\n');
      const end = lines.findIndex((l, i) => i < lines.length - 1 && /^\d{3}(?: |$)/.test(l));
      if (end < 0 || !this.waiting.length) return;
      const reply = lines.slice(0, end + 1);
      this.buffer = lines.slice(end + 1).join('\r\n');
      this.waiting.shift()!({ code: Number(reply[end]!.slice(0, 3)), text: reply.map((l) => l.slice(4)).join('\n') });
    }
  }

  next(): Promise<Reply> {
    if (this.closed && !this.buffer) return Promise.resolve({ code: 0, text: 'connection closed' });
    const p = new Promise<Reply>((resolve) => this.waiting.push(resolve));
    this.flush();
    return p;
  }

  send(line: string): Promise<Reply> {
    this.socket.write(`${line}\r\n`);
    return this.next();
  }

  /** DATA, then the message dot-stuffed and the final dot: the reply to the message itself. */
  async data(raw: string): Promise<{ start: Reply; end: Reply }> {
    const start = await this.send('DATA');
    if (start.code !== 354) return { start, end: start };
    const body = raw.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    this.socket.write(body.endsWith('\r\n') ? body : `${body}\r\n`);
    return { start, end: await this.send('.') };
  }

  close(): void {
    this.socket.destroy();
  }
}

const engines = await testEngines();
const base64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

for (const engine of engines) {
  describe(`SMTP intake limits (${engine.name})`, () => {
    const running: Guichet[] = [];
    const sessions: Session[] = [];

    afterEach(async () => {
      for (const s of sessions.splice(0)) s.close();
      for (const g of running.splice(0)) await g.stop();
    });
    afterAll(() => engine.cleanup());

    async function start(smtpIntake: Record<string, unknown> = {}, extra: { dataDir?: string; limits?: Record<string, unknown> } = {}) {
      const databaseUrl = await engine.freshUrl();
      const g = await buildGuichet({
        databaseUrl,
        dataDir: extra.dataDir,
        overrides: { smtpIntake: { listen: '127.0.0.1:0', ...smtpIntake }, ...(extra.limits ? { limits: extra.limits } : {}) },
      });
      running.push(g);
      const { smtpPort } = await g.start({ listen: false });
      return { g, port: smtpPort!, databaseUrl };
    }
    async function open(port: number) {
      const opened = await Session.open(port);
      sessions.push(opened.session);
      return opened;
    }
    const stored = async (g: Guichet) =>
      Number((await g.database.db.selectFrom('inbound_message').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

    it('takes mail for the support address, its plus variants and a project address; 550 for anyone else', async () => {
      const { g, port } = await start();
      await addProject(g.database.db, { key: 'SHOP', name: 'Web shop', addresses: ['shop@help.example.test'] }, new Date());
      const { session, greeting } = await open(port);
      expect(greeting.code).toBe(220);
      expect((await session.send('EHLO client.example.com')).code).toBe(250);
      expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(250);

      const stranger = await session.send('RCPT TO:<someone@elsewhere.example>');
      expect(stranger.code).toBe(550);
      expect(stranger.text).toMatch(/support addresses/);
      expect((await session.send('RCPT TO:<other@help.example.test>')).code).toBe(550);
      expect((await session.send('RCPT TO:<support-not@help.example.test>')).code).toBe(550);

      expect((await session.send(`RCPT TO:<${SUPPORT}>`)).code).toBe(250);
      expect((await session.send('RCPT TO:<Support+Billing@HELP.example.test>')).code).toBe(250);
      expect((await session.send('RCPT TO:<shop@help.example.test>')).code).toBe(250);
      expect((await session.send('RCPT TO:<shop+urgent@help.example.test>')).code).toBe(250);
      const { end } = await session.data(clientMail({ subject: 'Hello', body: 'Accepted for our addresses' }).raw);
      expect(end.code).toBe(250);
      expect(await stored(g)).toBe(1);

      // Only strangers: no recipient, so no DATA.
      expect((await session.send('MAIL FROM:<eve@example.com>')).code).toBe(250);
      expect((await session.send('RCPT TO:<eve@attacker.example>')).code).toBe(550);
      expect((await session.send('DATA')).code).toBe(503);
      expect(await stored(g)).toBe(1);
    });

    it('announces SIZE and answers 552 past it, storing nothing', async () => {
      const { g, port } = await start({}, { limits: { maxMessageBytes: 4096 } });
      const { session } = await open(port);
      const ehlo = await session.send('EHLO client.example.com');
      expect(ehlo.text).toMatch(/^SIZE 4096$/m);
      // Declared too large: refused before any byte is sent.
      expect((await session.send('MAIL FROM:<ada@example.com> SIZE=100000')).code).toBe(552);

      // Not declared: read to the final dot, dropped, 552.
      expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(250);
      expect((await session.send(`RCPT TO:<${SUPPORT}>`)).code).toBe(250);
      const big = clientMail({ subject: 'Huge', body: 'x'.repeat(76).concat('\r\n').repeat(2000) }).raw;
      const { end } = await session.data(big);
      expect(end.code).toBe(552);
      expect(end.text).toMatch(/size limit/);
      expect(await stored(g)).toBe(0);

      // The session goes on: a message under the limit is taken.
      expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(250);
      expect((await session.send(`RCPT TO:<${SUPPORT}>`)).code).toBe(250);
      expect((await session.data(clientMail({ subject: 'Small', body: 'fits' }).raw)).end.code).toBe(250);
      expect(await stored(g)).toBe(1);
    });

    it('a message written to disk as it arrives (past 1 MiB) and then past the limit: 552, no file left', async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'guichet-spool-'));
      const { g, port } = await start({}, { dataDir, limits: { maxMessageBytes: 3 * 1024 * 1024 } });
      const rawDir = path.join(dataDir, 'raw');
      const files = () => readdirSync(rawDir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
      const { session } = await open(port);
      await session.send('EHLO client.example.com');
      const line = 'x'.repeat(76).concat('\r\n');
      const send = async (subject: string, lines: number) => {
        expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(250);
        expect((await session.send(`RCPT TO:<${SUPPORT}>`)).code).toBe(250);
        return (await session.data(clientMail({ subject, body: line.repeat(lines) }).raw)).end;
      };
      // 4 MB: spooled from 1 MiB on, then dropped at 3 MiB and read to its end.
      const end = await send('Too large', 52_000);
      expect(end.code).toBe(552);
      expect(await stored(g)).toBe(0);
      expect(files()).toEqual([]);
      // 2 MB: spooled and taken, under its name, nothing temporary left.
      expect((await send('Large enough to spool', 26_000)).code).toBe(250);
      const [row] = await g.database.db.selectFrom('inbound_message').selectAll().execute();
      expect(row!.size).toBeGreaterThan(2_000_000);
      expect(files()).toEqual([path.basename(row!.raw_path)]);
    });

    it('bounds concurrent clients (421 beyond maxClients)', async () => {
      const { port } = await start({ maxClients: 2 });
      const first = await open(port);
      const second = await open(port);
      expect([first.greeting.code, second.greeting.code]).toEqual([220, 220]);
      const third = await open(port);
      expect(third.greeting.code).toBe(421);
      first.session.close();
      await waitUntil(async () => (await Session.open(port).then(({ session, greeting }) => (session.close(), greeting.code === 220))), 'a free slot');
    });

    it('requires AUTH (PLAIN or LOGIN) when configured, and refuses wrong credentials', async () => {
      const { g, port } = await start({ auth: { user: 'relay', pass: 'correct horse battery' } });
      const { session } = await open(port);
      const ehlo = await session.send('EHLO relay.internal');
      expect(ehlo.text).toMatch(/^AUTH .*PLAIN/m);
      expect(ehlo.text).toMatch(/^AUTH .*LOGIN/m);
      expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(530);
      expect((await session.send(`AUTH PLAIN ${base64('\0relay\0wrong password')}`)).code).toBe(535);
      expect((await session.send(`AUTH PLAIN ${base64('\0relay\0correct horse battery')}`)).code).toBe(235);
      expect((await session.send('MAIL FROM:<ada@example.com>')).code).toBe(250);
      expect((await session.send(`RCPT TO:<${SUPPORT}>`)).code).toBe(250);
      expect((await session.data(clientMail({ subject: 'Via relay', body: 'authenticated' }).raw)).end.code).toBe(250);
      expect(await stored(g)).toBe(1);

      const login = (await open(port)).session;
      await login.send('EHLO relay.internal');
      expect((await login.send('AUTH LOGIN')).code).toBe(334);
      expect((await login.send(base64('relay'))).code).toBe(334);
      expect((await login.send(base64('correct horse battery'))).code).toBe(235);
    });

    it('refuses a client outside allowedClients at connect (554), takes one inside', async () => {
      const refused = await start({ allowedClients: ['10.20.30.40', '192.168.0.0/16'] });
      const outside = await open(refused.port);
      expect(outside.greeting.code).toBe(554);
      expect(outside.greeting.text).toMatch(/127\.0\.0\.1 may not send mail here/);
      expect((await outside.session.send('EHLO x')).code).toBe(0); // closed

      const allowed = await start({ allowedClients: ['10.20.30.40', '127.0.0.0/8'] });
      const inside = await open(allowed.port);
      expect(inside.greeting.code).toBe(220);
    });

    it('keeps the data folder, raw messages, attachments and the SQLite file private (0700/0600)', async () => {
      const parent = mkdtempSync(path.join(os.tmpdir(), 'guichet-perm-'));
      const dataDir = path.join(parent, 'data');
      mkdirSync(dataDir, { mode: 0o755 }); // an existing, world-readable folder is made private
      const { port, databaseUrl } = await start({}, { dataDir });
      const { session } = await open(port);
      await session.send('EHLO client.example.com');
      await session.send('MAIL FROM:<ada@example.com>');
      await session.send(`RCPT TO:<${SUPPORT}>`);
      const raw = [
        'From: Ada <ada@example.com>',
        `To: ${SUPPORT}`,
        'Subject: With a file',
        `Message-ID: <perm-${Date.now()}@example.com>`,
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'See the attached log.',
        '--b',
        'Content-Type: application/octet-stream; name="log.bin"',
        'Content-Disposition: attachment; filename="log.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('secret log lines').toString('base64'),
        '--b--',
        '',
      ].join('\r\n');
      expect((await session.data(raw)).end.code).toBe(250);

      const mode = (p: string) => statSync(p).mode & 0o777;
      const filesUnder = (dir: string) =>
        readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
      expect(mode(dataDir)).toBe(0o700);
      for (const sub of ['raw', 'attachments']) {
        expect(mode(path.join(dataDir, sub))).toBe(0o700);
        for (const folder of readdirSync(path.join(dataDir, sub))) expect(mode(path.join(dataDir, sub, folder))).toBe(0o700);
      }
      const rawFiles = filesUnder(path.join(dataDir, 'raw'));
      expect(rawFiles).toHaveLength(1);
      expect(mode(rawFiles[0]!)).toBe(0o600);
      const attachments = await waitUntil(async () => {
        const f = filesUnder(path.join(dataDir, 'attachments'));
        return f.length ? f : null;
      }, 'the stored attachment');
      for (const f of attachments) expect(mode(f)).toBe(0o600);

      if (engine.name === 'sqlite') {
        const file = databaseUrl.slice('sqlite:'.length);
        expect(mode(file)).toBe(0o600);
        expect(existsSync(`${file}-wal`)).toBe(true);
        for (const f of [`${file}-wal`, `${file}-shm`]) if (existsSync(f)) expect(mode(f)).toBe(0o600);
      }
    });
  });
}

describe('smtpIntake configuration', () => {
  const base = { support: { address: SUPPORT }, outbox: { captureDir: '/tmp/guichet-sent' } };
  it('defaults to 20 clients, no AUTH, any client; validates auth and allowedClients', () => {
    const c = parseConfig({ ...base, smtpIntake: { listen: '127.0.0.1:2525' }, imap: { url: 'imap://u:p@h/INBOX' } });
    expect(c.smtpIntake).toEqual({ listen: { host: '127.0.0.1', port: 2525 }, maxClients: 20, auth: null, allowedClients: null });
    expect(c.imap?.chunkBytes).toBe(32 * 1024 * 1024);
    expect(() => parseConfig({ ...base, smtpIntake: { listen: '127.0.0.1:2525', allowedClients: ['localhost'] } })).toThrow(/smtpIntake\.allowedClients\.0/);
    expect(() => parseConfig({ ...base, smtpIntake: { listen: '127.0.0.1:2525', allowedClients: [] } })).toThrow(/smtpIntake\.allowedClients/);
    expect(() => parseConfig({ ...base, smtpIntake: { listen: '127.0.0.1:2525', auth: { user: 'relay', pass: 'short' } } })).toThrow(/smtpIntake\.auth\.pass/);
    const withAuth = parseConfig({ ...base, smtpIntake: { listen: '127.0.0.1:2525', auth: { user: 'relay', pass: 'a long secret' }, allowedClients: ['10.0.0.0/8', '::1'] } });
    expect(withAuth.smtpIntake?.auth).toEqual({ user: 'relay', pass: 'a long secret' });
  });
});

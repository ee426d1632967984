// Large messages end to end (raw-store.ts SPOOL_BYTES): a message of more than 20 MB, taken in by
// SMTP and by IMAP, is written to disk as it arrives and parsed from the file. Its raw file must be
// byte for byte what was sent, its attachment stored intact, no temporary file left behind; and a
// large message whose parse fails is recorded failed with its raw file kept, the next one going on.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, expect, it } from 'vitest';
import type { Guichet } from '../../src/app.ts';
import { SPOOL_BYTES } from '../../src/mail/raw-store.ts';
import { mailPeers, mailSuite } from '../support/mail-suite.ts';
import { buildGuichet, clientMail, getTicket, SUPPORT } from '../support/guichet.ts';
import { waitUntil } from '../support/wait.ts';

const MB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A mail carrying `attachment` in base64 (76-column lines), so more than 4/3 of its size. */
function mailWith(attachment: Buffer, subject: string): Buffer {
  const body = attachment.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: Ada Lovelace <ada@example.com>',
    `To: ${SUPPORT}`,
    `Subject: ${subject}`,
    `Message-ID: <${sha(attachment).slice(0, 16)}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="part"',
    '',
    '--part',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `${subject}: the recording is attached.`,
    '--part',
    'Content-Type: video/mp4; name="recording.mp4"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="recording.mp4"',
    '',
    body,
    '--part--',
    '',
  ].join('\r\n'));
}

/** Files a crash or a failed write could leave: none may remain after the intake is done. */
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.tmp'));

const suite = await mailSuite('large mail');

suite('large mail on $name', (engine) => {
  const peers = mailPeers(engine);
  let guichet: Guichet | null = null;
  let mailbox = 0;

  afterEach(async () => {
    await guichet?.stop();
    guichet = null;
    peers.sink.clear();
  });

  async function start(): Promise<{ g: Guichet; box: string; smtpPort: number; dataDir: string }> {
    const box = `Large${++mailbox}`;
    const c = await peers.dovecot.connect();
    await c.mailboxCreate(box).catch(() => {});
    await c.logout();
    guichet = await buildGuichet({
      databaseUrl: await engine.freshUrl(), imapUrl: peers.dovecot.url.replace(/INBOX$/, box), smtpUrl: peers.sink.url,
      overrides: { smtpIntake: { listen: '127.0.0.1:0' }, limits: { maxMessageBytes: 40 * MB, maxAttachmentBytes: 24 * MB } },
    });
    const { smtpPort } = await guichet.start({ listen: false });
    return { g: guichet, box, smtpPort: smtpPort!, dataDir: guichet.config.dataDir };
  }

  const rows = (g: Guichet) => g.database.db.selectFrom('inbound_message').selectAll().orderBy('id').execute();
  const done = (g: Guichet, n: number) =>
    waitUntil(async () => {
      const all = await rows(g);
      return all.filter((r) => r.state !== 'pending').length >= n && all;
    }, `${n} messages with an outcome`, 60_000);

  async function send(port: number, raw: Buffer): Promise<void> {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false });
    try {
      await transport.sendMail({ envelope: { from: 'ada@example.com', to: [SUPPORT] }, raw });
    } finally {
      transport.close();
    }
  }

  /** The message's raw file is its bytes, its ticket names the attachment, whose file is its bytes. */
  async function expectStored(g: Guichet, dataDir: string, raw: Buffer, attachment: Buffer, ticket: number) {
    const row = (await rows(g)).find((r) => r.sha256 === sha(raw));
    expect(row).toMatchObject({ state: 'processed', outcome: 'ticket', size: raw.length });
    expect(readFileSync(path.join(dataDir, 'raw', row!.raw_path)).equals(raw)).toBe(true);
    const entry = (await getTicket(g, ticket)).entries[0];
    expect(entry.attachments).toEqual([expect.objectContaining({ filename: 'recording.mp4', size: attachment.length, sha256: sha(attachment) })]);
    const file = path.join(dataDir, 'attachments', sha(attachment).slice(0, 2), sha(attachment));
    expect(readFileSync(file).equals(attachment)).toBe(true);
    expect(leftovers(path.join(dataDir, 'raw'))).toEqual([]);
    expect(leftovers(path.join(dataDir, 'attachments'))).toEqual([]);
  }

  it('takes in a 20+ MB message by SMTP and by IMAP: raw file and attachment byte-identical', async () => {
    const { g, box, smtpPort, dataDir } = await start();
    const bySmtp = randomBytes(16 * MB);
    const smtpRaw = mailWith(bySmtp, 'By SMTP');
    expect(smtpRaw.length).toBeGreaterThan(20 * MB);
    await send(smtpPort, smtpRaw);
    // Accepted (250) only once stored and recorded: the row is there when sendMail resolves.
    expect((await rows(g)).map((r) => r.sha256)).toEqual([sha(smtpRaw)]);
    await done(g, 1);
    await expectStored(g, dataDir, smtpRaw, bySmtp, 1);

    const byImap = randomBytes(16 * MB);
    const imapRaw = mailWith(byImap, 'By IMAP');
    await peers.dovecot.append(imapRaw, box);
    await done(g, 2);
    await expectStored(g, dataDir, imapRaw, byImap, 2);
  });

  it('records a large message whose parse fails as failed, keeps its raw file, and goes on', async () => {
    const { g, box, smtpPort, dataDir } = await start();
    // A header block past the MIME parser's 1 MiB bound: the parse throws, on the spooled path.
    const bomb = Buffer.from(`From: ada@example.com\r\nTo: ${SUPPORT}\r\nSubject: bomb\r\nX-Padding: ${'a'.repeat(SPOOL_BYTES + 100_000)}\r\n\r\nbody\r\n`);
    await send(smtpPort, bomb);
    await peers.dovecot.append(Buffer.from(bomb.toString().replace('Subject: bomb', 'Subject: bomb by IMAP')), box);
    await peers.dovecot.append(clientMail({ subject: 'After the bombs', body: 'fine' }).raw, box);
    const all = await done(g, 3);
    for (const row of all.slice(0, 2)) {
      expect(row.state).toBe('failed');
      expect(row.outcome).toMatch(/^parse failed: .*header size/i);
      expect(row.size).toBeGreaterThan(SPOOL_BYTES);
      const file = path.join(dataDir, 'raw', row.raw_path);
      expect(existsSync(file) && sha(readFileSync(file))).toBe(row.sha256);
    }
    expect(readFileSync(path.join(dataDir, 'raw', all[0]!.raw_path)).equals(bomb)).toBe(true);
    expect(all[2]).toMatchObject({ state: 'processed', outcome: 'ticket' });
    expect((await getTicket(g, 1)).summary).toBe('After the bombs');
    expect(leftovers(path.join(dataDir, 'raw'))).toEqual([]);
  });
});

// A throwaway Dovecot per call, so integration tests talk real IMAP (IDLE, UIDPLUS, MOVE) instead of a
// mock that agrees with whatever the poller assumes. Each instance lives in its own temp folder and
// loopback port, so parallel test files never share a mailbox. Config follows /work/shared/STACK.md:
// as root Dovecot's internal users run the services; as a normal user everything runs as that user
// without chroot. Delivery goes through IMAP APPEND, which is what an MTA delivery looks like to us.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';

const run = promisify(execFile);

export interface Dovecot {
  host: '127.0.0.1';
  port: number;
  /** The first user (default `support`/`secret`). */
  user: string;
  pass: string;
  /** imap://user:pass@127.0.0.1:PORT/INBOX */
  url: string;
  dir: string;
  /** APPENDs like an MTA delivery would; creates the mailbox when it does not exist yet. */
  append(raw: string | Buffer, mailbox?: string): Promise<{ uid: number; uidValidity: number }>;
  /** A connected client as the first user; the caller logs out. */
  connect(): Promise<ImapFlow>;
  /** SIGTERM and wait for exit. Removes the folder unless `keep` (then `start()` can bring it back). */
  stop(opts?: { keep?: boolean }): Promise<void>;
  /** Starts a stopped instance again on the same port with the same mail. */
  start(): Promise<void>;
}

const SEARCH_PATH = ['/usr/sbin', '/usr/local/sbin', '/sbin'];
const INSTALL_HINT =
  'Install it with `sudo apt-get update && sudo apt-get install -y dovecot-imapd` (Debian/Ubuntu); ' +
  'the system service need not run, the tests start their own instance.';

function dovecotBinary(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...SEARCH_PATH];
  for (const dir of dirs) {
    const file = path.join(dir, 'dovecot');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}

const isRoot = () => process.getuid?.() === 0;

export function dovecotAvailable(): boolean {
  return dovecotBinary() !== null;
}

let installing: Promise<boolean> | null = null;

/** Installs dovecot-imapd when running as root and it is missing; resolves whether Dovecot is usable. */
export function ensureDovecotInstalled(): Promise<boolean> {
  if (dovecotAvailable()) return Promise.resolve(true);
  if (!isRoot()) return Promise.resolve(false);
  installing ??= (async () => {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // Another apt may hold the lock (the machine image installs packages in the background).
    const install = () =>
      run('apt-get', ['-o', 'DPkg::Lock::Timeout=180', 'install', '-y', '-q', 'dovecot-imapd'], { env });
    try {
      await install();
    } catch {
      try {
        await run('apt-get', ['-o', 'DPkg::Lock::Timeout=180', 'update', '-q'], { env });
        await install();
      } catch (err) {
        console.warn(`[dovecot] apt-get install dovecot-imapd failed: ${(err as Error).message}`);
      }
    }
    return dovecotAvailable();
  })();
  return installing;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number): string {
  const me = os.userInfo();
  const root = isRoot();
  const internalUser = root ? 'dovecot' : me.username;
  const internalGroup = root ? 'dovecot' : groupName();
  const loginUser = root ? 'dovenull' : me.username;
  const ids = root ? 'uid=dovecot gid=dovecot' : `uid=${me.uid} gid=${me.gid}`;
  // chroot needs CAP_SYS_CHROOT, which a normal user lacks.
  const noChroot = root ? '' : '  chroot =\n';
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 0
mail_location = maildir:${dir}/mail/%u
mail_fsync = never
default_internal_user = ${internalUser}
default_internal_group = ${internalGroup}
default_login_user = ${loginUser}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = ${ids} home=${dir}/mail/%u
}
service imap-login {
${noChroot}  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
${noChroot}}
`;
}

function groupName(): string {
  // os.userInfo() has no group name and Dovecot wants a name, not a gid.
  const res = spawnSync('id', ['-gn'], { encoding: 'utf8' });
  return res.status === 0 && res.stdout.trim() ? res.stdout.trim() : String(os.userInfo().gid);
}

const live = new Set<ChildProcess>();
// A crashed test run must not leave Dovecot masters behind holding ports.
process.once('exit', () => {
  for (const child of live) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    child.kill(signal); // the group is gone already
  }
}

/** Dovecot's unprivileged users must be able to walk down to the mail folder. */
async function makeSearchable(dir: string): Promise<void> {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) await chmod(d, mode | 0o055);
    if (d === path.dirname(d)) break;
  }
}

async function waitForGreeting(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('Dovecot exited during start-up');
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const done = (v: boolean) => {
        socket.destroy();
        resolve(v);
      };
      socket.setTimeout(1000, () => done(false));
      socket.once('error', () => done(false));
      socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('* OK')));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Dovecot did not greet on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export async function startDovecot(opts: { users?: Record<string, string> } = {}): Promise<Dovecot> {
  if (!dovecotAvailable() && !(await ensureDovecotInstalled())) {
    throw new Error(
      `DOVECOT IS MISSING: no \`dovecot\` binary on PATH or in ${SEARCH_PATH.join(', ')}, so the IMAP ` +
        `integration tests cannot run. ${INSTALL_HINT}`,
    );
  }
  const bin = dovecotBinary()!;
  const users = opts.users ?? { support: 'secret' };
  const [first] = Object.entries(users);
  if (!first) throw new Error('startDovecot: users must not be empty');
  const [user, pass] = first;

  const dir = await mkdtemp(path.join(os.tmpdir(), 'guichet-dovecot-'));
  await chmod(dir, 0o755);
  if (isRoot()) await makeSearchable(dir);
  for (const sub of ['run', 'state', 'mail']) await mkdir(path.join(dir, sub));
  if (isRoot()) {
    const { uid, gid } = idsOf('dovecot');
    await chown(path.join(dir, 'mail'), uid, gid);
  }
  await writeFile(
    path.join(dir, 'users'),
    Object.entries(users).map(([u, p]) => `${u}:{PLAIN}${p}\n`).join(''),
    { mode: 0o644 },
  );
  const port = await freePort();
  const confPath = path.join(dir, 'dovecot.conf');
  await writeFile(confPath, config(dir, port), { mode: 0o644 });

  let child: ChildProcess | null = null;

  async function start(): Promise<void> {
    if (child) return;
    // Its own process group, so stop() reaches the imap processes too: they outlive the master
    // (holding client connections open) when only the master gets SIGTERM.
    const proc = spawn(bin, ['-F', '-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    child = proc;
    try {
      await waitForGreeting(port, proc, 10_000);
    } catch (err) {
      await stop({ keep: true });
      const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
      const detail = `stderr: ${stderr.trim()}\n${dir}/dovecot.log ends:\n${log.slice(-2000)}`;
      throw new Error(`${(err as Error).message}\n${detail}`);
    }
  }

  async function stop(o: { keep?: boolean } = {}): Promise<void> {
    const proc = child;
    child = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      killGroup(proc, 'SIGTERM');
      const timer = setTimeout(() => killGroup(proc, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  }

  async function connect(): Promise<ImapFlow> {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass }, logger: false });
    client.on('error', () => {}); // surfaced through the rejected command instead
    await client.connect();
    return client;
  }

  async function append(raw: string | Buffer, mailbox = 'INBOX') {
    const client = await connect();
    try {
      if (mailbox !== 'INBOX') await client.mailboxCreate(mailbox).catch(() => {}); // exists already
      const res = await client.append(mailbox, raw);
      if (!res || res.uid === undefined) throw new Error(`APPEND to ${mailbox} failed or returned no UID`);
      return { uid: res.uid, uidValidity: Number(res.uidValidity) };
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  await start();
  const url = `imap://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@127.0.0.1:${port}/INBOX`;
  return { host: '127.0.0.1', port, user, pass, url, dir, append, connect, stop, start };
}

function idsOf(name: string): { uid: number; gid: number } {
  const id = (flag: string) => {
    const res = spawnSync('id', [flag, name], { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`no system user ${name}: ${res.stderr.trim()}`);
    return Number(res.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config.ts';

function dirWith(config?: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'guichet-config-'));
  if (config) writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

describe('config', () => {
  it('runs the demo when there is no file and no GUICHET_* variable', () => {
    const cwd = dirWith();
    const c = loadConfig({ env: {}, cwd });
    expect(c.demo).toBe(true);
    expect(c.database.url).toBe(`sqlite:${path.join(cwd, 'data/guichet.db')}`);
    expect(c.smtpIntake).toEqual({ listen: { host: '127.0.0.1', port: 2525 }, maxClients: 20, auth: null, allowedClients: null });
    expect(c.sending).toEqual({ kind: 'capture', dir: path.join(cwd, 'data/sent') });
  });

  it('lets environment variables override the file', () => {
    const cwd = dirWith({ support: { address: 'help@acme.test' }, smtp: { url: 'smtp://a:b@mail.acme.test:587' } });
    const c = loadConfig({
      cwd,
      env: {
        GUICHET_DATABASE_URL: 'postgres://u@db/guichet',
        GUICHET_IMAP_URL: 'imaps://u:p@imap.acme.test:993/INBOX',
        GUICHET_SUPPORT_ADDRESS: 'support@acme.test',
        GUICHET_API_TOKEN: 'x'.repeat(20),
        GUICHET_ADMIN_LISTEN: '0.0.0.0:9000',
      },
    });
    expect(c.demo).toBe(false);
    expect(c.database.url).toBe('postgres://u@db/guichet');
    expect(c.imap?.url).toBe('imaps://u:p@imap.acme.test:993/INBOX');
    expect(c.support.address).toBe('support@acme.test');
    expect(c.admin).toEqual({ listen: { host: '0.0.0.0', port: 9000 }, apiToken: 'x'.repeat(20) });
  });

  it('needs no file when the variables are enough', () => {
    const c = loadConfig({ cwd: dirWith(), env: { GUICHET_SUPPORT_ADDRESS: 's@acme.test', GUICHET_SMTP_URL: 'smtp://localhost:25' } });
    expect(c.demo).toBe(false);
    expect(c.sending).toEqual({ kind: 'smtp', url: 'smtp://localhost:25', tlsRejectUnauthorized: true });
  });

  it('lists every problem with its key', () => {
    let error: unknown;
    try {
      parseConfig({ support: { address: 'not-an-address' }, imap: { url: 'http://x' }, admin: { listen: 'nowhere' }, bogus: 1 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/support\.address/);
    expect(problems).toMatch(/imap\.url: expected imap:\/\//);
    expect(problems).toMatch(/admin\.listen: expected host:port/);
    expect(problems).toMatch(/bogus/);
    expect(problems).toMatch(/smtp: set smtp\.url/);
  });

  it('makes each exclusive choice once: mail is sent or captured, never both', () => {
    expect(() => parseConfig({ support: { address: 's@acme.test' }, smtp: { url: 'smtp://localhost:25' }, outbox: { captureDir: './sent' } }))
      .toThrow(/outbox\.captureDir: set smtp\.url or outbox\.captureDir, not both/);
    const c = parseConfig({ support: { address: 's@acme.test' }, outbox: { captureDir: './sent' }, imap: { url: 'imap://u:p@h/INBOX', markAs: { move: 'Done' } } });
    expect(c.sending).toEqual({ kind: 'capture', dir: './sent' });
    expect(c.imap?.markAs).toEqual({ kind: 'move', folder: 'Done' });
  });

  it('refuses a config file that is not JSON', () => {
    const dir = dirWith();
    writeFileSync(path.join(dir, 'config.json'), '{ nope');
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/not valid JSON/);
  });
});

// The mailbox's leadership when the leader's connection dies without either end being told (a
// firewall or NAT forgetting it): a TCP relay between the leader and PostgreSQL stops passing the
// bytes of the connections it holds, keeping them open, as such a network does. The leader must
// notice, end its former session on the server once it reaches it again (freeing the lock), and at
// no moment may two processes lead. PostgreSQL only: on SQLite one process always leads.
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startLeadership, type Leadership } from '../../src/db/advisory-lock.ts';
import { testEngines } from '../support/databases.ts';

const engines = (await testEngines()).filter((e) => e.name === 'postgres');
if (!engines.length) console.warn('[leadership] PostgreSQL unreachable: the leadership tests are SKIPPED');

/** A TCP relay to `target` whose open connections can be silenced (bytes dropped, sockets kept). */
async function relay(target: URL): Promise<{ port: number; silence(): void; close(): Promise<void> }> {
  const open: Array<{ client: net.Socket; upstream: net.Socket; silent: boolean }> = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    const pair = { client, upstream, silent: false };
    open.push(pair);
    client.on('data', (b) => { if (!pair.silent) upstream.write(b); });
    upstream.on('data', (b) => { if (!pair.silent) client.write(b); });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', () => { if (!pair.silent) end(); });
    upstream.on('error', end).on('close', () => { if (!pair.silent) end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    silence: () => { for (const p of open) p.silent = true; },
    close: async () => {
      for (const p of open) { p.client.destroy(); p.upstream.destroy(); }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

(engines.length ? describe : describe.skip)('mailbox leadership on postgres', () => {
  afterAll(async () => {
    for (const e of engines) await e.cleanup();
  });

  it('passes on when the leader\'s connection goes silent, never to two leaders at once', async () => {
    const url = new URL(await engines[0]!.freshUrl());
    const network = await relay(url);
    const viaRelay = new URL(url);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(network.port);
    const events: string[] = [];
    const both: string[] = [];
    const start = (name: string, at: URL) => startLeadership({
      url: at.toString(), name: 'mailbox:test', retryMs: 200, checkTimeoutMs: 1000,
      onLead: async () => { events.push(`${name} leads`); },
      onLose: async () => { events.push(`${name} loses`); },
    });
    let a: Leadership | undefined, b: Leadership | undefined;
    try {
      a = await start('a', viaRelay);
      expect(a.leading()).toBe(true);
      b = await start('b', url);
      await new Promise((r) => setTimeout(r, 500));
      expect(b.leading()).toBe(false);

      const watch = setInterval(() => { if (a!.leading() && b!.leading()) both.push(new Date().toISOString()); }, 20);
      const cut = Date.now();
      network.silence();
      // a notices within retryMs + checkTimeoutMs, reconnects through the relay (new connections
      // pass), ends its former session; then a or b takes the lock.
      while (Date.now() - cut < 15_000 && !(events.includes('a loses') && (a.leading() || b.leading()))) {
        await new Promise((r) => setTimeout(r, 50));
      }
      clearInterval(watch);
      const after = Date.now() - cut;
      expect(events).toContain('a loses');
      expect(a.leading() || b.leading()).toBe(true);
      expect(after).toBeLessThan(5000); // without ending the silent session, the lock would stay held until the server's keepalive gave up
      expect(both).toEqual([]);
    } finally {
      await a?.stop();
      await b?.stop();
      await network.close();
    }
  });
});

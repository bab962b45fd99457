/**
 * End to end: `vmta start --role listener --listener-processes 2` as real processes on a private Redis
 * (AOF, fsync always). The primary owns the sockets (plain and implicit TLS) and hands connections to two
 * children: mail is queued from both, the connection limits hold over both, a reload reaches both, and a
 * kill -9 of a child or of the primary loses no message that got 250 and leaves no child behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRedis, MessageStore } from '@vmta/queue';
import { canStartPrivateRedis, startPrivateRedis } from '@vmta/testing';
import { b64, queueIdOf, RawSmtp } from '@vmta/listener/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from './support/alive.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Cluster {
  child: ChildProcess;
  file: string;
  lines: Array<Record<string, unknown>>;
  /** Bound port by listener name as configured ("127.0.0.1:0"). */
  ports: Map<string, number>;
  childPids: number[];
  exit: Promise<number | null>;
  events: (event: string) => Array<Record<string, unknown>>;
}

async function startCluster(config: (dir: string) => string, redisUrl: string): Promise<Cluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-lp-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'vmta.conf');
  writeFileSync(file, config(dir));
  const child = spawn(process.execPath, [cli, 'start', '--role', 'listener', '--listener-processes', '2', '--dev-certs', '--config', file], {
    cwd: dir,
    env: { ...process.env, REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const events = (event: string) => lines.filter((l) => l.event === event);
  cleanups.push(async () => {
    const pids = events('started').flatMap((e) => (e.listenerChildPids as number[]) ?? []);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of [...pids, ...events('listener-child-ready').map((e) => e.childPid as number)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  await expect.poll(() => events('started').length + (child.exitCode !== null ? 100 : 0), { timeout: 30_000 }).toBe(1);
  const started = events('started')[0]!;
  const ports = new Map(events('listening').filter((e) => e.component === 'listener-primary').map((e) => [e.listener as string, e.port as number]));
  return { child, file, lines, ports, childPids: started.listenerChildPids as number[], exit, events };
}

async function privateRedisUrl(): Promise<{ url: string; store: MessageStore }> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.dispose());
  const conn = createRedis(redis.url, 'cli');
  cleanups.push(() => conn.disconnect());
  return { url: redis.url, store: new MessageStore(conn, { prefix: 'vmta' }) };
}

/** One message on an open session; the queue id when it got 250. */
async function sendOne(c: RawSmtp, tag: string): Promise<string | undefined> {
  let r = await c.command('MAIL FROM:<sender@client.example>');
  if (r.code !== 250) return undefined;
  r = await c.command(`RCPT TO:<rcpt-${tag}@dest.example>`);
  if (r.code !== 250) return undefined;
  r = await c.command('DATA');
  if (r.code !== 354) return undefined;
  c.write(`Subject: ${tag}\r\nMessage-ID: <${tag}@client.example>\r\n\r\n${'body line\r\n'.repeat(50)}.\r\n`);
  r = await c.read();
  return r.code === 250 ? queueIdOf(r) : undefined;
}

/** The greeting of a connection from `localAddress` (the socket stays open until close()). */
async function greet(port: number, localAddress: string): Promise<{ code: number; text: string; close: () => Promise<void> }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  const text = await new Promise<string>((resolve) => {
    let buf = '';
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) resolve(buf);
    });
    socket.once('close', () => resolve(buf));
  });
  const closed = new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
  return {
    code: Number(text.slice(0, 3)),
    text,
    close: async () => {
      socket.end();
      socket.destroy();
      await closed;
    },
  };
}

/** 20 clients sending until stop(): every queue id that got 250, by client; a dropped connection is opened again. */
function load(port: () => number, clients = 20) {
  const acked: string[] = [];
  let stopped = false;
  const run = async (n: number) => {
    for (let i = 0; !stopped; ) {
      let c: RawSmtp;
      try {
        c = await RawSmtp.connect(port());
        if ((await c.read()).code !== 220) throw new Error('not greeted');
        await c.command(`EHLO client${n}.example`);
      } catch {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        while (!stopped) {
          const id = await sendOne(c, `c${n}m${i++}`);
          if (!id) break;
          acked.push(id);
        }
      } catch {
        /* the connection died with its process */
      }
      c.close();
    }
  };
  const all = Array.from({ length: clients }, (_, n) => run(n));
  return {
    acked,
    stop: async () => {
      stopped = true;
      await Promise.all(all);
    },
  };
}

async function expectAllQueued(store: MessageStore, ids: string[]): Promise<void> {
  const missing: string[] = [];
  for (const id of ids) if (!(await store.get(id))) missing.push(id);
  expect(missing).toEqual([]);
}

const BASE = 'host-name mx.lp.example\nrelay-domain [*.]dest.example\n';

describe.skipIf(!canStartPrivateRedis())('vmta start --listener-processes 2', () => {
  it('queues mail from both children on a plain and an implicit-TLS port, and exits 0 on SIGTERM', { timeout: 90_000 }, async () => {
    const { url, store } = await privateRedisUrl();
    // --dev-certs makes cert.pem (self-signed) before the listeners start.
    const vmta = await startCluster(() => {
      return `${BASE}smtp-server-tls-certificate cert.pem\nsmtp-listener 127.0.0.1:0\n<smtp-listener 127.0.0.2:0>\n  immediate-tls yes\n</smtp-listener>\n<source 0/0>\n  log-connections yes\n  allow-starttls yes\n  max-smtp-in-per-ip 2\n</source>\n`;
    }, url);
    expect(vmta.childPids).toHaveLength(2);
    const ids: string[] = [];
    // Two sessions open at once on each port: the least loaded child gets each, so both serve.
    for (const [name, tls, host] of [['127.0.0.1:0', false, '127.0.0.1'], ['127.0.0.2:0', true, '127.0.0.2']] as const) {
      const a = await RawSmtp.connect(vmta.ports.get(name)!, host, { tls });
      const b = await RawSmtp.connect(vmta.ports.get(name)!, host, { tls });
      for (const [i, c] of [a, b].entries()) {
        expect((await c.read()).code).toBe(220);
        await c.command('EHLO client.example');
        const id = await sendOne(c, `${tls ? 'tls' : 'plain'}${i}`);
        expect(id).toBeDefined();
        ids.push(id!);
      }
      a.close();
      b.close();
    }
    // A session that went through STARTTLS frees its place too (smtp-server drops the raw socket's
    // listeners at STARTTLS): one after the other, more than max-smtp-in-per-ip of them get in.
    for (let i = 0; i < 4; i++) {
      await expect
        .poll(
          async () => {
            const c = await RawSmtp.connect(vmta.ports.get('127.0.0.1:0')!);
            try {
              const code = (await c.read()).code;
              if (code !== 220) return code;
              await c.command('EHLO client.example');
              if ((await c.command('STARTTLS')).code !== 220) return 'no STARTTLS';
              await c.startTls();
              await c.command('EHLO client.example');
              return (await c.command('QUIT')).code === 221 ? 220 : 'no 221';
            } finally {
              c.close();
            }
          },
          { timeout: 10_000 },
        )
        .toBe(220);
    }
    await expectAllQueued(store, ids);
    await expect.poll(() => new Set(vmta.events('connect').map((e) => e.pid)).size, { timeout: 5_000 }).toBe(2);
    expect(new Set(vmta.events('connect').map((e) => e.pid))).toEqual(new Set(vmta.childPids));
    vmta.child.kill('SIGTERM');
    expect(await vmta.exit).toBe(0);
    for (const pid of vmta.childPids) expect(alive(pid)).toBe(false);
  });

  it('holds max-smtp-in-per-ip and total-max-smtp-in over both children', { timeout: 90_000 }, async () => {
    const { url } = await privateRedisUrl();
    const vmta = await startCluster(() => `${BASE}total-max-smtp-in 4\nsmtp-listener 127.0.0.1:0\n<source 0/0>\n  max-smtp-in-per-ip 2\n</source>\n`, url);
    const port = vmta.ports.get('127.0.0.1:0')!;
    const open: Array<{ close: () => Promise<void> }> = [];
    cleanups.push(async () => {
      for (const c of open) await c.close();
    });
    for (const from of ['127.0.0.11', '127.0.0.11']) {
      const g = await greet(port, from);
      expect(g.code).toBe(220);
      open.push(g);
    }
    const third = await greet(port, '127.0.0.11');
    expect([third.code, third.text]).toEqual([421, expect.stringContaining('Too many connections from your address')]);
    await third.close();
    // The refused session holds its place in the primary's count until its child reports the close (an IPC
    // message racing this client's next connection), as a session in one process does until it closes.
    const admitted = (from: string) =>
      expect
        .poll(
          async () => {
            const g = await greet(port, from);
            if (g.code === 220) open.push(g);
            else await g.close();
            return g.code;
          },
          { timeout: 10_000 },
        )
        .toBe(220);
    for (const from of ['127.0.0.12', '127.0.0.13']) await admitted(from);
    const fifth = await greet(port, '127.0.0.14');
    expect([fifth.code, fifth.text]).toEqual([421, expect.stringContaining('Too many connections, try again later')]);
    await fifth.close();
    // A session that ends frees its place (the child tells the primary).
    await open.shift()!.close();
    await admitted('127.0.0.11');
  });

  it('reloads both children on SIGHUP', { timeout: 90_000 }, async () => {
    const { url } = await privateRedisUrl();
    const conf = (users: string[]) =>
      `${BASE}smtp-listener 127.0.0.1:0\n${users.map((u) => `<smtp-user ${u}>\n  password pw-${u}\n</smtp-user>\n`).join('')}<source 0/0>\n  allow-unencrypted-plain-auth yes\n</source>\n`;
    const vmta = await startCluster(() => conf(['alice']), url);
    const port = vmta.ports.get('127.0.0.1:0')!;
    // The file keeps the port the listener got, so the reload keeps the socket.
    writeFileSync(vmta.file, conf(['alice', 'bob']).replace('127.0.0.1:0', `127.0.0.1:${port}`));
    vmta.child.kill('SIGHUP');
    await expect.poll(() => vmta.events('config-reloaded').length, { timeout: 20_000 }).toBe(1);
    const sessions = [await RawSmtp.connect(port), await RawSmtp.connect(port)];
    for (const c of sessions) {
      expect((await c.read()).code).toBe(220);
      await c.command('EHLO client.example');
    }
    for (const c of sessions) expect((await c.command(`AUTH PLAIN ${b64('\0bob\0pw-bob')}`)).code).toBe(235);
    sessions.forEach((c) => c.close());
    expect(vmta.lines.filter((l) => l.event === 'listener-child-reload-failed')).toEqual([]);
  });

  it('keeps every message that got 250 when a child is killed with SIGKILL under load, replaces the child and goes on accepting', { timeout: 120_000 }, async () => {
    const { url, store } = await privateRedisUrl();
    const vmta = await startCluster(() => `${BASE}total-max-smtp-in 100\nsmtp-listener 127.0.0.1:0\n`, url);
    const port = vmta.ports.get('127.0.0.1:0')!;
    const traffic = load(() => port);
    while (traffic.acked.length < 60) await new Promise((r) => setTimeout(r, 20));
    const victim = vmta.childPids[0]!;
    process.kill(victim, 'SIGKILL');
    const atKill = traffic.acked.length;
    await expect.poll(() => vmta.events('listener-child-died').length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => vmta.events('listener-child-ready').length, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    while (traffic.acked.length < atKill + 60) await new Promise((r) => setTimeout(r, 20));
    await traffic.stop();
    expect(vmta.child.exitCode).toBeNull();
    await expectAllQueued(store, traffic.acked);
    vmta.child.kill('SIGTERM');
    expect(await vmta.exit).toBe(0);
  });

  it('leaves no child behind and loses no message that got 250 when the primary is killed with SIGKILL under load', { timeout: 120_000 }, async () => {
    const { url, store } = await privateRedisUrl();
    const vmta = await startCluster(() => `${BASE}total-max-smtp-in 100\nsmtp-listener 127.0.0.1:0\n`, url);
    const port = vmta.ports.get('127.0.0.1:0')!;
    const traffic = load(() => port);
    while (traffic.acked.length < 60) await new Promise((r) => setTimeout(r, 20));
    vmta.child.kill('SIGKILL');
    await vmta.exit;
    await expect.poll(() => vmta.childPids.filter(alive).length, { timeout: 30_000 }).toBe(0);
    await traffic.stop();
    await expectAllQueued(store, traffic.acked);
  });
});

/**
 * `vmta show status`, `vmta show vmtas` and `vmta delete --queue` against a running
 * `vmta start`: the process registers itself, serves its VMTAs, carries out deletes
 * (with and without DSN), and leaves the process list when it stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageStore, QueueOps } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { startReceiver, type Receiver } from '@vmta/delivery/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'packages/cli/dist/main.js');
const POLL = { timeout: 30_000 };

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe('vmta show status, show vmtas and delete against a running vmta start', { timeout: 90_000 }, () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let ops: QueueOps;
  let receiver: Receiver;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let env: NodeJS.ProcessEnv;
  let conf: string;
  let port: number;

  /** Runs a `vmta` command without blocking this process (the receiver lives here). */
  const vmta = (...args: string[]): Promise<Ran> =>
    new Promise((resolve, reject) => {
      const p = spawn(process.execPath, [main, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.once('error', reject);
      p.once('close', (status) => resolve({ status, stdout, stderr }));
    });
  const statusJson = async () => JSON.parse((await vmta('show', 'status', '--json')).stdout) as { processes: Array<Record<string, unknown>>; queues: number };
  const message = (from: string, recipients: string[]) => testMessage(recipients, { mailFrom: from });

  beforeAll(async () => {
    t = await getTestRedis();
    const prefix = t.prefix.slice(0, -1);
    redis = new Redis(t.url);
    store = new MessageStore(redis, { prefix });
    ops = new QueueOps(redis, prefix);
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-status-'));
    conf = path.join(dir, 'vmta.conf');
    writeFileSync(
      conf,
      [
        'host-name mx.status.example',
        'smtp-listener 127.0.0.1:0',
        '<virtual-mta mta1>',
        '  smtp-source-host 127.0.0.2 mta1.status.example',
        '</virtual-mta>',
        '<virtual-mta mta2>',
        '  smtp-source-host 127.0.0.3 mta2.status.example',
        '</virtual-mta>',
        '<virtual-mta-pool pool1>',
        '  virtual-mta mta1',
        '  virtual-mta mta2',
        '</virtual-mta-pool>',
        '<domain *>',
        `  smtp-hosts [127.0.0.10]:${receiver.port}`,
        '</domain>',
      ].join('\n'),
    );
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix };
    delete env.VMTA_CONFIG;
    child = spawn(process.execPath, [main, 'start', '--config', conf], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    port = await new Promise<number>((resolve, reject) => {
      let listening = 0;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const ev = JSON.parse(line) as { event?: string; port?: number };
        if (ev.event === 'listening' && ev.port) listening = ev.port;
        if (ev.event === 'started') resolve(listening);
      });
      child.once('exit', (code) => reject(new Error(`vmta exited with ${code}`)));
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await store?.dispatcher.close();
    await receiver?.close();
    await t?.cleanup();
    redis?.disconnect();
  });

  it('lists the running process with its role, pid, listeners and the VMTAs it serves', async () => {
    const { processes } = await statusJson();
    expect(processes).toHaveLength(1);
    const p = processes[0]!;
    expect(p).toMatchObject({ role: 'all', pid: child.pid, alive: true, listeners: [`127.0.0.1:${port}`] });
    // It says it reads zstd bodies, so listeners write zstd (the default body-compression).
    expect(p.bodyEncodings).toEqual(['raw', 'deflate', 'zstd']);
    expect(p.id).toMatch(new RegExp(`:${child.pid}:[0-9a-f]+$`));
    expect(p.vmtas).toEqual(expect.arrayContaining(['mta1', 'mta2']));
    const human = await vmta('show', 'status');
    expect(human.status).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^queues: \d+ {3}processes: 1 alive$/);
    expect(lines).toContain('zstd bodies: every alive delivery process reads them (listeners set to zstd write zstd)');
    expect(lines.find((l) => l.startsWith('PROCESS'))).toMatch(/^PROCESS\s+ROLE\s+HOST\s+PID\s+ALIVE\s+UPTIME\s+LAST SEEN\s+VMTAS\s+LISTENERS$/);
    expect(lines.find((l) => l.startsWith(String(p.id)))).toMatch(new RegExp(`\\sall\\s.*\\s${child.pid}\\s+yes\\s`));
  });

  it('shows every VMTA and pool of the configuration with the process that serves it', async () => {
    const r = await vmta('show', 'vmtas', '--json', '--config', conf);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ name: string; kind: string; members: string[]; sourceHosts: string[]; servedBy: string[] }>;
    const { processes } = await statusJson();
    const id = processes[0]!.id;
    expect(rows.map((row) => [row.name, row.kind])).toEqual([
      ['mta1', 'vmta'],
      ['mta2', 'vmta'],
      ['pool1', 'pool'],
    ]);
    expect(rows[0]).toMatchObject({ sourceHosts: ['127.0.0.2 mta1.status.example'], servedBy: [id] });
    expect(rows[2]).toMatchObject({ members: ['mta1', 'mta2'], servedBy: [id] });
    const human = await vmta('show', 'vmtas', '--config', conf);
    expect(human.stdout.split('\n')[0]).toMatch(/^VMTA\s+KIND\s+SOURCE HOSTS\s+QUEUES\s+QUEUED\s+INFLIGHT\s+CONNS\s+SERVED BY$/);
  });

  it('describes the configuration the running process was started with, not the config/vmta.conf of the directory the command runs in', async () => {
    expect((await statusJson()).processes[0]).toMatchObject({ config: conf });
    // run from the repository root, which has the example config/vmta.conf; no --config, no VMTA_CONFIG
    const rows = JSON.parse((await vmta('show', 'vmtas', '--json')).stdout) as Array<{ name: string; sourceHosts: string[] }>;
    expect(rows.find((r) => r.name === 'mta1')?.sourceHosts).toEqual(['127.0.0.2 mta1.status.example']);
    const settings = await vmta('show', 'settings', 'any.example/mta1');
    expect(settings.status).toBe(0);
    expect(settings.stdout).toContain(`${conf}:14`);
    // an explicit --config still wins
    expect((await vmta('show', 'settings', 'any.example/mta1', '--config', path.join(root, 'config/vmta.conf'))).stdout).not.toContain(conf);
  });

  it('deletes the mail of a paused queue: silently, then with a DSN to the sender', async () => {
    const q = 'held.example/mta1';
    expect((await vmta('pause', 'queue', q)).status).toBe(0);
    await store.enqueue(message('first@sender.example', ['a@held.example', 'b@held.example']));
    // Paused: the mail stays (the token of the queue sees the mode and goes away).
    expect((await ops.stats(q)).queued).toBe(2);
    const quiet = await vmta('delete', '--queue', q);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).toContain(`${q}: 2 recipients to delete (no DSN)`);
    expect(quiet.stderr).toBe('');
    await expect.poll(async () => (await ops.stats(q)).queued, POLL).toBe(0);
    expect(await ops.stats(q)).toMatchObject({ bounced: 2, mode: 'paused' });

    await store.enqueue(message('second@sender.example', ['c@held.example']));
    const loud = await vmta('delete', '--queue', 'held.*/mta1', '--dsn');
    expect(loud.status).toBe(0);
    expect(loud.stdout).toContain(`${q}: 1 recipient to delete, senders get a DSN`);
    const dsns = () => receiver.messages.filter((m) => m.from === '');
    await expect.poll(() => dsns().length, POLL).toBe(1);
    expect(dsns()[0]!.to).toEqual(['second@sender.example']);
    expect(dsns()[0]!.body).toContain('Final-Recipient: rfc822; c@held.example');
    expect(dsns()[0]!.body).toContain('deleted by the operator');
    expect((await ops.stats(q)).queued).toBe(0);
    // No mail of the held queue ever left.
    expect(receiver.messages.flatMap((m) => m.to).filter((a) => a.endsWith('@held.example'))).toEqual([]);
  });

  it('exits 1 when no queue matches and 2 without --queue', async () => {
    const none = await vmta('delete', '--queue', 'nothing.example/*');
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('no queue matches nothing.example/*');
    expect((await vmta('delete')).status).toBe(2);
    expect((await vmta('delete', '--queue', 'no-slash')).status).toBe(2);
  });

  it('holds the mail of a paused queue and delivers it after resume', async () => {
    const q = 'hold.example/mta1';
    expect((await vmta('pause', 'queue', q)).status).toBe(0);
    await store.enqueue(message('p@sender.example', ['x@hold.example']));
    await store.enqueue(message('p@sender.example', ['y@free.example']));
    // The unpaused queue is delivered; by then the paused one has had every chance to go too.
    await expect.poll(() => receiver.messages.some((m) => m.to.includes('y@free.example')), POLL).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(receiver.messages.some((m) => m.to.includes('x@hold.example'))).toBe(false);
    expect(await ops.stats(q)).toMatchObject({ queued: 1, mode: 'paused' });
    expect((await vmta('resume', 'queue', q)).status).toBe(0);
    await expect.poll(() => receiver.messages.some((m) => m.to.includes('x@hold.example')), POLL).toBe(true);
    await expect.poll(async () => (await ops.stats(q)).queued, POLL).toBe(0);
  });

  it('leaves the process list when it stops', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect((await statusJson()).processes).toEqual([]);
  });
});

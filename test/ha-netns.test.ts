/**
 * Several hosts on one machine (network namespaces, 10.200.0.0/24, nothing outside them): a Redis
 * primary, a replica, three Sentinels, two listener hosts, two delivery hosts whose VMTAs own
 * different source addresses, a receiver host and a load host. Under a steady load through both
 * listeners the Redis primary dies (the Sentinels promote the replica), one listener and one
 * delivery host are killed with -9, then all three come back. At the end every message that got
 * 250 arrived, from the source address of its VMTA, no VMTA had more connections open at the
 * receiver than its max-smtp-out, and none delivered faster than its max-msg-rate, counted by
 * the receiver's clock. Root only: skipped with the reason elsewhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetwork, netnsSkipReason, type Network, type NetnsHost } from '@vmta/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { haConfig, lines, maxInWindow, sleep, until } from './ha/harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const reason = netnsSkipReason();
if (reason) console.warn(`multi-host harness skipped: ${reason}`);

const IP = {
  redis1: '10.200.0.11',
  redis2: '10.200.0.12',
  s1: '10.200.0.21',
  s2: '10.200.0.22',
  s3: '10.200.0.23',
  l1: '10.200.0.31',
  l2: '10.200.0.32',
  d1: '10.200.0.41',
  d2: '10.200.0.42',
  rcv: '10.200.0.51',
  load: '10.200.0.61',
} as const;
type HostName = keyof typeof IP;
const MAX_SMTP_OUT = 2;
/** Per queue (each VMTA has one queue here, dest.ha.test/mtaN) and so per source address. */
const MAX_MSG_PER_SEC = 4;
const MESSAGES = 600;
/**
 * 25 msg/s offered, 12.5 per VMTA; with the failover and the kills about half gets 250 (≈ 5.5/s
 * per VMTA in a run at load 11): still above max-msg-rate, so the limit binds and the queues back up.
 */
const GAP_MS = 40;
/** Windows over which the receiver counts arrivals per source address, and the jitter allowed. */
const RATE_WINDOW_MS = 5000;
const RATE_JITTER_MS = 1000;

const CONFIG = haConfig({ subnet: '10.200.0.0/24', d1: IP.d1, d2: IP.d2, rcv: IP.rcv, domain: [`max-smtp-out ${MAX_SMTP_OUT}`, `max-msg-rate ${MAX_MSG_PER_SEC}/s`, 'retry-after 2s'] });

const step = (what: string) => console.log(`[ha ${new Date().toISOString().slice(11, 19)}] ${what}`);

describe.skipIf(reason !== undefined)('multi-host: Sentinel failover and kill -9 of hosts under load', () => {
  let net: Network;
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-ha-'));

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sleep(200);
    net?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const host = (name: HostName): NetnsHost => net.hosts[name]!;
  const run = (name: HostName, command: string, args: string[], env: Record<string, string> = {}) => {
    const child = host(name).spawn(command, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.resume();
    children.add(child);
    return child;
  };
  /** redis-cli on a host; '' when it cannot connect. */
  const redisCli = (from: HostName, target: string, port: number, ...args: string[]) => {
    try {
      return host(from).run('redis-cli', ['-h', target, '-p', String(port), ...args]).trim();
    } catch {
      return '';
    }
  };
  const redisServer = (name: 'redis1' | 'redis2', replicaOf?: string) =>
    run(name, 'redis-server', ['--bind', IP[name], '--port', '6379', '--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0', '--loglevel', 'warning', ...(replicaOf ? ['--replicaof', replicaOf, '6379'] : [])]);
  const sentinelUrl = `redis-sentinel://${IP.s1}:26379,${IP.s2}:26379,${IP.s3}:26379/ha`;
  const vmta = (name: HostName, role: 'listener' | 'delivery') => {
    const child = run(name, process.execPath, [cli, 'start', '--role', role, '--config', path.join(dir, 'vmta.conf'), '--data-dir', path.join(dir, `data-${name}`)], {
      REDIS_URL: sentinelUrl,
      VMTA_PREFIX: 'ha',
    });
    const started = new Promise<void>((resolve) => lines(child, (ev) => ev.event === 'started' && resolve()));
    return { child, started };
  };

  it('every message that got 250 arrives, from its VMTA source address, within max-smtp-out and max-msg-rate', async () => {
    net = createNetwork({ hosts: Object.fromEntries(Object.entries(IP).map(([name, ip]) => [name, [ip]])) });
    writeFileSync(path.join(dir, 'vmta.conf'), CONFIG);

    // Redis primary, replica, three Sentinels (quorum 2). protected-mode off: no password, and the
    // clients are on other hosts (all inside the namespaces made here).
    redisServer('redis1');
    await until('redis1 up', 10_000, () => redisCli('redis2', IP.redis1, 6379, 'PING') === 'PONG');
    redisServer('redis2', IP.redis1);
    for (const s of ['s1', 's2', 's3'] as const) {
      const conf = path.join(dir, `${s}.conf`);
      writeFileSync(conf, `sentinel monitor ha ${IP.redis1} 6379 2\nsentinel down-after-milliseconds ha 1000\nsentinel failover-timeout ha 10000\n`);
      run(s, 'redis-server', [conf, '--sentinel', '--bind', IP[s], '--port', '26379', '--protected-mode', 'no', '--loglevel', 'warning']);
    }
    await until('Sentinels see each other and the replica', 30_000, () =>
      (['s1', 's2', 's3'] as const).every(
        (s) => redisCli('load', IP[s], 26379, 'SENTINEL', 'sentinels', 'ha').split('\n').filter((l) => l === 'name').length === 2 && redisCli('load', IP[s], 26379, 'SENTINEL', 'replicas', 'ha').includes(IP.redis2),
      ),
    );

    step('Redis primary, replica and Sentinels up');
    // The receiver, then delivery and listener hosts.
    const rcv = run('rcv', process.execPath, [path.join(root, 'test/ha/receiver.mjs'), IP.rcv, '2525']);
    const arrived: Array<{ n: number; from: string; at: number }> = [];
    const maxOpen = new Map<string, number>();
    const rcvUp = new Promise<void>((resolve) =>
      lines(rcv, (ev) => {
        if (ev.up) resolve();
        if (typeof ev.connect === 'string') maxOpen.set(ev.connect, Math.max(maxOpen.get(ev.connect) ?? 0, Number(ev.open)));
        if (typeof ev.n === 'number') arrived.push({ n: ev.n, from: String(ev.from), at: Number(ev.at) });
      }),
    );
    await rcvUp;
    let d1 = vmta('d1', 'delivery');
    const d2 = vmta('d2', 'delivery');
    let l1 = vmta('l1', 'listener');
    const l2 = vmta('l2', 'listener');
    await Promise.all([d1.started, d2.started, l1.started, l2.started]);

    step('receiver, 2 delivery and 2 listener hosts up; load starts');
    // Steady load through both listeners.
    const load = run('load', process.execPath, [path.join(root, 'test/ha/sender.mjs'), `${IP.l1},${IP.l2}`, String(MESSAGES), String(GAP_MS)]);
    const replies = new Map<number, number>();
    const loadDone = new Promise<void>((resolve) =>
      lines(load, (ev) => {
        if (typeof ev.n === 'number') replies.set(ev.n, Number(ev.code));
        if (ev.done) resolve();
      }),
    );
    load.stderr!.on('data', (d: Buffer) => console.log(`[load stderr] ${d.toString().trim()}`));
    const loadExit = new Promise<void>((resolve) => load.once('exit', () => resolve()));
    await sleep(4000);
    const primary = [...children].find((c) => c.spawnargs.includes('redis-server') && c.spawnargs.includes(IP.redis1))!;
    primary.kill('SIGKILL');
    await until('a Sentinel promotes the replica', 30_000, () => redisCli('load', IP.s1, 26379, 'SENTINEL', 'get-master-addr-by-name', 'ha').startsWith(IP.redis2));
    step('primary killed, replica promoted; kill -9 of l1 and d1');
    l1.child.kill('SIGKILL');
    d1.child.kill('SIGKILL');
    await sleep(3000);
    redisServer('redis1'); // the Sentinels make it the new primary's replica
    l1 = vmta('l1', 'listener');
    d1 = vmta('d1', 'delivery');
    await Promise.all([l1.started, d1.started]);
    step('old primary, l1 and d1 back');
    await Promise.race([loadDone, loadExit]);
    step(`load done: ${replies.size} replies`);

    const accepted = [...replies].filter(([, code]) => code === 250).map(([n]) => n);
    // Every accepted message arrives (a message that got 451 may arrive too: see README, WAIT).
    await until('every accepted message arrived', 90_000, () => accepted.every((n) => arrived.some((a) => a.n === n))).catch(() => undefined);
    const missing = accepted.filter((n) => !arrived.some((a) => a.n === n));
    const copies = new Map<number, number>();
    for (const a of arrived) copies.set(a.n, (copies.get(a.n) ?? 0) + 1);
    const twice = [...copies].filter(([, c]) => c > 1).map(([n]) => n);
    const unacknowledged: Record<string, number> = {};
    for (const n of new Set(arrived.map((a) => a.n))) {
      const code = replies.get(n) ?? -1;
      if (code !== 250) unacknowledged[code] = (unacknowledged[code] ?? 0) + 1;
    }
    const perWindow = maxInWindow(arrived, RATE_WINDOW_MS);
    const span = arrived.length > 1 ? (Math.max(...arrived.map((a) => a.at)) - Math.min(...arrived.map((a) => a.at))) / 1000 : 0;
    // The figures first, so a failed run still shows them.
    console.log(JSON.stringify({ accepted: accepted.length, refused: MESSAGES - accepted.length, arrived: arrived.length, missing, twice, unacknowledged, maxOpen: Object.fromEntries(maxOpen), mostPerWindow: Object.fromEntries(perWindow), windowMs: RATE_WINDOW_MS, arrivalSpanS: span }));

    // Enough mail went through for the checks below to mean something (on a loaded machine the
    // restarted hosts take long to come back, and mail offered meanwhile gets 451 or no session).
    expect(accepted.length).toBeGreaterThan(MESSAGES / 4);
    expect(missing).toEqual([]);
    for (const a of arrived) expect(a.from).toBe(a.n % 2 === 0 ? IP.d1 : IP.d2);
    expect([...maxOpen.keys()].sort()).toEqual([IP.d1, IP.d2]);
    for (const [ip, open] of maxOpen) expect(open, `connections open at once from ${ip}`).toBeLessThanOrEqual(MAX_SMTP_OUT);
    // max-msg-rate, cluster-wide, through the failover and the kills: the limiter spaces attempts
    // evenly (GCRA, burst 1), so a window of RATE_WINDOW_MS holds at most rate × window of them;
    // arrivals may bunch up by the jitter of the transaction time, allowed for with RATE_JITTER_MS.
    // The load offers more than the limit, so it binds (mostPerWindow in the line above).
    const allowed = (MAX_MSG_PER_SEC * (RATE_WINDOW_MS + RATE_JITTER_MS)) / 1000;
    for (const [ip, most] of perWindow) expect(most, `most arrivals from ${ip} in ${RATE_WINDOW_MS} ms`).toBeLessThanOrEqual(allowed);
    // Delivery is at-least-once: a message on the wire when its delivery host or the primary died
    // (its outcome not recorded, or not replicated) is sent again. At most one per connection slot
    // (2 VMTAs × max-smtp-out) per kill.
    expect(twice.length).toBeLessThanOrEqual(2 * 2 * MAX_SMTP_OUT);
    // A message that got 451 is discarded, not delivered (the sender sends it again), except one
    // whose WAIT was cut by the primary's death after its write reached the replica (README: WAIT).
    expect(unacknowledged['451'] ?? 0).toBeLessThanOrEqual(4);
  }, 300_000);
});

/**
 * A measurement, not a check of speed: delivery throughput with one delivery host and with two,
 * on network namespaces (one Redis, one listener host, a receiver host, a load host). The same
 * two VMTAs (each its own source address) are served in both runs: by one host that has both
 * addresses, or by two hosts with one each. The mail is queued first (delivery off), then the
 * delivery host(s) start and the receiver's clock gives first-to-last arrival. It does check
 * that every accepted message arrived exactly once from its VMTA's address.
 * Opt in with HA_THROUGHPUT=1 (root and ip netns needed); prints one JSON line per run.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetwork, netnsSkipReason, type Network } from '@vmta/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { haConfig, lines, sleep, until } from './ha/harness.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const reason = process.env.HA_THROUGHPUT ? netnsSkipReason() : 'set HA_THROUGHPUT=1 to run this measurement';
const MESSAGES = Number(process.env.HA_THROUGHPUT_MESSAGES ?? 1000);
const MAX_SMTP_OUT = 10;
const IP = { redis: '10.200.1.11', l1: '10.200.1.31', d1: '10.200.1.41', d2: '10.200.1.42', rcv: '10.200.1.51', load: '10.200.1.61' } as const;

const config = haConfig({ subnet: '10.200.1.0/24', d1: IP.d1, d2: IP.d2, rcv: IP.rcv, domain: [`max-smtp-out ${MAX_SMTP_OUT}`, 'retry-after 2s'] });

describe.skipIf(reason !== undefined)('multi-host throughput: 1 vs 2 delivery hosts (a measurement)', () => {
  let net: Network | undefined;
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-hatp-'));

  afterEach(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children.clear();
    await sleep(300);
    net?.dispose();
    net = undefined;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const measure = async (deliveryHosts: 1 | 2) => {
    // One host with both source addresses, or two hosts with one each.
    const hosts: Record<string, string[]> = { redis: [IP.redis], l1: [IP.l1], rcv: [IP.rcv], load: [IP.load], ...(deliveryHosts === 1 ? { d1: [IP.d1, IP.d2] } : { d1: [IP.d1], d2: [IP.d2] }) };
    net = createNetwork({ hosts });
    const n = net;
    const run = (name: string, command: string, args: string[], env: Record<string, string> = {}) => {
      const child = n.hosts[name]!.spawn(command, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stderr!.resume();
      children.add(child);
      return child;
    };
    const prefix = `tp${deliveryHosts}`;
    writeFileSync(path.join(dir, 'vmta.conf'), config);
    run('redis', 'redis-server', ['--bind', IP.redis, '--port', '6379', '--protected-mode', 'no', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--appendfilename', `${prefix}.aof`, '--loglevel', 'warning']);
    await until('redis up', 10_000, () => {
      try {
        return n.hosts.load!.run('redis-cli', ['-h', IP.redis, 'PING']).trim() === 'PONG';
      } catch {
        return false;
      }
    });
    const vmta = (name: string, role: 'listener' | 'delivery') => {
      const child = run(name, process.execPath, [cli, 'start', '--role', role, '--http', 'off', '--config', path.join(dir, 'vmta.conf'), '--data-dir', path.join(dir, `data-${prefix}-${name}`)], { REDIS_URL: `redis://${IP.redis}:6379`, VMTA_PREFIX: prefix });
      return new Promise<void>((resolve) => lines(child, (ev) => ev.event === 'started' && resolve()));
    };
    const rcv = run('rcv', process.execPath, [path.join(root, 'test/ha/receiver.mjs'), IP.rcv, '2525']);
    const arrived: Array<{ n: number; from: string; at: number }> = [];
    const up = new Promise<void>((resolve) =>
      lines(rcv, (ev) => {
        if (ev.up) resolve();
        if (typeof ev.n === 'number') arrived.push({ n: ev.n, from: String(ev.from), at: Number(ev.at) });
      }),
    );
    await up;
    await vmta('l1', 'listener');
    // Queue everything first: delivery is off.
    const load = run('load', process.execPath, [path.join(root, 'test/ha/sender.mjs'), IP.l1, String(MESSAGES), '5']);
    const replies = new Map<number, number>();
    const done = new Promise<void>((resolve) =>
      lines(load, (ev) => {
        if (typeof ev.n === 'number') replies.set(ev.n, Number(ev.code));
        if (ev.done) resolve();
      }),
    );
    await done;
    const accepted = [...replies].filter(([, code]) => code === 250).map(([m]) => m);
    const load1 = loadavg()[0]!;
    const started = Date.now();
    await Promise.all(deliveryHosts === 1 ? [vmta('d1', 'delivery')] : [vmta('d1', 'delivery'), vmta('d2', 'delivery')]);
    await until('every accepted message arrived', 300_000, () => arrived.length >= accepted.length);
    await sleep(1000);
    const at = arrived.map((a) => a.at);
    const firstToLast = (Math.max(...at) - Math.min(...at)) / 1000;
    const figures = {
      deliveryHosts,
      accepted: accepted.length,
      arrived: arrived.length,
      firstToLastS: Math.round(firstToLast * 10) / 10,
      msgPerSec: Math.round(arrived.length / firstToLast),
      startToLastS: Math.round((Math.max(...at) - started) / 100) / 10,
      loadAvg1: Math.round(load1 * 100) / 100,
    };
    console.log(JSON.stringify(figures));
    expect(arrived.map((a) => a.n).sort((x, y) => x - y)).toEqual(accepted.sort((x, y) => x - y));
    for (const a of arrived) expect(a.from).toBe(a.n % 2 === 0 ? IP.d1 : IP.d2);
    return figures;
  };

  it('one delivery host with both source addresses', async () => {
    await measure(1);
  }, 600_000);

  it('two delivery hosts, one source address each', async () => {
    await measure(2);
  }, 600_000);
});

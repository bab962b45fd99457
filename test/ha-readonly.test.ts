/**
 * A demoted primary that keeps answering: under a steady load, the primary of a Sentinel set is
 * turned into a replica of its replica (REPLICAOF, the replica promoted by REPLICAOF NO ONE), as
 * an operator or a half-done failover would leave it. The Sentinels still name it as master
 * until they see it report "slave" long enough (down-after + two INFO periods, ~12 s here), so the
 * listener and delivery processes keep meeting it: writes get READONLY, a reconnect lands on it
 * again (ioredis checks the role and leaves it). Then the Sentinels fail over to the new primary.
 * Checked: no reply but 250 or 451 4.3.0 during it, the same processes (no restart) accept and
 * deliver afterwards, every message that got 250 arrives, and a second copy only straddles the
 * demotion. Loopback only (127.0.0.1); needs redis-server with Sentinel.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canStartSentinels, startSentinelSet, type SentinelSet } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { haConfig, lines, settleArrivals, until } from './ha/harness.js';
import { freePort } from './support/free-port.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'packages/cli/dist/main.js');
const MAX_SMTP_OUT = 2;
const ENOUGH = 20;
const STALL_MS = 60_000;
/** How long after the Sentinels name the new primary a process may still be on its way to it. */
const FOLLOW_MS = 5000;

const step = (what: string) => console.log(`[readonly ${new Date().toISOString().slice(11, 19)}] ${what}`);

describe.skipIf(!canStartSentinels())('a demoted primary answering READONLY', () => {
  let set: SentinelSet | undefined;
  const children = new Set<ChildProcess>();
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-readonly-'));

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await set?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}) => {
    const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr!.resume();
    children.add(child);
    return child;
  };
  const command = async (host: string, port: number, ...args: string[]) => {
    const c = new Redis({ host, port, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      return await c.call(args[0]!, ...args.slice(1));
    } finally {
      c.disconnect();
    }
  };

  it('listener and delivery answer 451 / wait while it answers READONLY, then go on after the failover without a restart; nothing accepted is lost', async () => {
    set = await startSentinelSet();
    await set.ready();
    const rcvPort = await freePort();
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, haConfig({ subnet: '127.0.0.0/8', d1: '127.0.0.1', d2: '127.0.0.1', rcv: '127.0.0.1', rcvPort, listen: '127.0.0.1:0', domain: [`max-smtp-out ${MAX_SMTP_OUT}`, 'retry-after 2s'] }));

    const rcv = run([path.join(root, 'test/ha/receiver.mjs'), '127.0.0.1', String(rcvPort)]);
    const arrived: Array<{ n: number; at: number }> = [];
    const rcvUp = new Promise<void>((resolve) =>
      lines(rcv, (ev) => {
        if (ev.up) resolve();
        if (typeof ev.n === 'number') arrived.push({ n: ev.n, at: Number(ev.at) });
      }),
    );
    await rcvUp;
    const env = { REDIS_URL: set.url, VMTA_PREFIX: 'ro' };
    const vmta = (role: string) => {
      const child = run([cli, 'start', '--role', role, '--config', conf, '--http', 'off', '--data-dir', path.join(dir, `data-${role}`)], env);
      // HA_LOG_DIR=DIR keeps the processes' log lines (DIR/readonly-ROLE.log) for a failed run.
      if (process.env.HA_LOG_DIR) child.stdout!.pipe(createWriteStream(path.join(process.env.HA_LOG_DIR, `readonly-${role}.log`), { flags: 'a' }));
      let port = 0;
      const started = new Promise<void>((resolve) =>
        lines(child, (ev) => {
          if (ev.event === 'listening' && typeof ev.port === 'number') port = ev.port;
          if (ev.event === 'started') resolve();
        }),
      );
      return { child, started, port: () => port };
    };
    const listener = vmta('listener');
    const delivery = vmta('delivery');
    await Promise.all([listener.started, delivery.started]);

    const load = run([path.join(root, 'test/ha/sender.mjs'), `127.0.0.1:${listener.port()}`, '20000', '50', 'until-stdin-ends']);
    const replies = new Map<number, { code: number; at: number; step: number }>();
    const loadDone = new Promise<void>((resolve) =>
      lines(load, (ev) => {
        if (typeof ev.n === 'number') replies.set(ev.n, { code: Number(ev.code), at: Number(ev.at), step: Number(ev.step) });
        if (ev.done) resolve();
      }),
    );
    const acceptedSince = (t: number) => [...replies.values()].filter((r) => r.code === 250 && r.at > t).length;
    await until(`${ENOUGH} messages accepted`, 60_000, () => acceptedSince(0) >= ENOUGH);

    // The demotion: the replica becomes a primary, the old primary its replica (READONLY to writes).
    const old = await set.primary();
    const promoted = set.servers.find((s) => s !== old)!;
    const demotedAt = Date.now();
    await command(promoted.host, promoted.port, 'REPLICAOF', 'NO', 'ONE');
    await command(old.host, old.port, 'REPLICAOF', promoted.host, String(promoted.port));
    step(`${old.host}:${old.port} demoted to a replica of ${promoted.host}:${promoted.port}`);
    expect(((await command(old.host, old.port, 'ROLE')) as string[])[0]).toBe('slave');
    const target = `${promoted.host}:${promoted.port}`;
    await until('the Sentinels name the new primary', 90_000, async () => (await set!.master().catch(() => '')) === target);
    const failedOverAt = Date.now();
    step('Sentinels name the new primary');
    // Our processes did meet READONLY: the demoted server counted the replies (nobody else writes to it).
    const errorstats = String(await command(old.host, old.port, 'INFO', 'errorstats'));
    const readonlyReplies = Number(/errorstat_READONLY:count=(\d+)/.exec(errorstats)?.[1] ?? 0);
    await until(`${ENOUGH} messages accepted after the failover`, 90_000, () => acceptedSince(failedOverAt) >= ENOUGH);
    load.stdin!.end();
    await loadDone;

    const { missing, twice } = await settleArrivals(replies, arrived, STALL_MS);
    const codes: Record<string, number> = {};
    for (const r of replies.values()) codes[r.code] = (codes[r.code] ?? 0) + 1;
    // Times in ms after the demotion, for the odd ones: no reply, and second copies.
    const rel = (t: number) => t - demotedAt;
    const odd = {
      refusedAtRcpt: [...replies.values()].filter((r) => r.code === 451 && r.step === 3).length,
      noReply: [...replies].filter(([, r]) => r.code !== 250 && r.code !== 451).map(([n, r]) => ({ n, code: r.code, step: r.step, sentAt: rel(r.at), arrived: arrived.filter((a) => a.n === n).map((a) => rel(a.at)) })),
      twice: twice.map(([n, at]) => ({ n, sentAt: rel(replies.get(n)?.at ?? 0), code: replies.get(n)?.code, arrived: at.map(rel) })),
    };
    console.log(JSON.stringify({ offered: replies.size, codes, arrived: arrived.length, missing, readonlyReplies, demotionS: (failedOverAt - demotedAt) / 1000, failedOverAt: rel(failedOverAt), ...odd }));

    expect(readonlyReplies).toBeGreaterThan(0);
    // Only 250 or 451 4.3.0: no hang (0 would be no reply to the final dot within 15 s), no 5xx.
    expect(Object.keys(codes).sort()).toEqual(['250', '451']);
    // No restart: the processes that met READONLY are the ones that accepted and delivered after.
    expect(listener.child.exitCode).toBeNull();
    expect(delivery.child.exitCode).toBeNull();
    expect(arrived.some((a) => a.at > failedOverAt)).toBe(true);
    expect(missing).toEqual([]);
    // At-least-once: an outcome written on the old primary after the replica left it is lost with
    // its resync, and one that met READONLY was not written; those messages go again. So each
    // second copy comes after the demotion, and the first before every process followed the
    // failover (its next reconnect: backoff up to 2 s, then the Sentinels and a role check).
    for (const [n, at] of twice) expect(Math.min(...at) <= failedOverAt + FOLLOW_MS && Math.max(...at) > demotedAt, `copies of ${n} at ${at.join(', ')}`).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(2 * MAX_SMTP_OUT);
  }, 300_000);
});

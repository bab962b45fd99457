/**
 * `vmta events tail` as an operator runs it: the events of the stream from an id or a time, filtered
 * by type, as lines or JSON; an operator's `vmta suppress add` shows up as an `s` event once
 * something reads the stream.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRedis, Keys } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'packages/cli/dist/main.js');

describe('vmta events tail', () => {
  let t: TestRedis;
  let redis: ReturnType<typeof createRedis>;
  let env: NodeJS.ProcessEnv;
  let key: string;
  const vmta = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env });

  beforeAll(async () => {
    t = await getTestRedis();
    redis = createRedis(t.url, 'cli');
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: t.prefix.slice(0, -1) };
    key = new Keys(t.prefix.slice(0, -1)).accounting();
  });
  afterAll(async () => {
    redis.disconnect();
    await t.cleanup();
  });

  it('says on stderr why nothing shows: the stream read, empty, and whether the configuration writes it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-events-'));
    const conf = path.join(dir, 'vmta.conf');
    writeFileSync(conf, 'host-name mx.example.com\n');
    const r = vmta('events', 'tail', '--config', conf);
    expect([r.status, r.stdout]).toEqual([0, '']);
    expect(r.stderr).toBe(`vmta events: no events yet: the stream ${key} is empty; ${conf} writes none (records are written only when an <acct-file>, a <webhook> or event-stream yes reads them)\n`);
    writeFileSync(conf, 'host-name mx.example.com\nevent-stream yes\n');
    expect(vmta('events', 'tail', '--config', conf, '--json').stderr).toBe(`vmta events: no events yet: the stream ${key} is empty; ${conf} writes it as mail is received and delivered\n`);
  });

  it('shows events from an id or a time, of the types asked, and suppressions as s events', async () => {
    await redis.xgroup('CREATE', key, 'webhook:p', '$', 'MKSTREAM');
    await redis.xadd(key, '1000-0', 'type', 'd', 'timeLogged', '1970-01-01T00:00:01.000Z', 'rcpt', 'a@x.example', 'queue', 'x.example/mta1', 'dsnStatus', '2.0.0', 'msgId', 'm1');
    await redis.xadd(key, '2000-0', 'type', 'b', 'timeLogged', '1970-01-01T00:00:02.000Z', 'rcpt', 'b@x.example', 'queue', 'x.example/mta1', 'dsnStatus', '5.1.1', 'bounceCat', 'bad-mailbox', 'msgId', 'm1');
    expect(vmta('suppress', 'add', 'c@x.example', '--tenant', 'user:alice').status).toBe(0);

    const all = vmta('events', 'tail', '--from', '0');
    expect(all.status).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines.slice(0, 2)).toEqual([
      '1000-0\td\t1970-01-01T00:00:01.000Z\ta@x.example\tx.example/mta1 2.0.0\tm1',
      '2000-0\tb\t1970-01-01T00:00:02.000Z\tb@x.example\tx.example/mta1 5.1.1 bad-mailbox\tm1',
    ]);
    expect(lines[2]).toMatch(/^\d+-\d+\ts\t\S+\tc@x\.example\tuser:alice manual$/);

    const json = vmta('events', 'tail', '--from', '1970-01-01T00:00:01.500Z', '--type', 'b,s', '--json');
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; type: string; recipient: string });
    expect(events.map((e) => [e.type, e.recipient])).toEqual([['b', 'b@x.example'], ['s', 'c@x.example']]);

    const bad = vmta('events', 'tail', '--from', 'soonish');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--from soonish/);
  });

  it('--follow prints events written after it started', async () => {
    const child = spawn(process.execPath, [main, 'events', 'tail', '--follow', '--count', '1'], { cwd: root, env });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await expect.poll(() => out.length, { timeout: 10_000 }).toBeGreaterThan(0); // the last event first: it is reading
      await redis.xadd(key, '*', 'type', 'd', 'rcpt', 'late@x.example');
      await expect.poll(() => out, { timeout: 10_000 }).toContain('late@x.example');
    } finally {
      child.kill('SIGINT');
    }
  });
});

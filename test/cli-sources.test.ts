/**
 * `vmta disable source`, `vmta enable source`, `vmta show disabled-sources` against two running
 * delivery processes: a VMTA with two source IPs (127.0.0.2, .3) sends to a receiver on 127.0.0.10,
 * which records the source address of each message. Counts are taken at the receiver, and so are
 * the notices of the operator's changes (disabled-source-ip-notify, backoff-notify).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { loadConfigText } from '@vmta/config';
import { startReceiver, startTestDeliveries, type Receiver, type TestDeliveries } from '@vmta/delivery/testing';
import { MessageStore } from '@vmta/queue';
import { testMessage } from '@vmta/queue/testing';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const POLL = { timeout: 40_000, interval: 100 };

describe('vmta disable/enable source across two delivery processes', () => {
  let t: TestRedis;
  let redis: Redis;
  let store: MessageStore;
  let receiver: Receiver;
  let running: TestDeliveries;
  let env: NodeJS.ProcessEnv;
  const vmta = (...args: string[]) => spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8', env });
  // The file the CLI reads the notify addresses from (--config).
  const configFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'vmta-cli-sources-')), 'vmta.conf');
  const notices = (subject: string) => receiver.messages.filter((m) => m.to.includes('ops@notice.test') && m.body.includes(`Subject: ${subject}`));

  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    const prefix = t.prefix.slice(0, -1);
    store = new MessageStore(redis, { prefix });
    env = { ...process.env, REDIS_URL: t.url, VMTA_PREFIX: prefix };
    receiver = await startReceiver({ host: '127.0.0.10', startTls: false });
    const text = [
      'host-name mta.example.test',
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 a.mta1.test',
      '  smtp-source-host 127.0.0.3 b.mta1.test',
      '</virtual-mta>',
      '<domain *>',
      `  smtp-hosts [127.0.0.10]:${receiver.port}`,
      '  disabled-source-ip-notify ops@notice.test',
      '  backoff-notify ops@notice.test',
      '</domain>',
    ].join('\n');
    writeFileSync(configFile, text);
    const config = loadConfigText(text);
    running = await startTestDeliveries({ config, redisUrl: t.url, prefix, processes: 2 });
  });
  afterAll(async () => {
    await Promise.all(running.deliveries.map((d) => d.close()));
    await store.dispatcher.close();
    await receiver.close();
    await t.cleanup();
    redis.disconnect();
  });

  async function send(tag: string, n: number): Promise<string[]> {
    const addresses = Array.from({ length: n }, (_, i) => `${tag}${i}@block.test`);
    const ids = await Promise.all(addresses.map(async (a) => (await store.enqueue(testMessage(a))).id));
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    return addresses;
  }
  const from = (ip: string, tag: string) => receiver.messages.filter((m) => m.clientIp === ip).flatMap((m) => m.to).filter((a) => a.startsWith(tag));

  it('disables a source for a queue: both processes send from the other IP only, each message once; enabling brings it back', async () => {
    const d = vmta('disable', 'source', '--config', configFile, '127.0.0.2', 'block.test/mta1');
    expect(d.status).toBe(0);
    expect(d.stdout).toBe('127.0.0.2 block.test/mta1: disabled\n');
    expect(d.stderr).toContain('"event":"source-disabled"');
    const shown = JSON.parse(vmta('show', 'disabled-sources', '--json').stdout) as Array<Record<string, unknown>>;
    expect(shown).toEqual([{ ip: '127.0.0.2', queue: 'block.test/mta1', reason: 'disabled by the operator', rule: '', since: expect.any(String) }]);
    expect(vmta('show', 'disabled-sources').stdout).toMatch(/^IP\s+QUEUE\s+SINCE\s+UNTIL\s+WHY\n127\.0\.0\.2\s+block\.test\/mta1\s+\S+\s+until enabled\s+disabled by the operator\n$/);

    const first = await send('a', 16);
    expect(from('127.0.0.3', 'a').sort()).toEqual(first.sort());
    expect(from('127.0.0.2', 'a')).toEqual([]);

    const e = vmta('enable', 'source', '--config', configFile, '127.0.0.2', 'block.test/mta1');
    expect(e.stdout).toBe('127.0.0.2 block.test/mta1: enabled\n');
    expect(vmta('show', 'disabled-sources').stdout).toBe('no source IP is disabled\n');
    // Processes read the list at most a second old: mail sent after that spreads over both IPs again.
    await new Promise((r) => setTimeout(r, 1_100));
    const second = await send('b', 16);
    expect([...from('127.0.0.2', 'b'), ...from('127.0.0.3', 'b')].sort()).toEqual(second.sort());
    expect(from('127.0.0.2', 'b').length).toBeGreaterThan(0);
    // Nothing twice.
    const all = receiver.messages.flatMap((m) => m.to).filter((a) => a.endsWith('@block.test'));
    expect(new Set(all).size).toBe(all.length);
    // The operator's disable and enable: one notice each to disabled-source-ip-notify, delivered.
    await expect.poll(() => notices('source 127.0.0.2 enabled for block.test/mta1').length, POLL).toBe(1);
    expect(notices('source 127.0.0.2 disabled for block.test/mta1')).toHaveLength(1);
    expect(d.stderr).toContain('"event":"source-notice"');
  });

  it('vmta set queue --mode tells backoff-notify once per change, delivered', async () => {
    const set = (mode: string) => vmta('set', 'queue', `--mode=${mode}`, '--config', configFile, 'block.test/mta1');
    expect(set('backoff').stdout).toBe('block.test/mta1: backoff\n');
    expect(set('backoff').stdout).toBe('block.test/mta1: backoff (unchanged)\n');
    expect(set('normal').stdout).toBe('block.test/mta1: normal\n');
    await expect.poll(() => notices('Queue block.test/mta1 left backoff mode').length, POLL).toBe(1);
    const entered = notices('Queue block.test/mta1 entered backoff mode');
    expect(entered).toHaveLength(1);
    expect(entered[0]!.body).toContain('By: operator');
    // Without a readable configuration the mode still changes, and stderr says no notice was sent.
    const blind = vmta('set', 'queue', '--mode=normal', '--config', `${configFile}.missing`, 'block.test/mta1');
    expect(blind.status).toBe(0);
    expect(blind.stderr).toContain('no notice is sent');
  });

  it('refuses what is not an IP or a plain queue, with the usage', () => {
    const bad = vmta('disable', 'source', 'not-an-ip');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('not an IP address');
    expect(vmta('enable', 'source', '127.0.0.2', '*/mta1').status).toBe(2);
    expect(vmta('disable').status).toBe(2);
  });
});

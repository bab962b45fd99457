import { loadConfigText } from '@vmta/config';
import { MessageStore, type StoredMessage } from '@vmta/queue';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Cluster } from '../cluster.js';
import { setQueueMode } from './backoff-mode.js';
import { disableSource, enableSource } from './source-ip.js';

const config = loadConfigText(
  [
    'host-name mta.example.test',
    'postmaster pm@example.test',
    '<virtual-mta mta1>',
    '  smtp-source-host 192.0.2.7 mta1.example.test',
    '</virtual-mta>',
    '<virtual-mta mta2>',
    '  smtp-source-host 192.0.2.8 mta2.example.test',
    '</virtual-mta>',
    '<domain slow.test>',
    '  backoff-notify ops@notice.test, noc@notice.test',
    '  disabled-source-ip-notify src@notice.test',
    '</domain>',
    '<domain other.test>',
    '  disabled-source-ip-notify src@notice.test',
    '</domain>',
    '<domain far.test>',
    '  disabled-source-ip-notify far@notice.test',
    '</domain>',
  ].join('\n'),
);

/** Every log line the actions wrote. */
const lines: Record<string, unknown>[] = [];
const log = { info: (f: Record<string, unknown>) => lines.push(f), warn: (f: Record<string, unknown>) => lines.push(f), error: (f: Record<string, unknown>) => lines.push(f) };

describe("the operator's changes are told like delivery's", () => {
  let t: TestRedis;
  let redis: Redis;
  let cluster: Cluster;
  let store: MessageStore;
  beforeAll(async () => {
    t = await getTestRedis();
    redis = new Redis(t.url);
    cluster = new Cluster(redis, t.prefix.slice(0, -1));
    store = new MessageStore(redis, { prefix: t.prefix.slice(0, -1) });
    // Known queues (the queue index): two on mta1 (IP .7), one on mta2 (IP .8).
    for (const [domain, vmta] of [['slow.test', 'mta1'], ['other.test', 'mta1'], ['far.test', 'mta2']] as const) {
      await store.enqueue({ mailFrom: 'a@example.org', recipients: [{ address: `b@${domain}`, domain }], body: Buffer.from('Subject: x\r\n\r\nx\r\n'), vmta, source: { ip: '192.0.2.1', listener: 'test' }, receivedAt: Date.now() });
    }
  });
  afterAll(async () => {
    await store.dispatcher.close();
    await cluster.close();
    await t.cleanup();
    redis.disconnect();
  });
  beforeEach(() => {
    lines.length = 0;
  });

  const seen = new Set<string>();
  /** The notices queued to notice.test since the last call. */
  async function notices(): Promise<StoredMessage[]> {
    const out: StoredMessage[] = [];
    for (const vmta of ['mta1', 'mta2']) {
      for (const id of await store.queued(`notice.test/${vmta}`)) {
        if (seen.has(id)) continue;
        seen.add(id);
        const m = await store.get(id);
        if (m) out.push(m);
      }
    }
    return out;
  }

  it('set queue --mode=backoff tells backoff-notify once; the same mode again tells nobody', async () => {
    const notify = { config, log };
    expect((await setQueueMode(cluster, 'slow.test/mta1', 'backoff', Date.now(), notify)).changed).toBe(true);
    const [n, ...more] = await notices();
    expect(more).toEqual([]);
    expect(n).toMatchObject({ mailFrom: '', vmta: 'mta1', source: { listener: 'backoff-notify' } });
    expect(n!.recipients.map((r) => r.address)).toEqual(['ops@notice.test', 'noc@notice.test']);
    const text = n!.body.toString('latin1');
    expect(text).toContain('Subject: Queue slow.test/mta1 entered backoff mode');
    expect(text).toContain('From: Mail Delivery System <pm@example.test>');
    expect(text).toContain('The queue slow.test/mta1 on mta.example.test entered backoff mode');
    expect(text).toContain('By: operator');
    expect(lines.filter((l) => l.event === 'backoff-notify')).toHaveLength(1);

    expect((await setQueueMode(cluster, 'slow.test/mta1', 'backoff', Date.now(), notify)).changed).toBe(false);
    expect(await notices()).toEqual([]);

    expect((await setQueueMode(cluster, 'slow.test/mta1', 'normal', Date.now(), notify)).changed).toBe(true);
    const back = await notices();
    expect(back.map((m) => m.body.toString('latin1').match(/^Subject: (.*)$/m)?.[1])).toEqual(['Queue slow.test/mta1 left backoff mode (back to normal)']);
    expect(await setQueueMode(cluster, 'slow.test/mta1', 'normal', Date.now(), notify)).toMatchObject({ changed: false });
    expect(await notices()).toEqual([]);
  });

  it('a domain without backoff-notify, or no configuration given, tells nobody', async () => {
    await setQueueMode(cluster, 'far.test/mta2', 'backoff', Date.now(), { config, log });
    await setQueueMode(cluster, 'other.test/mta1', 'backoff');
    expect(await notices()).toEqual([]);
  });

  it('disable and enable source for a queue tell disabled-source-ip-notify once each', async () => {
    const o = { config, log };
    expect((await disableSource(cluster, '192.0.2.7', 'slow.test/mta1', o)).changed).toBe(true);
    const [d, ...more] = await notices();
    expect(more).toEqual([]);
    expect(d).toMatchObject({ mailFrom: '', vmta: 'mta1', source: { listener: 'source-notice' } });
    expect(d!.recipients.map((r) => r.address)).toEqual(['src@notice.test']);
    expect(d!.body.toString()).toContain('Subject: source 192.0.2.7 disabled for slow.test/mta1\r\n');
    expect(d!.body.toString()).toContain('Why: disabled by the operator');

    expect((await disableSource(cluster, '192.0.2.7', 'slow.test/mta1', o)).changed).toBe(false);
    expect(await notices()).toEqual([]);

    expect((await enableSource(cluster, '192.0.2.7', 'slow.test/mta1', o)).changed).toBe(true);
    const enabled = await notices();
    expect(enabled).toHaveLength(1);
    expect(enabled[0]!.body.toString()).toContain('Subject: source 192.0.2.7 enabled for slow.test/mta1\r\n');
    expect((await enableSource(cluster, '192.0.2.7', 'slow.test/mta1', o)).changed).toBe(false);
    expect(await notices()).toEqual([]);
    expect(lines.filter((l) => l.event === 'source-notice')).toHaveLength(2);
  });

  it('for every queue: one notice per address list of the queues whose VMTA has the IP', async () => {
    const o = { config, log };
    await disableSource(cluster, '192.0.2.7', undefined, o);
    const all = await notices();
    // slow.test and other.test (mta1) share one list; far.test is on mta2, which does not use .7.
    expect(all.map((m) => [m.vmta, m.recipients.map((r) => r.address)])).toEqual([['mta1', ['src@notice.test']]]);
    expect(all[0]!.body.toString()).toContain('Subject: source 192.0.2.7 disabled for every queue\r\n');

    // Enable without a queue: one notice per entry it removed (here the `*` entry and a queue's own).
    await disableSource(cluster, '192.0.2.7', 'slow.test/mta1', o);
    await notices();
    await enableSource(cluster, '192.0.2.7', undefined, o);
    const enabled = (await notices()).map((m) => m.body.toString().match(/^Subject: (.*)$/m)?.[1]).sort();
    expect(enabled).toEqual(['source 192.0.2.7 enabled for every queue', 'source 192.0.2.7 enabled for slow.test/mta1']);
  });
});

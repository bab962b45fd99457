/**
 * bounce-after through the cluster-wide index and its sweeper, with a real delivery process, real
 * Redis and a real SMTP receiver (the shaping testbed: DSNs to sender.test land at the receiver):
 * mail a receiver defers, mail queue-to put in another queue, a bounce-after a reload shortened or
 * lengthened, and the `expire` job an older version left.
 */
import { domainPolicy, loadConfigText } from '@vmta/config';
import { expiryJobId, MessageStore } from '@vmta/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { shapingMessage, shapingTestbeds, type ShapingTestbed } from '../testing/shaping-testbed.js';

const HOUR = 3_600_000;
const POLL = { timeout: 20_000, interval: 100 };

describe('bounce-after by the cluster-wide index and sweeper', () => {
  const open = shapingTestbeds(afterEach);
  const listeners: MessageStore[] = [];
  afterEach(async () => {
    for (const l of listeners.splice(0)) await l.dispatcher.close();
  });

  /**
   * A testbed whose receiver defers every recipient of defer.example, bounce-after `bounceAfter`
   * in <domain *>, and a listener-side store that answers bounce-after from `listenerBounceAfter`
   * (the listener's config may differ from delivery's).
   */
  async function setup(bounceAfter: string, o: { listenerBounceAfter?: string; extra?: string[] } = {}) {
    const bed = await open({
      receivers: [{ rcptReply: (a) => (a.endsWith('@defer.example') ? [451, '4.3.0 try later'] : undefined) }],
      domain: () => [`bounce-after ${bounceAfter}`],
      patterns: [],
      extra: ['<domain defer.example>', '  retry-recipients-after 1h', '</domain>', ...(o.extra ?? [])],
    });
    const listenerConfig = o.listenerBounceAfter ? loadConfigText(bed.text.replace(`bounce-after ${bounceAfter}`, `bounce-after ${o.listenerBounceAfter}`)) : bed.config;
    const listener = new MessageStore(bed.redis, { prefix: bed.prefix, bounceAfter: (ref) => domainPolicy(listenerConfig, ref.domain, ref.vmta).settings['bounce-after'] });
    listeners.push(listener);
    return { bed, listener, ops: bed.ops };
  }

  const message = (to: string, receivedAt = Date.now()) => ({ ...shapingMessage([to]), receivedAt });
  const dsnFor = (bed: ShapingTestbed, address: string) => bed.receivers[0]!.messages.find((m) => m.from === '' && m.body.includes(`Final-Recipient: rfc822; ${address}`));

  it('bounces mail its receiver keeps deferring once it is bounce-after old, with a DSN, and the emptied queue leaves the index', async () => {
    const { bed, listener, ops } = await setup('2s');
    const q = 'defer.example/mta1';
    const { id } = await listener.enqueue(message('x@defer.example'));
    // Deferred first (a normal queue: the 451 is per recipient), then bounced at 2 s.
    await expect.poll(async () => (await listener.get(id))?.recipients[0]?.attempts, POLL).toBe(1);
    expect((await ops.state(q)).mode).toBe('normal');
    await expect.poll(() => listener.get(id), POLL).toBeUndefined();
    expect((await ops.state(q)).bounced).toBe(1);
    await expect.poll(() => dsnFor(bed, 'x@defer.example')?.body ?? '', POLL).toContain('Status: 4.4.7');
    await expect.poll(() => ops.expiry.dueAt(q), POLL).toBeUndefined();
  });

  it('bounces mail queue-to put in another queue under the bounce-after of that queue, which it knows by its stored ref', async () => {
    const { bed, listener, ops } = await setup('1h', { extra: ['<domain target.example>', '  bounce-after 2s', '</domain>'] });
    const q = 'target.example/mta1';
    await ops.pause(q);
    const { id } = await listener.enqueue(message('x@alias.example'), undefined, { queueDomains: new Map([['alias.example', 'target.example']]) });
    expect(await ops.expiry.ref(q)).toEqual({ queue: q, domain: 'target.example', vmta: 'mta1' });
    await expect.poll(() => listener.get(id), POLL).toBeUndefined();
    expect((await ops.state(q)).bounced).toBe(1);
    await expect.poll(() => dsnFor(bed, 'x@alias.example')?.body ?? '', POLL).toContain('Status: 4.4.7');
  });

  it('honours a bounce-after a reload shortened for mail already queued', async () => {
    const { bed, listener, ops } = await setup('1h');
    const q = 'short.example/mta1';
    await ops.pause(q);
    const received = Date.now() - 10_000;
    const { id } = await listener.enqueue(message('x@short.example', received));
    expect(await ops.expiry.dueAt(q)).toBe(received + HOUR);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await listener.get(id)).toBeDefined();
    bed.deliveries[0]!.reload(loadConfigText(bed.text.replace('bounce-after 1h', 'bounce-after 5s')));
    await expect.poll(() => listener.get(id), POLL).toBeUndefined();
    expect((await ops.state(q)).bounced).toBe(1);
  });

  it('does not bounce before a bounce-after the config lengthened: the sweep re-scores the queue', async () => {
    // The listener still thinks 1 s; delivery's config says 1 h.
    const { listener, ops } = await setup('1h', { listenerBounceAfter: '1s' });
    const q = 'long.example/mta1';
    await ops.pause(q);
    const received = Date.now();
    const { id } = await listener.enqueue(message('x@long.example', received));
    expect(await ops.expiry.dueAt(q)).toBe(received + 1_000);
    await expect.poll(() => ops.expiry.dueAt(q), POLL).toBe(received + HOUR);
    expect((await listener.get(id))?.recipients[0]?.state).toBe('queued');
  });

  it('runs an expire job an older version left: the queue goes in the index, its overdue mail bounces, the job is gone', async () => {
    // mta9's source address is on no host: no token of its queues ever runs, only the shared lane (old jobs, deletes).
    const { bed, ops } = await setup('1h', { extra: ['<virtual-mta mta9>', '  smtp-source-host 192.0.2.99 mta9.example.test', '</virtual-mta>'] });
    const q = 'old.example/mta9';
    const ref = { queue: q, domain: 'old.example', vmta: 'mta9' };
    // Mail as an older version left it: in its queue, not in the index (a store without bounce-after), one expire job per queue.
    const { id } = await bed.store.enqueue({ ...message('x@old.example', Date.now() - 2 * HOUR), vmta: 'mta9' });
    expect(await ops.expiry.dueAt(q)).toBeUndefined();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await bed.store.get(id)).toBeDefined();
    await bed.store.dispatcher.bull.add(`${q} expiry`, { ...ref, slot: -1, kind: 'expire' }, { jobId: expiryJobId(q) });
    await expect.poll(() => bed.store.get(id), POLL).toBeUndefined();
    expect((await ops.state(q)).bounced).toBe(1);
    await expect.poll(() => bed.store.dispatcher.bull.getJob(expiryJobId(q)), POLL).toBeUndefined();
    await expect.poll(() => ops.expiry.dueAt(q), POLL).toBeUndefined();
  });
});

/**
 * Backoff scenarios end to end, with real test receivers answering scripted replies and two
 * delivery processes on one Redis: mode=normal returns a queue to normal, backoff-notify tells
 * the operator once per change cluster-wide, backoff-recovery-steps start from the change (kept
 * in Redis), and <bounce-category-patterns> set the category of b records. Counts only, no timings.
 */
import { ConnectionLimiter, Keys } from '@vmta/queue';
import { afterEach, describe, expect, it } from 'vitest';
import { shapingMessage as message, shapingTestbeds } from '../testing/shaping-testbed.js';

const POLL = { timeout: 30_000, interval: 100 };
const OPS = 'ops@sender.test';

describe('backoff scenarios', () => {
  const setup = shapingTestbeds(afterEach);

  it('mode=normal returns the queue to normal; two processes send exactly one notice per change; recovery starts in Redis', async () => {
    const slowed = new Set<string>();
    let last = '';
    const { store, ops, rule, events, receivers } = await setup({
      processes: 2,
      receivers: [
        {
          rcptReply: (address) => {
            last = address;
            // every first attempt of the first messages is slowed: both processes see the rule match
            if (address.startsWith('slow') && !slowed.has(address)) return slowed.add(address), [421, '4.7.0 too many messages, slow down'];
            return undefined;
          },
          // the reply a recipient's result is read from is the one after the data
          dataReply: () => (last.startsWith('clear') ? [250, '2.0.0 ok, all clear'] : undefined),
        },
      ],
      patterns: ['/slow down/ mode=backoff', '/all clear/ mode=normal'],
      domain: () => [`backoff-notify ${OPS}`, 'backoff-max-smtp-out 1', 'backoff-recovery-steps 3', 'backoff-recovery-step-time 1h'],
    });
    const queue = 'flip.test/mta1';
    const notices = () => receivers[0]!.messages.filter((m) => m.from === '' && m.to.includes(OPS));
    // several messages at once: connections of both processes get the reply that changes the mode
    const first = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => store.enqueue(message([`slow${i}@flip.test`]))));
    await expect.poll(async () => (await ops.state(queue)).mode, POLL).toBe('backoff');
    await expect.poll(() => notices().length, POLL).toBe(1);
    expect(notices()[0]!.body).toMatch(/Subject: Queue flip\.test\/mta1 entered backoff mode/);
    expect(notices()[0]!.body).toContain(rule(0));
    expect((await ops.state(queue)).recoverySince).toBeUndefined();
    // the first messages are out before the one that clears (the receiver tells it by the last RCPT)
    await expect.poll(async () => (await Promise.all(first.map((m) => store.get(m.id)))).every((m) => m === undefined), POLL).toBe(true);
    await expect.poll(() => notices().length, POLL).toBe(1);

    const clear = await store.enqueue(message(['clear@flip.test']));
    await expect.poll(async () => (await ops.state(queue)).mode, POLL).toBe('normal');
    await expect.poll(() => notices().length, POLL).toBe(2);
    expect(notices()[1]!.body).toMatch(/Subject: Queue flip\.test\/mta1 left backoff mode/);
    expect(notices()[1]!.body).toContain(rule(1));
    const state = await ops.state(queue);
    expect(state.backoff).toBeUndefined();
    expect(state.recoverySince).toBeGreaterThan(0);

    const ids = [...first, clear].map((m) => m.id);
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    // every message reached the receiver once (on its retry)
    const delivered = receivers[0]!.messages.filter((m) => m.from !== '').flatMap((m) => m.to);
    expect(delivered.sort()).toEqual(['clear@flip.test', ...[0, 1, 2, 3, 4, 5].map((i) => `slow${i}@flip.test`)]);
    expect(slowed.size).toBe(6);
    const changes = events.filter((e) => e.event === 'queue-mode').map((e) => [e.mode, e.rule]);
    expect(changes).toEqual([
      ['backoff', rule(0)],
      ['normal', rule(1)],
    ]);
    expect(events.filter((e) => e.event === 'backoff-notify')).toHaveLength(2);
    expect(notices()).toHaveLength(2);
  }, 60_000);

  it('entering backoff again clears the recovery; no notice without backoff-notify', async () => {
    let n = 0;
    let last = '';
    const { store, ops, events, receivers } = await setup({
      receivers: [
        {
          rcptReply: (address) => ((last = address), n++ % 2 === 0 ? [421, '4.7.0 slow down'] : undefined),
          dataReply: () => (last.startsWith('x@') ? [250, '2.0.0 all clear'] : undefined),
        },
      ],
      patterns: ['/slow down/ mode=backoff', '/all clear/ mode=normal'],
      domain: () => ['backoff-recovery-steps 2'],
    });
    const queue = 'again.test/mta1';
    const { id } = await store.enqueue(message(['x@again.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect((await ops.state(queue)).recoverySince).toBeGreaterThan(0);
    await store.enqueue(message(['y@again.test']));
    await expect.poll(async () => (await ops.state(queue)).mode, POLL).toBe('backoff');
    expect((await ops.state(queue)).recoverySince).toBeUndefined();
    expect(events.filter((e) => e.event === 'backoff-notify')).toHaveLength(0);
    expect(receivers[0]!.messages.filter((m) => m.from === '')).toHaveLength(0);
  }, 60_000);

  it('<bounce-category-patterns>: the first matching line sets the b record category, before the built-in rules', async () => {
    const { store, records } = await setup({
      receivers: [
        {
          rcptReply: (a) =>
            a.startsWith('own@')
              ? [550, '5.7.1 Message rejected: listed at our private list XYZ']
              : a.startsWith('builtin@')
                ? [550, '5.1.1 user unknown']
                : undefined,
        },
      ],
      patterns: [],
      extra: ['<bounce-category-patterns>', '  /private list XYZ/ content-related', '  /never matches anything here/ virus-related', '</bounce-category-patterns>'],
      domain: () => [],
    });
    const { id } = await store.enqueue(message(['own@cat.test', 'builtin@cat.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    const b = (await records()).filter((r) => r.msgId === id && r.type === 'b');
    const byRcpt = Object.fromEntries(b.map((r) => [r.rcpt, r.bounceCat]));
    // the built-in rules would say spam-related ("listed at") for the first
    expect(byRcpt).toEqual({ 'own@cat.test': 'content-related', 'builtin@cat.test': 'bad-mailbox' });
  }, 60_000);

  const MTA2 = ['<virtual-mta mta2>', '  smtp-source-host 127.0.0.3 mta2.test', '</virtual-mta>'];

  it('backoff-reroute-to-virtual-mta: in backoff the queue goes out through the other VMTA (its IP and EHLO), each message once, in its own queue', async () => {
    const slowed = new Set<string>();
    const { store, ops, records, receivers } = await setup({
      processes: 2,
      receivers: [{ rcptReply: (a) => (a.startsWith('slow') && !slowed.has(a) ? (slowed.add(a), [421, '4.7.0 slow down']) : undefined) }],
      patterns: ['/slow down/ mode=backoff'],
      extra: MTA2,
      domain: () => ['backoff-reroute-to-virtual-mta mta2'],
    });
    const queue = 'reroute.test/mta1';
    const first = await store.enqueue(message(['slow@reroute.test']));
    await expect.poll(async () => (await ops.state(queue)).mode, POLL).toBe('backoff');
    const later = await Promise.all([0, 1, 2, 3].map((i) => store.enqueue(message([`u${i}@reroute.test`]))));
    const ids = [first, ...later].map((m) => m.id);
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    const rcvd = receivers[0]!;
    // the 421 came on mta1's connection; everything delivered came on mta2's
    expect(rcvd.connections.filter((c) => c.remoteAddress.endsWith('127.0.0.2')).map((c) => c.heloName)).toContain('mta1.test');
    const viaMta2 = rcvd.connections.filter((c) => c.remoteAddress.endsWith('127.0.0.3'));
    expect(viaMta2.length).toBeGreaterThan(0);
    expect(viaMta2.every((c) => c.heloName === 'mta2.test')).toBe(true);
    expect(rcvd.messages.flatMap((m) => m.to).sort()).toEqual(['slow@reroute.test', 'u0@reroute.test', 'u1@reroute.test', 'u2@reroute.test', 'u3@reroute.test']);
    const d = (await records()).filter((r) => r.type === 'd');
    expect(d).toHaveLength(5);
    expect(d.every((r) => r.vmta === 'mta2' && r.dlvSourceIp === '127.0.0.3' && r.queue === queue)).toBe(true);
    const t = (await records()).filter((r) => r.type === 't');
    expect(t.map((r) => [r.vmta, r.dlvSourceIp])).toEqual([['mta1', '127.0.0.2']]);
  }, 60_000);

  it('reroute-to-virtual-mta: a domain always goes out through the other VMTA; the records name it, the mail stays in its queue', async () => {
    const { store, records, receivers } = await setup({
      receivers: [{}],
      patterns: [],
      extra: MTA2,
      domain: () => ['reroute-to-virtual-mta mta2'],
    });
    const ids = await Promise.all([0, 1, 2].map(async (i) => (await store.enqueue(message([`r${i}@static.test`]))).id));
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    expect(receivers[0]!.connections.every((c) => c.remoteAddress.endsWith('127.0.0.3') && c.heloName === 'mta2.test')).toBe(true);
    expect((await records()).filter((r) => r.type === 'd').map((r) => [r.vmta, r.queue])).toEqual(ids.map(() => ['mta2', 'static.test/mta1']));
  }, 60_000);

  it('queue-priority: under a full <virtual-mta> max-smtp-out, the freed slot goes to the higher-priority queue first', async () => {
    const { store, redis, prefix, receivers } = await setup({
      receivers: [{}],
      patterns: [],
      vmta: ['max-smtp-out 1'],
      extra: ['<domain high.test>', '  queue-priority 90', '</domain>', '<domain low.test>', '  queue-priority 10', '</domain>'],
      domain: () => [],
    });
    // the VMTA's one slot is taken while both queues fill up and ask for it
    const limiter = new ConnectionLimiter(redis, prefix);
    const vmta = { kind: 'vmta', vmta: 'mta1' } as const;
    expect(await limiter.acquire(vmta, 'test-block', 1, 60_000)).toBe(true);
    const low = await Promise.all([0, 1, 2].map((i) => store.enqueue(message([`l${i}@low.test`]))));
    const high = await Promise.all([0, 1, 2].map((i) => store.enqueue(message([`h${i}@high.test`]))));
    const waiters = new Keys(prefix).vmtaConnectionWaiters('mta1');
    const waiting = async () => (await redis.zrange(waiters, '0', '-1')).join(' ');
    await expect.poll(waiting, POLL).toContain('low.test/mta1#0');
    await expect.poll(waiting, POLL).toContain('high.test/mta1#0');
    await limiter.release(vmta, 'test-block');
    const ids = [...low, ...high].map((m) => m.id);
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    const order = receivers[0]!.messages.flatMap((m) => m.to).map((a) => a.split('@')[1]);
    expect(order).toEqual(['high.test', 'high.test', 'high.test', 'low.test', 'low.test', 'low.test']);
  }, 60_000);

  it('backoff-recovery-steps: after backoff the queue sends at the stepped rate, then at full speed once the steps are over', async () => {
    const { store, ops, redis, prefix, receivers } = await setup({
      processes: 2,
      receivers: [{}],
      patterns: [],
      domain: () => ['backoff-max-msg-rate 2/h', 'backoff-recovery-steps 2', 'backoff-recovery-step-time 1h'],
    });
    const queue = 'steps.test/mta1';
    // the operator's way in and out of backoff (vmta set queue --mode)
    expect(await ops.enterBackoff(queue, { now: Date.now(), reason: 'test', rule: '' })).toBe(true);
    expect(await ops.leaveBackoff(queue, Date.now())).toBe(true);
    const since = (await ops.state(queue)).recoverySince!;
    expect(since).toBeGreaterThan(0);
    const ids = await Promise.all(Array.from({ length: 10 }, async (_, i) => (await store.enqueue(message([`s${i}@steps.test`]))).id));
    await expect.poll(() => receivers[0]!.messages.length, POLL).toBeGreaterThan(0);
    // step 1 of 2 is 4/h (2/h doubled) for an hour: a few seconds cannot see more than its burst
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receivers[0]!.messages.length).toBeLessThanOrEqual(4);
    // the steps are over (as if two hours had passed): the normal, unlimited rate
    await redis.hset(new Keys(prefix).queueState(queue), 'recoverySince', String(since - 2 * 3_600_000 - 1));
    await store.dispatcher.wake({ queue, domain: 'steps.test', vmta: 'mta1' });
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    expect(receivers[0]!.messages.flatMap((m) => m.to).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}@steps.test`).sort());
  }, 60_000);
});

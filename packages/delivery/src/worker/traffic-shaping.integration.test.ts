/**
 * Traffic shaping end to end: <smtp-pattern-list> rules applied to real replies of test receivers
 * (127.0.0.10, .11), backoff mode kept in Redis and obeyed by two delivery processes. Counts are
 * taken at the receiver; timings are asserted only as generous lower bounds on spreading.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SHAPING_SENDER as SENDER, shapingMessage as message, shapingTestbeds } from '../testing/shaping-testbed.js';

const POLL = { timeout: 30_000, interval: 100 };

describe('traffic shaping: smtp-pattern-list and backoff mode', () => {
  const setup = shapingTestbeds(afterEach);

  it('enters backoff on a matching 421 and two processes send at backoff-max-msg-rate, each message once', async () => {
    let first = true;
    const accepted: number[] = [];
    const { store, ops, rule, records } = await setup({
      processes: 2,
      receivers: [
        {
          rcptReply: (address) => {
            if (address === 'first@slow.test' && first) {
              first = false;
              return [421, '4.7.0 too many messages, slow down'];
            }
            accepted.push(Date.now());
            return undefined;
          },
        },
      ],
      patterns: ['/^421 .*slow down/ mode=backoff'],
      domain: () => ['backoff-max-msg-rate 2/s', 'backoff-max-smtp-out 2'],
    });
    const trigger = await store.enqueue(message(['first@slow.test']));
    await expect.poll(async () => (await ops.state('slow.test/mta1')).mode, POLL).toBe('backoff');
    const state = await ops.state('slow.test/mta1');
    expect(state.backoff).toMatchObject({ reason: expect.stringContaining('slow down'), rule: rule(0) });
    const ids: string[] = [trigger.id];
    for (let i = 0; i < 16; i++) ids.push((await store.enqueue(message([`u${i}@slow.test`]))).id);
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    // 17 accepted recipients at 2/s cannot take less than ~8 s; without backoff they take well under 1 s.
    expect(accepted).toHaveLength(17);
    expect(accepted.at(-1)! - accepted[0]!).toBeGreaterThanOrEqual(5_000);
    for (const at of accepted) expect(accepted.filter((x) => x >= at && x < at + 1_000).length).toBeLessThanOrEqual(4);
    const acct = await records();
    expect(acct.filter((r) => r.type === 'd')).toHaveLength(17);
    expect(acct.find((r) => r.type === 't')?.replyPattern).toBe(rule(0));
    expect((await ops.state('slow.test/mta1')).mode).toBe('backoff');
  }, 60_000);

  it('returns to normal when backoff-to-normal-after has passed', async () => {
    let first = true;
    const { store, ops, records } = await setup({
      receivers: [{ rcptReply: () => (first ? ((first = false), [421, '4.7.0 slow down']) : undefined) }],
      patterns: ['/slow down/ mode=backoff'],
      domain: () => ['backoff-to-normal-after 3s'],
    });
    const { id } = await store.enqueue(message(['a@timer.test']));
    await expect.poll(async () => (await ops.state('timer.test/mta1')).mode, POLL).toBe('backoff');
    await expect.poll(async () => (await ops.state('timer.test/mta1')).mode, POLL).toBe('normal');
    expect((await ops.state('timer.test/mta1')).backoff).toBeUndefined();
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect((await records()).filter((r) => r.type === 'd')).toHaveLength(1);
  }, 60_000);

  it('returns to normal after a delivery with backoff-to-normal-after-delivery, and the change is logged', async () => {
    let first = true;
    const { store, ops, events, rule, records } = await setup({
      receivers: [{ rcptReply: () => (first ? ((first = false), [421, '4.7.0 slow down']) : undefined) }],
      patterns: ['/slow down/ mode=backoff'],
      domain: () => ['backoff-to-normal-after-delivery yes'],
    });
    const { id } = await store.enqueue(message(['a@again.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    const changes = events.filter((e) => e.event === 'queue-mode').map((e) => [e.mode, e.rule ?? e.by]);
    expect(changes).toEqual([
      ['backoff', rule(0)],
      ['normal', 'backoff-to-normal-after-delivery'],
    ]);
    expect((await ops.state('again.test/mta1')).mode).toBe('normal');
  }, 60_000);

  it('bounces a recipient at once on a 4xx to RCPT with bounce-rcpt, with a DSN and a b record naming the rule', async () => {
    const { store, ops, rule, records, receivers } = await setup({
      receivers: [{ rcptReply: (a) => (a.startsWith('full@') ? [452, '4.2.2 mailbox full'] : undefined) }],
      patterns: ['/mailbox full/ bounce-rcpt'],
      domain: () => [],
    });
    const { id } = await store.enqueue(message(['full@quota.test', 'ok@quota.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    const acct = (await records()).filter((r) => r.msgId === id && r.type !== 'r');
    expect(acct.map((r) => [r.type, r.rcpt])).toEqual(
      expect.arrayContaining([
        ['b', 'full@quota.test'],
        ['d', 'ok@quota.test'],
      ]),
    );
    expect(acct).toHaveLength(2);
    expect(acct.find((r) => r.type === 'b')).toMatchObject({ replyPattern: rule(0), dsnStatus: '4.2.2' });
    // the DSN goes to the sender (the first receiver is sender.test's MX too)
    await expect.poll(() => receivers[0]!.messages.filter((m) => m.from === '' && m.to.includes(SENDER)).length, POLL).toBe(1);
    expect((await ops.state('quota.test/mta1')).bounced).toBe(1);
  }, 60_000);

  it('delivers through the next MX with skip-mx, even on a 5xx, keeping the mail', async () => {
    const { store, rule, records, receivers } = await setup({
      receivers: [{ rcptReply: (a) => (a.endsWith('@skip.test') ? [550, '5.7.1 blocked by policy'] : undefined) }, {}],
      patterns: ['/blocked by policy/ skip-mx'],
      domain: (ports) => [`smtp-hosts [127.0.0.10]:${ports[0]}; [127.0.0.11]:${ports[1]}`],
    });
    const { id } = await store.enqueue(message(['x@skip.test']));
    await expect.poll(() => store.get(id), POLL).toBeUndefined();
    expect(receivers[1]!.messages.map((m) => m.to)).toEqual([['x@skip.test']]);
    expect(receivers[0]!.messages).toHaveLength(0);
    const acct = (await records()).filter((r) => r.msgId === id && r.type !== 'r');
    expect(acct.map((r) => r.type)).toEqual(['d']);
    void rule;
  }, 60_000);

  it("skip-mx's extra connection takes a VMTA slot: with <virtual-mta> max-smtp-out 1 taken by the first MX, the mail stays queued", async () => {
    const { store, ops, events, receivers } = await setup({
      receivers: [{ rcptReply: (a) => (a.endsWith('@tight.test') ? [550, '5.7.1 blocked by policy'] : undefined) }, {}],
      patterns: ['/blocked by policy/ skip-mx'],
      vmta: ['max-smtp-out 1'],
      domain: (ports) => [`smtp-hosts [127.0.0.10]:${ports[0]}; [127.0.0.11]:${ports[1]}`],
    });
    const { id } = await store.enqueue(message(['x@tight.test']));
    await expect.poll(() => events.some((e) => e.event === 'skip-mx' && e.reason === 'virtual-mta max-smtp-out'), POLL).toBe(true);
    expect(receivers[1]!.messages).toHaveLength(0);
    expect(await store.get(id)).toBeDefined();
    expect((await ops.state('tight.test/mta1')).delivered).toBe(0);
  }, 60_000);

  it('bounces every message of the queue with bounce-queue, each once, with DSNs', async () => {
    const { store, ops, rule, records, receivers } = await setup({
      receivers: [{ rcptReply: (a) => (a.endsWith('@banned.test') ? [421, '4.7.1 sender banned'] : undefined) }],
      patterns: ['/sender banned/ bounce-queue'],
      domain: () => [],
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.enqueue(message([`u${i}@banned.test`]))).id);
    await expect.poll(async () => (await Promise.all(ids.map((id) => store.get(id)))).every((m) => m === undefined), POLL).toBe(true);
    const acct = (await records()).filter((r) => ids.includes(r.msgId!) && r.type === 'b');
    expect(acct.map((r) => r.rcpt).sort()).toEqual(['u0', 'u1', 'u2', 'u3', 'u4'].map((u) => `${u}@banned.test`));
    expect(acct.every((r) => r.replyPattern === rule(0))).toBe(true);
    expect((await ops.state('banned.test/mta1')).bounced).toBe(5);
    await expect.poll(() => receivers[0]!.messages.filter((m) => m.from === '').length, POLL).toBe(5);
  }, 60_000);

  it('applies the list to the greeting: a 421 greeting puts the queue into backoff (behind retry mode)', async () => {
    const { store, ops, rule } = await setup({
      receivers: [{ greeting: [421, '4.7.0 too many connections from your IP'] }],
      patterns: ['/too many connections/ mode=backoff'],
      domain: () => [],
    });
    const { id } = await store.enqueue(message(['a@greet.test']));
    await expect.poll(async () => (await ops.state('greet.test/mta1')).backoff?.rule, POLL).toBe(rule(0));
    await expect.poll(async () => (await ops.state('greet.test/mta1')).mode, POLL).toBe('retry');
    expect((await ops.state('greet.test/mta1')).backoff?.reason).toContain('too many connections');
    expect(await store.get(id)).toBeDefined();
  }, 60_000);

  it('puts the queue into retry mode at once with defer-queue, keeping the mail', async () => {
    const { store, ops, rule, records } = await setup({
      receivers: [{ rcptReply: () => [450, '4.7.1 greylisted, come back later'] }],
      patterns: ['/greylisted/ defer-queue'],
      domain: () => [],
    });
    const { id } = await store.enqueue(message(['a@grey.test']));
    await expect.poll(async () => (await ops.state('grey.test/mta1')).mode, POLL).toBe('retry');
    expect((await ops.state('grey.test/mta1')).retryAt).toBeGreaterThan(Date.now() + 30 * 60_000);
    await expect.poll(async () => (await records()).filter((r) => r.msgId === id && r.type === 't').map((r) => r.replyPattern), POLL).toEqual([rule(0)]);
    expect(await store.get(id)).toBeDefined();
  }, 60_000);
});

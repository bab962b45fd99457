import { describe, expect, it } from 'vitest';
import { warmupFor } from './args.js';
import type { Context } from './scenarios/common.js';
import { senderLoads, sizeClass, SIZE_MIX, SLOW_WARM_DOMAIN } from './scenarios/senders-loads.js';
import type { BenchCert } from './tls-cert.js';
import { mtaOrder } from './scenarios/senders-env.js';

describe('the senders scenario', () => {
  it('mixes sizes 80 / 19 / 1 in every hundred messages, one 2 MB message in each hundred', () => {
    const counts = [0, 0, 0];
    for (let k = 0; k < 1000; k++) counts[sizeClass(k)]!++;
    expect(counts).toEqual(SIZE_MIX.map((s) => s.share * 10));
    const large = Array.from({ length: 1000 }, (_, k) => k).filter((k) => sizeClass(k) === 2);
    expect(large.slice(0, 3)).toEqual([27, 127, 227]);
  });

  it('lets each MTA go first in turn', () => {
    expect([0, 1, 2].map((i) => mtaOrder(i)[0])).toEqual(['postfix', 'haraka', 'vmta']);
    expect(mtaOrder(1)).toEqual(['haraka', 'vmta', 'postfix']);
  });

  it('warms the slow-sink load through a fast sink of its own, with as many messages as the other loads', () => {
    const ctx = { tools: { smtpSource: '/bin/false' } } as unknown as Context;
    const cert = { setup: 'rsa+ecdsa' } as BenchCert;
    const loads = senderLoads(ctx, { quick: false, sessions: 20, size: 10_240, manyDomains: 1000, slowDelaySeconds: 1 }, cert);
    const slow = loads.find((l) => l.name === 'slow-sink')!;
    expect(slow.setup.sinkArgs).toEqual(['-w', '1']);
    expect(slow.setup.warmRoute).toBe(SLOW_WARM_DOMAIN);
    expect(slow.messages).toBe(1000);
    expect(warmupFor({ quick: false }, slow.warmMessages ?? slow.messages)).toBe(1000);
    expect(slow.describe).toContain(SLOW_WARM_DOMAIN);
    // The other loads keep their warm-up at most their own count.
    const fan = loads.find((l) => l.name === 'fanout')!;
    expect(fan.warmMessages).toBeUndefined();
    expect(warmupFor({ quick: false }, fan.warmMessages ?? fan.messages)).toBe(300);
  });
});

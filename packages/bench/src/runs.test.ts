import { describe, expect, it } from 'vitest';
import { manyDomainRecipient } from './many-domains.js';
import { checkRun, median, runOrder, spread } from './runs.js';

describe('median and spread of several runs', () => {
  it.each([
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[5, Number.NaN, 1], 3],
    [[], Number.NaN],
  ])('median(%j) = %d', (xs, m) => expect(median(xs)).toEqual(m));

  it('keeps min and max, leaves failed (NaN / missing) runs out of them but counts them', () => {
    expect(spread([900, 1100, Number.NaN, 1000, undefined])).toEqual({ median: 1000, min: 900, max: 1100, runs: 5 });
    expect(spread([undefined])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN, runs: 1 });
  });
});

describe('the check of a run', () => {
  const ok = { messages: 1000, sinkCount: 1000, sourceExitCode: 0, deferred: 0, bounced: 0, endToEndMs: 1200 };
  it.each([
    [{}, []],
    [{ deferred: undefined, bounced: undefined }, []],
    [{ sinkCount: 999 }, ['sink got 999 of 1000']],
    [{ sinkCount: 1001 }, ['sink got 1001 of 1000']],
    [{ deferred: 3 }, ['3 deferred']],
    [{ bounced: 1, sourceExitCode: 1 }, ['load generator exited 1', '1 bounced']],
    [{ endToEndMs: Number.NaN, sinkCount: 10 }, ['sink got 10 of 1000', 'did not finish in time']],
    [{ endToEndMs: null as unknown as number }, ['did not finish in time']],
  ])('%j -> %j', (change, problems) => {
    const r = checkRun({ ...ok, ...change });
    expect(r.problems).toEqual(problems);
    expect(r.ok).toBe(problems.length === 0);
  });
});

describe('run order and the many-domain load', () => {
  it('alternates which MTA goes first', () => {
    expect([0, 1, 2, 3].map(runOrder)).toEqual([
      ['postfix', 'vmta'],
      ['vmta', 'postfix'],
      ['postfix', 'vmta'],
      ['vmta', 'postfix'],
    ]);
  });
  it.each([
    [0, 1000, 'u0@d0.many.bench.test'],
    [999, 1000, 'u999@d999.many.bench.test'],
    [1000, 1000, 'u1000@d0.many.bench.test'],
    [7, 3, 'u7@d1.many.bench.test'],
  ])('message %d over %d domains goes to %s', (k, domains, rcpt) => expect(manyDomainRecipient(k, domains)).toBe(rcpt));
  it('warms up on other domains than the measured run, as many of them', () => {
    const domains = (label?: 'd' | 'w') => new Set(Array.from({ length: 5000 }, (_, k) => manyDomainRecipient(k, 1000, label).split('@')[1]));
    const measured = domains();
    const warm = domains('w');
    expect(warm.size).toBe(1000);
    expect([...warm].filter((d) => measured.has(d))).toEqual([]);
    expect(manyDomainRecipient(7, 3, 'w')).toBe('u7@w1.many.bench.test');
  });
  it('spreads the recipients evenly over every domain', () => {
    const domains = new Set(Array.from({ length: 5000 }, (_, k) => manyDomainRecipient(k, 1000).split('@')[1]));
    expect(domains.size).toBe(1000);
  });
});

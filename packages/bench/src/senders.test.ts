import { describe, expect, it } from 'vitest';
import { sizeClass, SIZE_MIX } from './scenarios/senders-loads.js';
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
});

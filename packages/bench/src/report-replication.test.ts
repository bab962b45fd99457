import { describe, expect, it } from 'vitest';
import { renderReplication } from './report-replication.js';
import type { ReplicationResult, ReplicationVariant } from './scenarios/replication.js';

const stamp = { ranAt: '2026-12-04T16:00:00.000Z', loadAvgAtStart: [1, 1, 1], command: 'pnpm bench --scenario replication' };
const run = (over: Partial<ReplicationVariant>): ReplicationVariant => ({
  load: 'many-domains',
  waitAt: 'both',
  msgPerSec: 300,
  endToEndPerSec: 250,
  dotTo250P50Ms: 20,
  dotTo250P99Ms: 90,
  waitsPerMsg: 2,
  failures: 0,
  arrived: 1000,
  ...over,
});

describe('replication section (§8)', () => {
  it('gives the medians per load and WAIT setting, and every run with its WAIT commands per message', () => {
    const md = renderReplication({
      ...stamp,
      messages: 1000,
      sessions: 20,
      size: 10240,
      fsync: 'always',
      runs: [run({ waitAt: 'none', waitsPerMsg: 0, msgPerSec: 600 }), run({ waitAt: 'both', msgPerSec: 300 }), run({ waitAt: 'both', msgPerSec: 200 })],
    });
    expect(md).toContain('| one message per domain | none | 600 | 250 | 20.0 | 0.00 |');
    expect(md).toContain('| one message per domain | listener + delivery | 250 | 250 | 20.0 | 2.00 |');
    expect(md).toContain('| 3 | one message per domain | listener + delivery | 200 | 250 | 20.0 | 90.0 | 2.00 | 1,000 | 0 |');
    expect(md).toContain('delivery then also WAITs once per VMTA lease');
  });

  it('reads figures from before delivery was part of it as the reused load with the listener waiting', () => {
    const old = [{ wait: true, msgPerSec: 283, dotTo250P50Ms: 38.8, dotTo250P99Ms: 292.9, failures: 0 }] as unknown as ReplicationVariant[];
    const md = renderReplication({ ...stamp, messages: 3000, sessions: 20, size: 10240, fsync: 'always', runs: old } as ReplicationResult & typeof stamp);
    expect(md).toContain('| one domain, reused sessions | listener | 283 | – | 38.8 | – |');
  });
});

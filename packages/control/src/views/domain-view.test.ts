import { describe, expect, it } from 'vitest';
import type { QueueRow } from './cluster-view.js';
import { domainRows } from './domain-view.js';

const row = (queue: string, queued: number, more: Partial<QueueRow> = {}): QueueRow => {
  const [domain, vmta] = queue.split('/') as [string, string];
  return { queue, domain, vmta, mode: 'normal', paused: false, queued, inflight: 0, deferred: 0, oldestAgeSeconds: 0, delivered: 0, bounced: 0, ...more };
};

describe('domainRows', () => {
  it('adds up the queues of each domain over its VMTAs, most queued first', () => {
    const rows = domainRows([
      row('big.example/mta1', 5, { inflight: 1, delivered: 10, oldestAgeSeconds: 30 }),
      row('small.example/mta1', 2),
      row('big.example/mta2', 4, { deferred: 2, bounced: 1, oldestAgeSeconds: 90 }),
      row('empty.example/mta2', 0, { delivered: 3 }),
    ]);
    expect(rows).toEqual([
      { domain: 'big.example', queues: 2, queued: 9, inflight: 1, deferred: 2, delivered: 10, bounced: 1, oldestAgeSeconds: 90 },
      { domain: 'small.example', queues: 1, queued: 2, inflight: 0, deferred: 0, delivered: 0, bounced: 0, oldestAgeSeconds: 0 },
      { domain: 'empty.example', queues: 1, queued: 0, inflight: 0, deferred: 0, delivered: 3, bounced: 0, oldestAgeSeconds: 0 },
    ]);
  });
});

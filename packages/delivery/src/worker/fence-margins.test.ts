import { FENCE_AFTER_MS, FENCE_CHECK_MS, HEARTBEAT_MS, SEND_WHILE_BEAT_WITHIN_MS, SLOT_RECOVERY_AFTER_MS } from '@vmta/queue';
import { describe, expect, it } from 'vitest';
import { fenceVerdict } from './slot-hold.js';

describe('fenceVerdict: what a run may do by the age of its last acknowledged heartbeat', () => {
  it.each([
    ['no heartbeat acknowledged yet', undefined, 'ask'],
    ['just beaten', 0, 'send'],
    ['one interval late', HEARTBEAT_MS, 'send'],
    ['at the send bound', SEND_WHILE_BEAT_WITHIN_MS, 'ask'],
    ['just under the fence', FENCE_AFTER_MS - 1, 'ask'],
    ['at the fence', FENCE_AFTER_MS, 'stop'],
    ['past recovery', SLOT_RECOVERY_AFTER_MS + 1, 'stop'],
  ] as const)('%s', (_name, age, verdict) => {
    const now = 1_000_000;
    expect(fenceVerdict(age === undefined ? undefined : now - age, now)).toBe(verdict);
  });
});

describe('the margins of the lease rule', () => {
  it('a run sends without asking only well inside the fence, and the fence leaves room for a late heartbeat', () => {
    expect(SEND_WHILE_BEAT_WITHIN_MS).toBeGreaterThan(HEARTBEAT_MS);
    expect(FENCE_AFTER_MS).toBeGreaterThan(SEND_WHILE_BEAT_WITHIN_MS);
  });

  it('recovery waits longer than a fenced process needs to have closed its sessions, with at least a second to spare', () => {
    // A heartbeat acknowledged by a primary and lost in the failover: Redis's score is one interval older than the process's own.
    const closedBy = HEARTBEAT_MS + FENCE_AFTER_MS + FENCE_CHECK_MS;
    expect(SLOT_RECOVERY_AFTER_MS - closedBy).toBeGreaterThanOrEqual(1_000);
  });
});

import { describe, expect, it } from 'vitest';
import { renderRedisCost } from './report-redis-cost.js';

describe('redis-cost section', () => {
  it('shows commands, bytes and CPU per message per path, and the delivery share of a trickle path', () => {
    const md = renderRedisCost({
      ranAt: '2026-12-03T16:00:00.000Z',
      loadAvgAtStart: [1, 1, 1],
      command: 'pnpm bench --scenario redis-cost',
      fsync: 'always',
      size: 10240,
      tricklePerSecond: 20,
      idleCommandsPerSecond: 12.5,
      idleByCommand: [{ command: 'bzpopmin', perSecond: 2 }],
      paths: [
        {
          name: 'trickle: one',
          describe: '',
          redis: { messages: 10, commandsPerMessage: 66.2, netInBytesPerMessage: 4882, netOutBytesPerMessage: 1249, byCommand: [{ command: 'evalsha', callsPerMessage: 7 }] },
          deliveryShare: { commandsPerMessage: 45, netInBytesPerMessage: 2813, netOutBytesPerMessage: 1212 },
          cpuMsPerMessage: { listener: 6.17, delivery: 4.03, 'redis-server': 1.57 },
          seconds: 20,
          delivered: 10,
          expected: 10,
        },
      ],
    });
    expect(md).toContain('| trickle: one | 66.2 (delivery ≈ 45.0) | 4,882 (2,813) | 1,249 (1,212) | 6.17 | 4.03 | 1.57 | 10/10 |');
    expect(md).toContain('12.5 commands/s (bzpopmin 2.0)');
    expect(md).toContain('- trickle: one: evalsha 7.0');
  });
});

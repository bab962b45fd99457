import { describe, expect, it } from 'vitest';
import { parseCommandStats, parseInfo, perMessage } from './redis-info.js';

const INFO = '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\r\n# Stats\r\ntotal_commands_processed:42\r\n';
const CMDSTATS = '# Commandstats\r\ncmdstat_evalsha:calls=300,usec=6000,usec_per_call=20.00,rejected_calls=0,failed_calls=0\r\ncmdstat_hset:calls=100,usec=200,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n';

describe('Redis INFO parsing', () => {
  it('reads key:value lines and skips section headers', () => {
    expect(parseInfo(INFO)).toEqual({ used_memory: '1048576', used_memory_human: '1.00M', total_commands_processed: '42' });
  });
  it('reads commandstats calls and usec', () => {
    expect(parseCommandStats(CMDSTATS)).toEqual({ evalsha: { calls: 300, usec: 6000 }, hset: { calls: 100, usec: 200 } });
  });
  it('scales to one message, most Redis time first', () => {
    expect(perMessage(parseCommandStats(CMDSTATS), 100)).toEqual([
      { command: 'evalsha', callsPerMessage: 3, usecPerMessage: 60 },
      { command: 'hset', callsPerMessage: 1, usecPerMessage: 2 },
    ]);
    expect(perMessage(parseCommandStats(CMDSTATS), 0)).toEqual([]);
  });
});

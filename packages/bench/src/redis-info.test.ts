import { describe, expect, it } from 'vitest';
import { costBetween, parseCommandStats, parseInfo, perMessage, snapshotFromInfo } from './redis-info.js';

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

describe('Redis cost between two snapshots', () => {
  const at = (evalsha: number, hset: number, info: number, inB: number, outB: number) =>
    snapshotFromInfo(
      `# Stats\r\ntotal_net_input_bytes:${inB}\r\ntotal_net_output_bytes:${outB}\r\n# Commandstats\r\ncmdstat_evalsha:calls=${evalsha},usec=1\r\ncmdstat_hset:calls=${hset},usec=1\r\ncmdstat_info:calls=${info},usec=1\r\n`,
    );
  it('counts the commands and bytes served in between, per message, without the bench own INFO', () => {
    const cost = costBetween(at(10, 5, 1, 1000, 5000), at(40, 25, 9, 3000, 6000), 10);
    expect(cost.byCommand).toEqual([
      { command: 'evalsha', callsPerMessage: 3 },
      { command: 'hset', callsPerMessage: 2 },
    ]);
    expect(cost.commandsPerMessage).toBe(5);
    expect(cost.netInBytesPerMessage).toBe(200);
    expect(cost.netOutBytesPerMessage).toBe(100);
  });
  it('counts a command first seen after the first snapshot', () => {
    const before = at(1, 1, 0, 0, 0);
    const after = { ...at(1, 1, 0, 0, 0), commands: { ...at(1, 1, 0, 0, 0).commands, zadd: { calls: 4, usec: 1 } } };
    expect(costBetween(before, after, 2).byCommand).toEqual([{ command: 'zadd', callsPerMessage: 2 }]);
  });
});

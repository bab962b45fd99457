import { describe, expect, it } from 'vitest';
import { parseListenerProcesses } from './listener-cluster.js';

describe('parseListenerProcesses', () => {
  const cases: Array<[string, number, number | undefined]> = [
    ['1', 8, 1],
    ['2', 8, 2],
    [' 4 ', 8, 4],
    ['64', 8, 64],
    ['auto', 2, 2],
    ['AUTO', 16, 16],
    ['auto', 1, 1],
    ['auto', 200, 64],
    ['0', 8, undefined],
    ['65', 8, undefined],
    ['-1', 8, undefined],
    ['1.5', 8, undefined],
    ['two', 8, undefined],
    ['', 8, undefined],
  ];
  it.each(cases)('reads %j on %i cores as %s', (value, cores, want) => {
    expect(parseListenerProcesses(value, cores)).toBe(want);
  });
});

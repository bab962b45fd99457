import { describe, expect, it } from 'vitest';
import { parseBenchArgs, UsageError } from './args.js';

describe('pnpm bench arguments', () => {
  it('runs everything at full size by default, writing to the repo root', () => {
    const o = parseBenchArgs([], '/repo');
    expect(o).toMatchObject({ scenarios: ['e2e', 'queues', 'million'], messages: 10_000, sessions: 20, size: 10_240, domains: 10_000, blocked: 1_000, million: 1_000_000, fsync: 'always', profile: true, outDir: '/repo' });
  });
  it.each([
    [['--scenario', 'queues'], { scenarios: ['queues'] }],
    [['--scenario', 'million,e2e'], { scenarios: ['e2e', 'million'] }],
    [['--scenario', 'e2e', '--scenario', 'all'], { scenarios: ['e2e', 'queues', 'million'] }],
    [['--messages', '20_000', '--out', '/tmp/x'], { messages: 20_000, outDir: '/tmp/x' }],
    [['--quick'], { messages: 1_000, domains: 500, blocked: 50, million: 20_000, quick: true, renderOnly: false }],
    [['--render'], { renderOnly: true }],
    [['--fsync', 'everysec', '--no-profile'], { fsync: 'everysec', profile: false }],
  ])('%j', (argv, expected) => {
    expect(parseBenchArgs(argv, '/repo')).toMatchObject(expected);
  });
  it.each([[['--scenario', 'fast']], [['--messages', '0']], [['--messages', 'many']], [['--fsync', 'no']], [['--domains', '10', '--blocked', '10']], [['--bogus']]])(
    'refuses %j',
    (argv) => {
      expect(() => parseBenchArgs(argv, '/repo')).toThrow(UsageError);
    },
  );
});

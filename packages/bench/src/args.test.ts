import { describe, expect, it } from 'vitest';
import { parseBenchArgs, USAGE, UsageError, warmupFor } from './args.js';

describe('pnpm bench arguments', () => {
  it('runs everything at full size by default, writing to the repo root', () => {
    const o = parseBenchArgs([], '/repo');
    expect(o).toMatchObject({ scenarios: ['e2e', 'senders', 'queues', 'million', 'dkim', 'suppress', 'ops', 'replication', 'redis-cost', 'capacity'], senders: ['reused', 'per-connection', 'submission', 'fanout', 'size-mix', 'many-domains', 'slow-sink'], mtas: ['postfix', 'haraka', 'vmta'], messages: 10_000, sessions: 20, size: 10_240, domains: 10_000, blocked: 1_000, million: 1_000_000, suppressed: 10_000_000, fsync: 'always', profile: true, outDir: '/repo' });
  });
  it.each([
    [['--scenario', 'queues'], { scenarios: ['queues'] }],
    [['--scenario', 'million,e2e'], { scenarios: ['e2e', 'million'] }],
    [['--scenario', 'e2e', '--scenario', 'all'], { scenarios: ['e2e', 'senders', 'queues', 'million', 'dkim', 'suppress', 'ops', 'replication', 'redis-cost', 'capacity'] }],
    [['--scenario', 'senders', '--senders', 'submission,per-connection', '--mtas', 'vmta,postfix'], { scenarios: ['senders'], senders: ['per-connection', 'submission'], mtas: ['postfix', 'vmta'] }],
    [['--vmta-cli', '/old/packages/cli/dist/main.js'], { vmtaCli: '/old/packages/cli/dist/main.js' }],
    [['--messages', '20_000', '--out', '/tmp/x'], { messages: 20_000, outDir: '/tmp/x' }],
    [['--quick'], { messages: 1_000, domains: 500, blocked: 50, million: 20_000, quick: true, renderOnly: false }],
    [['--render'], { renderOnly: true }],
    [['--fsync', 'everysec', '--no-profile'], { fsync: 'everysec', profile: false }],
    [[], { runs: 3, slowMessages: 2_000, slowDelaySeconds: 1, manyDomains: 1_000, variants: true }],
    [['--quick'], { runs: 1, slowMessages: 200, manyDomains: 100 }],
    [['--quick', '--runs', '3'], { runs: 3, quick: true }],
    [['--runs', '5', '--slow-messages', '500', '--slow-delay', '2', '--many-domains', '2_000'], { runs: 5, slowMessages: 500, slowDelaySeconds: 2, manyDomains: 2_000 }],
    [['--no-variants'], { variants: false }],
    [['--warmup', '0'], { warmup: 0 }],
    [['--warmup', '2_000'], { warmup: 2_000 }],
  ])('%j', (argv, expected) => {
    expect(parseBenchArgs(argv, '/repo')).toMatchObject(expected);
  });
  it.each([
    [[], 3000, 1000],
    [[], 300, 300],
    [['--quick'], 300, 100],
    [['--quick'], 40, 40],
    [['--warmup', '0'], 3000, 0],
    [['--warmup', '5000'], 300, 5000],
    [['--quick', '--warmup', '250'], 300, 250],
  ])('%j warms a load of %d messages up with %d', (argv, messages, warm) => {
    expect(warmupFor(parseBenchArgs(argv, '/repo'), messages)).toBe(warm);
  });
  it('documents --warmup in --help', () => expect(USAGE).toContain('--warmup N'));
  it('documents the new options in --help', () => {
    for (const flag of ['--senders LIST', '--mtas LIST', '--vmta-cli PATH', '--runs N', '--slow-messages N', '--slow-delay S', '--many-domains N', '--no-variants']) expect(USAGE).toContain(flag);
  });
  it.each([[['--scenario', 'fast']], [['--messages', '0']], [['--messages', 'many']], [['--fsync', 'no']], [['--domains', '10', '--blocked', '10']], [['--bogus']], [['--runs', '0']], [['--runs', '1.5']], [['--slow-delay', '0']], [['--many-domains', 'x']], [['--senders', 'web']], [['--mtas', 'exim']], [['--warmup', '-1']], [['--warmup', 'some']]])(
    'refuses %j',
    (argv) => {
      expect(() => parseBenchArgs(argv, '/repo')).toThrow(UsageError);
    },
  );
});

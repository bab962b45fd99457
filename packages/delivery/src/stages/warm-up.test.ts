import { describe, expect, it } from 'vitest';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { coldVmtaOf } from './warm-up.js';

const config = loadConfigText(
  [
    'host-name h.example',
    '<virtual-mta mta1>',
    '  smtp-source-host 127.0.0.2 warm.example',
    '</virtual-mta>',
    '<virtual-mta mta1-cold>',
    '  smtp-source-host 127.0.0.3 cold.example',
    '</virtual-mta>',
    '<virtual-mta mta2>',
    '  smtp-source-host 127.0.0.4 other.example',
    '</virtual-mta>',
    '<domain *>',
    '  max-cold-virtual-mta-msg 100/d',
    '</domain>',
    '<domain quiet.example>',
    '  max-cold-virtual-mta-msg 0',
    '</domain>',
  ].join('\n'),
);

describe('IP warm-up: the cold VMTA of a queue', () => {
  it.each<[string, string, string, string | undefined]>([
    ['foo with foo-cold and a daily limit', 'gmail.com', 'mta1', 'mta1-cold'],
    ['no foo-cold VMTA', 'gmail.com', 'mta2', undefined],
    ['the limit 0 turns it off', 'quiet.example', 'mta1', undefined],
    ['the cold VMTA itself has no colder one', 'gmail.com', 'mta1-cold', undefined],
  ])('%s', (_name, domain, vmta, cold) => {
    const c = coldVmtaOf(config, vmta, domainPolicy(config, domain, vmta).settings);
    expect(c?.name).toBe(cold);
    if (c) expect(c.limit).toEqual({ count: 100, perMs: 86_400_000 });
  });

  it('is off by default (0/d)', () => {
    const plain = loadConfigText(['host-name h.example', '<virtual-mta mta1>', '</virtual-mta>', '<virtual-mta mta1-cold>', '</virtual-mta>'].join('\n'));
    expect(coldVmtaOf(plain, 'mta1', domainPolicy(plain, 'gmail.com', 'mta1').settings)).toBeUndefined();
  });
});

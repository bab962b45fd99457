import { loadConfigText, sourcePolicy, VmtaSelector } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { matchPatternList, type PatternRoutingInput } from './pattern-routing.js';
import { selectVirtualMta } from './vmta-selection.js';

const config = loadConfigText(
  [
    '<virtual-mta mta1>', // 1
    '</virtual-mta>', // 2
    '<virtual-mta billing>', // 3
    '</virtual-mta>', // 4
    '<virtual-mta acme>', // 5
    '</virtual-mta>', // 6
    '<virtual-mta-pool vip>', // 7
    '  virtual-mta acme', // 8
    '</virtual-mta-pool>', // 9
    '<pattern-list sub>', // 10
    '  mail-from /newsletter/ virtual-mta=mta1', // 11
    '</pattern-list>', // 12
    '<pattern-list routes>', // 13
    '  header X-Tenant /^\\s*acme\\s*$/ virtual-mta=acme', // 14
    '  mail-from /^billing@/ virtual-mta=billing', // 15
    '  rcpt-to /@vip\\.example$/ virtual-mta=vip', // 16
    '  mail-from exact@example.com virtual-mta=billing', // 17
    '  rcpt-to /prio@/ recipient-priority=90', // 18
    '  header x-select /abc123/ call-to:sub', // 19
    '</pattern-list>', // 20
    '<source 0/0>', // 21
    '  pattern-list routes', // 22
    '  default-virtual-mta mta1', // 23
    '  process-x-virtual-mta yes', // 24
    '</source>', // 25
    '<source 10.0.0.0/8>', // 26
    '  process-x-virtual-mta no', // 27
    '</source>', // 28
    '<pattern-list alice-routes>', // 29
    '  mail-from /./ virtual-mta=acme', // 30
    '</pattern-list>', // 31
    '<source alice-source>', // 32
    '  pattern-list alice-routes', // 33
    '</source>', // 34
    '<smtp-user alice>', // 35
    '  password x', // 36
    '  source alice-source', // 37
    '</smtp-user>', // 38
  ].join('\n'),
  'vmta.conf',
);

const msg = (over: Partial<PatternRoutingInput> = {}): PatternRoutingInput => ({
  mailFrom: 'news@shop.example',
  recipients: ['a@example.com'],
  header: 'From: a@example.com\r\nSubject: hi\r\n\r\n',
  ...over,
});

describe('matchPatternList: first matching rule of the list, in the order written', () => {
  it.each<[string, PatternRoutingInput, { virtualMta?: string; rule: string; recipientPriority?: number } | undefined]>([
    ['mail-from regex', msg({ mailFrom: 'billing@shop.example' }), { virtualMta: 'billing', rule: 'vmta.conf:15' }],
    ['mail-from regex ignores case by default', msg({ mailFrom: 'BILLING@shop.example' }), { virtualMta: 'billing', rule: 'vmta.conf:15' }],
    ['mail-from exact, ignoring case', msg({ mailFrom: 'Exact@Example.com' }), { virtualMta: 'billing', rule: 'vmta.conf:17' }],
    ['exact does not match a longer address', msg({ mailFrom: 'inexact@example.com' }), undefined],
    ['header contents with the white space as received', msg({ header: 'X-Tenant:  acme \r\n\r\n' }), { virtualMta: 'acme', rule: 'vmta.conf:14' }],
    ['header name in any case', msg({ header: 'x-tenant: ACME\r\n\r\n' }), { virtualMta: 'acme', rule: 'vmta.conf:14' }],
    ['header that does not match', msg({ header: 'X-Tenant: acme-two\r\n\r\n' }), undefined],
    ['an earlier rule wins over a later one', msg({ mailFrom: 'billing@x', header: 'X-Tenant: acme\r\n\r\n' }), { virtualMta: 'acme', rule: 'vmta.conf:14' }],
    ['rcpt-to: any recipient routes the whole message', msg({ recipients: ['a@example.com', 'b@vip.example'] }), { virtualMta: 'vip', rule: 'vmta.conf:16' }],
    ['a priority only: no VMTA chosen', msg({ recipients: ['prio@example.com'] }), { recipientPriority: 90, rule: 'vmta.conf:18' }],
    ['call-to: the called list decides', msg({ mailFrom: 'newsletter@x', header: 'X-Select: abc123\r\n\r\n' }), { virtualMta: 'mta1', rule: 'vmta.conf:11' }],
    ['call-to: nothing in the called list matches', msg({ header: 'X-Select: abc123\r\n\r\n' }), { rule: 'vmta.conf:19' }],
    ['nothing matches', msg(), undefined],
  ])('%s', (_, input, expected) => {
    expect(matchPatternList(config, 'routes', input)).toEqual(expected);
  });

  it('decides nothing without a list or for an unknown one', () => {
    expect(matchPatternList(config, undefined, msg({ mailFrom: 'billing@x' }))).toBeUndefined();
    expect(matchPatternList(config, 'nope', msg({ mailFrom: 'billing@x' }))).toBeUndefined();
  });
});

describe('selectVirtualMta with a <pattern-list> decision', () => {
  const select = (clientIp: string, input: PatternRoutingInput, header?: string) => {
    const source = sourcePolicy(config, clientIp).settings;
    const pattern = matchPatternList(config, source['pattern-list'], input);
    return selectVirtualMta(config, { source, localAddress: '127.0.0.1', selector: new VmtaSelector(config), ...(pattern ? { pattern } : {}), ...(header ? { header } : {}) });
  };

  it('uses the pattern list of an smtp-user through its source once authenticated', () => {
    const source = sourcePolicy(config, '192.0.2.1', { authUser: 'alice' }).settings;
    expect(source['pattern-list']).toBe('alice-routes');
    expect(matchPatternList(config, source['pattern-list'], msg())).toEqual({ virtualMta: 'acme', rule: 'vmta.conf:30' });
  });

  it.each([
    ['a matching rule picks its VMTA', '192.0.2.1', msg({ mailFrom: 'billing@x' }), undefined, { vmta: 'billing', via: 'pattern-list', rule: 'vmta.conf:15' }],
    ['a pool named by a rule', '192.0.2.1', msg({ recipients: ['z@vip.example'] }), undefined, { vmta: 'acme', pool: 'vip', via: 'pattern-list', rule: 'vmta.conf:16' }],
    ['no match falls back to the default VMTA', '192.0.2.1', msg(), undefined, { vmta: 'mta1', via: 'source' }],
    ['a priority-only match falls back to the default VMTA', '192.0.2.1', msg({ recipients: ['prio@x'] }), undefined, { vmta: 'mta1', via: 'source' }],
    ['X-Virtual-MTA wins where the source processes it', '192.0.2.1', msg({ mailFrom: 'billing@x' }), 'acme', { vmta: 'acme', via: 'header' }],
    ['X-Virtual-MTA is ignored where it is not processed', '10.0.0.1', msg({ mailFrom: 'billing@x' }), 'acme', { vmta: 'billing', via: 'pattern-list', rule: 'vmta.conf:15' }],
  ])('%s', (_, ip, input, header, expected) => {
    expect(select(ip, input, header)).toEqual(expected);
  });
});

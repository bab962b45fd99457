import { describe, expect, it } from 'vitest';
import { checkConfigText, loadConfigText } from '../load.js';
import { parseAddressEntry } from '../values/index.js';
import { autoSuppresses, compileAddressList, suppressingList, suppressionTenant, suppressionTtlMs } from './suppression.js';

describe('address list matching', () => {
  const lists = [
    compileAddressList('a', ['foo', 'Exact@Example.com', '/^trap-\\d+@/'].map(parseAddressEntry), ['blocked.example']),
    compileAddressList('b', [parseAddressEntry('other@example.com')], []),
  ];
  it.each([
    ['foo@anywhere.example', 'a'],
    ['FOO@anywhere.example', 'a'],
    ['exact@example.com', 'a'],
    ['EXACT@EXAMPLE.COM', 'a'],
    ['trap-1@x.example', 'a'],
    ['x@blocked.example', 'a'],
    ['x@BLOCKED.example', 'a'],
    ['other@example.com', 'b'],
    ['foobar@example.com', undefined],
    ['x@sub.blocked.example', undefined],
    ['trap-x@x.example', undefined],
    ['exact@example.co', undefined],
  ])('%s is in list %s', (address, list) => {
    expect(suppressingList(lists, address)).toBe(list);
  });
});

describe('address entries', () => {
  it.each([
    ['foo', { kind: 'local', local: 'foo' }],
    ['Foo@Example.COM', { kind: 'address', address: 'foo@example.com' }],
    ['/^a/', { kind: 'regex', regex: { source: '^a', flags: 'i' } }],
  ])('parses %j', (text, value) => {
    expect(parseAddressEntry(text)).toEqual(value);
  });
  it.each(['a b', 'a@', '/(/', 'x<y'])('refuses %j', (text) => {
    expect(() => parseAddressEntry(text)).toThrow();
  });
});

const TENANTS = `
smtp-listener 127.0.0.1:25
smtp-listener 127.0.0.2:25 source=feeder
<source feeder>
</source>
<source other>
</source>
<smtp-user alice>
  password x
</smtp-user>
<smtp-user carol>
  password x
  source other
</smtp-user>
`;

describe('suppressionTenant', () => {
  it.each([
    ['smtp-user', { authUser: 'alice' }, 'user:alice'],
    ['smtp-user', { listener: '127.0.0.2:25' }, 'source:feeder'],
    ['smtp-user', { listener: '127.0.0.1:25' }, 'source:default'],
    ['source', { authUser: 'alice', listener: '127.0.0.2:25' }, 'source:feeder'],
    ['source', { authUser: 'carol', listener: '127.0.0.2:25' }, 'source:other'],
    ['global', { authUser: 'alice' }, '*'],
  ])('suppression-tenant %s, %j: %s', (mode, input, tenant) => {
    const config = loadConfigText(`suppression-tenant ${mode}\n${TENANTS}`);
    expect(suppressionTenant(config, input)).toBe(tenant);
  });
});

describe('automatic suppression settings', () => {
  it('suppresses bad-mailbox and bad-domain by default, never expiring', () => {
    const config = loadConfigText('host-name x.example');
    expect(['bad-mailbox', 'bad-domain', 'policy-related', undefined].map((c) => autoSuppresses(config, c))).toEqual([true, true, false, false]);
    expect(suppressionTtlMs(config, 'bad-mailbox')).toBe(0);
  });
  it('follows auto-suppress, auto-suppress-categories and auto-suppress-expire', () => {
    const config = loadConfigText('auto-suppress-categories bad-mailbox\nauto-suppress-expire bad-mailbox 30d\nauto-suppress-expire manual 1h');
    expect(autoSuppresses(config, 'bad-domain')).toBe(false);
    expect(suppressionTtlMs(config, 'bad-mailbox')).toBe(30 * 86_400_000);
    expect(suppressionTtlMs(config, 'manual')).toBe(3_600_000);
    expect(autoSuppresses(loadConfigText('auto-suppress no'), 'bad-mailbox')).toBe(false);
  });
});

describe('vmta check', () => {
  it('loads <address-list> and suppression-lists as in the PowerMTA guide', () => {
    const result = checkConfigText(
      ['<address-list s1>', '  address foo', '  address foo@bar.com', '  address /foo/', '</address-list>', '<address-list s2>', '  domain foo.com', '  address-file /etc/pmta/addresses', '</address-list>', '<source 0/0>', '  suppression-lists s1,s2', '</source>'].join('\n'),
      'pmta.conf',
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
  it('refuses a suppression-lists name without its <address-list>, with file:line', () => {
    const result = checkConfigText(['<address-list s1>', '  address foo', '</address-list>', '<source 0/0>', '  suppression-lists s1,nope', '</source>'].join('\n'), 'pmta.conf');
    expect(result.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual(['pmta.conf:5 suppression-lists "nope" names no <address-list>']);
  });
  it('refuses an auto-suppress-categories name that is not a bounce category, with file:line', () => {
    const result = checkConfigText(['auto-suppress-categories bad-mailbox,bad-mailbx'].join('\n'), 'pmta.conf');
    expect(result.errors.map((e) => `${e.file}:${e.line} ${e.message}`)).toEqual([expect.stringMatching(/^pmta\.conf:1 .*unknown category "bad-mailbx"/)]);
    expect(checkConfigText('auto-suppress-categories Bad-Mailbox, quota-issues', 'pmta.conf').errors).toEqual([]);
  });
  it('loads records rb,rs,tq,f without a warning: all of them are written', () => {
    const result = checkConfigText(['<acct-file /tmp/acct.csv>', '  records d,b,rb,rs,tq,f', '  record-fields rb *', '  record-fields rs *,header_X-Id', '</acct-file>'].join('\n'), 'pmta.conf');
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});

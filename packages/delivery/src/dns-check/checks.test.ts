import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfigText, parseCidr } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { answerKey, type AnyDnsOutcome } from './answers.js';
import { dnsCheckReport, type DnsCheckRow } from './checks.js';
import { dnsCheckTargets, rangeAddresses, type DnsCheckTargets } from './targets.js';
import { writeTestKey } from '../testing/dkim-test-kit.js';

type Zone = Record<string, string[] | 'SERVFAIL'>;

/** The report once every question is answered from the zone (anything not in it: NXDOMAIN). */
function report(targets: DnsCheckTargets, zone: Zone) {
  const answers = new Map<string, AnyDnsOutcome>();
  let r = dnsCheckReport(targets, answers);
  for (let i = 0; i < 30 && r.needs.length > 0; i++) {
    for (const q of r.needs) {
      const v = zone[`${q.type} ${q.name}`];
      const records = (v === undefined || v === 'SERVFAIL' ? [] : v).map((x) =>
        q.type === 'TXT' ? { text: x, ttl: 60 } : q.type === 'PTR' ? { name: x, ttl: 60 } : { address: x, family: x.includes(':') ? (6 as const) : (4 as const), ttl: 60 },
      );
      answers.set(answerKey(q.name, q.type), v === 'SERVFAIL' ? { kind: 'servfail' } : v === undefined ? { kind: 'nxdomain' } : { kind: 'ok', records, ttl: 60 });
    }
    r = dnsCheckReport(targets, answers);
  }
  return r;
}

const KEY = 'MIIBIjANBgkq';
const targets: DnsCheckTargets = {
  sources: [{ vmta: 'mta1', ip: '192.0.2.1', hostName: 'mta1.d.test' }],
  keys: [{ selector: 's1', domain: 'd.test', keyFile: '/k/s1.pem', where: 'vmta.conf:3', key: { kind: 'rsa', publicKey: KEY } }],
  domains: [{ domain: 'd.test', vmtas: ['mta1'], ips: ['192.0.2.1'] }],
  skipped: [],
};
const good: Zone = {
  'PTR 1.2.0.192.in-addr.arpa': ['mta1.d.test'],
  'A mta1.d.test': ['192.0.2.1'],
  'TXT s1._domainkey.d.test': [`v=DKIM1; k=rsa; p=${KEY}`],
  'TXT d.test': ['v=spf1 ip4:192.0.2.0/24 -all'],
  'TXT _dmarc.d.test': ['v=DMARC1; p=reject'],
};
const row = (rows: DnsCheckRow[], check: string): DnsCheckRow => rows.find((r) => r.check === check)!;

describe('dnsCheckReport', () => {
  it('passes every check when the records are published, and asks nothing more', () => {
    const r = report(targets, good);
    expect(r.ok).toBe(true);
    expect(r.needs).toEqual([]);
    expect(r.rows.map((x) => [x.check, x.subject, x.status])).toEqual([
      ['ptr', '192.0.2.1 (mta1)', 'pass'],
      ['dkim', 's1._domainkey.d.test', 'pass'],
      ['spf', 'd.test', 'pass'],
      ['dmarc', '_dmarc.d.test', 'pass'],
    ]);
  });

  it.each<[string, Zone, string, RegExp, string[]]>([
    ['no PTR', { 'PTR 1.2.0.192.in-addr.arpa': undefined as never }, 'ptr', /no PTR record/, ['1.2.0.192.in-addr.arpa. IN PTR mta1.d.test.']],
    ['a PTR naming another host', { 'PTR 1.2.0.192.in-addr.arpa': ['host-1.isp.test'] }, 'ptr', /not the EHLO name mta1.d.test/, ['1.2.0.192.in-addr.arpa. IN PTR mta1.d.test.']],
    ['a host name that does not resolve back', { 'A mta1.d.test': ['192.0.2.99'] }, 'ptr', /does not resolve back/, ['mta1.d.test. IN A 192.0.2.1']],
    ['no DKIM record', { 'TXT s1._domainkey.d.test': undefined as never }, 'dkim', /no DKIM key record/, [`s1._domainkey.d.test. IN TXT "v=DKIM1; k=rsa; p=${KEY}"`]],
    ['another key published', { 'TXT s1._domainkey.d.test': ['v=DKIM1; p=OTHER'] }, 'dkim', /not the key of \/k\/s1.pem/, [`s1._domainkey.d.test. IN TXT "v=DKIM1; k=rsa; p=${KEY}"`]],
    ['a revoked key', { 'TXT s1._domainkey.d.test': ['v=DKIM1; p='] }, 'dkim', /revoked/, [`s1._domainkey.d.test. IN TXT "v=DKIM1; k=rsa; p=${KEY}"`]],
    ['no SPF record', { 'TXT d.test': ['other'] }, 'spf', /no SPF record/, ['d.test. IN TXT "v=spf1 ip4:192.0.2.1 ~all"']],
    ['an SPF record that does not cover the address', { 'TXT d.test': ['v=spf1 include:esp.test -all'], 'TXT esp.test': ['v=spf1 -all'] }, 'spf', /192.0.2.1: fail \(-all\)/, ['d.test. IN TXT "v=spf1 ip4:192.0.2.1 include:esp.test -all"']],
    ['no DMARC record', { 'TXT _dmarc.d.test': undefined as never }, 'dmarc', /no DMARC record/, ['_dmarc.d.test. IN TXT "v=DMARC1; p=none"']],
    ['two DMARC records', { 'TXT _dmarc.d.test': ['v=DMARC1; p=none', 'v=DMARC1; p=reject'] }, 'dmarc', /2 DMARC records/, ['_dmarc.d.test. IN TXT "v=DMARC1; p=none"']],
  ])('fails on %s with the record to publish', (_name, change, check, detail, publish) => {
    const zone = { ...good, ...change };
    for (const k of Object.keys(change)) if (change[k] === undefined) delete zone[k];
    const r = report(targets, zone);
    expect(r.ok).toBe(false);
    expect(row(r.rows, check)).toMatchObject({ status: 'fail', detail: expect.stringMatching(detail), publish });
    expect(r.rows.filter((x) => x.status !== 'pass')).toHaveLength(1);
  });

  it('reports a DNS failure as an error, without a record to publish', () => {
    const r = report(targets, { ...good, 'TXT _dmarc.d.test': 'SERVFAIL' });
    expect(row(r.rows, 'dmarc')).toEqual({ check: 'dmarc', subject: '_dmarc.d.test', status: 'error', detail: 'TXT _dmarc.d.test: servfail', publish: [] });
    expect(r.ok).toBe(false);
  });

  it('takes the DMARC record of the parent domain for a subdomain', () => {
    const sub: DnsCheckTargets = { ...targets, sources: [], keys: [], domains: [{ domain: 'news.d.test', vmtas: ['mta1'], ips: ['192.0.2.1'] }] };
    const r = report(sub, { 'TXT news.d.test': ['v=spf1 ip4:192.0.2.1 -all'], 'TXT _dmarc.d.test': ['v=DMARC1; p=quarantine'] });
    expect(row(r.rows, 'dmarc')).toMatchObject({ status: 'pass', detail: 'p=quarantine (from _dmarc.d.test)' });
  });

  it('splits a long TXT value into quoted strings of 255 characters', () => {
    const long = 'A'.repeat(400);
    const r = report({ ...targets, keys: [{ ...targets.keys[0]!, key: { kind: 'rsa', publicKey: long } }] }, good);
    const line = row(r.rows, 'dkim').publish[0]!;
    expect(line).toBe(`s1._domainkey.d.test. IN TXT "${`v=DKIM1; k=rsa; p=${long}`.slice(0, 255)}" "${`v=DKIM1; k=rsa; p=${long}`.slice(255)}"`);
  });
});

describe('dnsCheckTargets', () => {
  it('takes source addresses with their EHLO names, signing domains with the addresses of the VMTAs that sign for them, and skips what it cannot check', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-dnscheck-'));
    const a = writeTestKey(dir, 'a', 'ed25519');
    writeTestKey(dir, 'b', 'ed25519');
    const config = loadConfigText(
      [
        'domain-key any,*,b.pem',
        '<virtual-mta mta1>',
        '  smtp-source-host 192.0.2.1 mta1.d.test',
        '  smtp-source-host 192.0.2.8/30 range.d.test',
        '  domain-key s1,d.test,a.pem',
        '</virtual-mta>',
        '<virtual-mta mta2>',
        '  smtp-source-host 198.51.100.0/24 big.test',
        '  host-name Named.Test',
        '  smtp-source-host 2001:db8::5 v6.test',
        '</virtual-mta>',
        '<virtual-mta-pool pool>',
        '  virtual-mta mta2',
        '  domain-key s2,e.test,a.pem',
        '</virtual-mta-pool>',
      ].join('\n'),
      path.join(dir, 'vmta.conf'),
    );
    const t = dnsCheckTargets(config, () => ({ kind: 'ed25519', publicKey: 'K' }));
    expect(t.sources.map((s) => `${s.vmta} ${s.ip} ${s.hostName}`)).toEqual([
      'mta1 192.0.2.1 mta1.d.test',
      'mta1 192.0.2.8 range.d.test',
      'mta1 192.0.2.9 range.d.test',
      'mta1 192.0.2.10 range.d.test',
      'mta1 192.0.2.11 range.d.test',
      'mta2 2001:db8::5 named.test',
    ]);
    expect(t.keys.map((k) => `${k.selector} ${k.domain} ${path.basename(k.keyFile)}`)).toEqual(['s1 d.test a.pem', 's2 e.test a.pem']);
    expect(t.keys[0]!.keyFile).toBe(a.file);
    expect(t.domains).toEqual([
      { domain: 'd.test', vmtas: ['mta1'], ips: ['192.0.2.1', '192.0.2.8', '192.0.2.9', '192.0.2.10', '192.0.2.11'] },
      { domain: 'e.test', vmtas: ['mta2'], ips: ['2001:db8::5'] },
    ]);
    expect(t.skipped).toEqual([
      { check: 'ptr', subject: '198.51.100.0/24 (mta2)', reason: 'a range of more than 16 addresses' },
      { check: 'dkim', subject: 'any._domainkey.*', reason: 'a * key signs for any sender domain: no fixed name to look up' },
    ]);
  });

  it.each([
    ['192.0.2.7', ['192.0.2.7']],
    ['192.0.2.254/31', ['192.0.2.254', '192.0.2.255']],
    ['2001:db8::ff0/126', ['2001:db8:0:0:0:0:0:ff0', '2001:db8:0:0:0:0:0:ff1', '2001:db8:0:0:0:0:0:ff2', '2001:db8:0:0:0:0:0:ff3']],
    ['192.0.2.0/27', undefined],
    ['0/0', undefined],
  ])('expands %s', (text, expected) => {
    expect(rangeAddresses(parseCidr(text))).toEqual(expected);
  });
});

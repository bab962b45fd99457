import { describe, expect, it } from 'vitest';
import { AnswerReader, answerKey, type AnyDnsOutcome } from './answers.js';
import { evaluateSpf } from './spf.js';

/** "TYPE name" → values (TXT texts, addresses, MX names, PTR names) or a failure kind; anything else is NXDOMAIN. */
type Zone = Record<string, string[] | 'SERVFAIL'>;

function outcome(key: string, zone: Zone): AnyDnsOutcome {
  const v = zone[key];
  if (v === undefined) return { kind: 'nxdomain' };
  if (v === 'SERVFAIL') return { kind: 'servfail' };
  const type = key.split(' ')[0];
  const records = v.map((x) =>
    type === 'TXT' ? { text: x, ttl: 60 } : type === 'MX' ? { preference: 10, exchange: x, ttl: 60 } : type === 'PTR' ? { name: x, ttl: 60 } : { address: x, family: x.includes(':') ? (6 as const) : (4 as const), ttl: 60 },
  );
  return { kind: 'ok', records, ttl: 60 };
}

/** Evaluates as the runner does: answer what was missed, run again. */
function spf(domain: string, ip: string, zone: Zone) {
  const answers = new Map<string, AnyDnsOutcome>();
  for (let i = 0; i < 50; i++) {
    const reader = new AnswerReader(answers);
    const r = evaluateSpf(domain, ip, reader);
    if (r !== undefined) return r;
    for (const q of reader.missing.values()) answers.set(answerKey(q.name, q.type), outcome(`${q.type} ${q.name}`, zone));
  }
  throw new Error('did not finish');
}

const includes = (n: number): Zone =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`TXT i${i}.test`, [i + 1 < n ? `v=spf1 include:i${i + 1}.test` : 'v=spf1 ip4:192.0.2.1']]));

describe('evaluateSpf', () => {
  it.each<[string, Zone, string, string, string | undefined]>([
    ['ip4 within a range', { 'TXT d.test': ['v=spf1 ip4:192.0.2.0/24 -all'] }, '192.0.2.9', 'pass', 'ip4:192.0.2.0/24'],
    ['ip4 outside, then -all', { 'TXT d.test': ['v=spf1 ip4:192.0.2.0/24 -all'] }, '198.51.100.1', 'fail', '-all'],
    ['~all', { 'TXT d.test': ['v=spf1 ~all'] }, '192.0.2.1', 'softfail', '~all'],
    ['no term matches: neutral', { 'TXT d.test': ['v=spf1 ip4:10.0.0.1'] }, '192.0.2.1', 'neutral', undefined],
    ['ip6', { 'TXT d.test': ['v=spf1 ip6:2001:db8::/32 -all'] }, '2001:db8::25', 'pass', 'ip6:2001:db8::/32'],
    ['ip4 never matches an IPv6 client', { 'TXT d.test': ['v=spf1 ip4:0.0.0.0/0 -all'] }, '2001:db8::25', 'fail', '-all'],
    ['a of the domain itself', { 'TXT d.test': ['v=spf1 a -all'], 'A d.test': ['192.0.2.7'] }, '192.0.2.7', 'pass', 'a'],
    ['a:host/24', { 'TXT d.test': ['v=spf1 a:h.test/24 -all'], 'A h.test': ['192.0.2.200'] }, '192.0.2.7', 'pass', 'a:h.test/24'],
    ['a//64 for IPv6', { 'TXT d.test': ['v=spf1 a//64 -all'], 'AAAA d.test': ['2001:db8::1'] }, '2001:db8::99', 'pass', 'a//64'],
    ['mx', { 'TXT d.test': ['v=spf1 mx -all'], 'MX d.test': ['mx1.test', 'mx2.test'], 'A mx2.test': ['192.0.2.8'] }, '192.0.2.8', 'pass', 'mx'],
    ['include that passes', { 'TXT d.test': ['v=spf1 include:esp.test -all'], 'TXT esp.test': ['v=spf1 ip4:192.0.2.0/28 ?all'] }, '192.0.2.3', 'pass', 'include:esp.test > ip4:192.0.2.0/28'],
    ['include that does not pass goes on', { 'TXT d.test': ['v=spf1 include:esp.test ~all'], 'TXT esp.test': ['v=spf1 -all'] }, '192.0.2.3', 'softfail', '~all'],
    ['redirect', { 'TXT d.test': ['v=spf1 redirect=_spf.d.test'], 'TXT _spf.d.test': ['v=spf1 ip4:192.0.2.3 -all'] }, '192.0.2.3', 'pass', 'redirect=_spf.d.test > ip4:192.0.2.3'],
    ['exists', { 'TXT d.test': ['v=spf1 exists:ok.test -all'], 'A ok.test': ['127.0.0.2'] }, '192.0.2.3', 'pass', 'exists:ok.test'],
    ['ptr', { 'TXT d.test': ['v=spf1 ptr -all'], 'PTR 3.2.0.192.in-addr.arpa': ['mail.d.test'], 'A mail.d.test': ['192.0.2.3'] }, '192.0.2.3', 'pass', 'ptr'],
    ['a TXT record that is not SPF is ignored', { 'TXT d.test': ['google-site-verification=x', 'v=spf1 +all'] }, '192.0.2.3', 'pass', '+all'],
  ])('%s', (_name, zone, ip, result, matched) => {
    const r = spf('d.test', ip, zone);
    expect(r.result).toBe(result);
    expect(r.matched).toBe(matched);
  });

  it.each<[string, Zone, string, RegExp]>([
    ['no record', { 'TXT d.test': ['something else'] }, 'none', /no SPF record/],
    ['two records', { 'TXT d.test': ['v=spf1 -all', 'v=spf1 +all'] }, 'permerror', /2 SPF records/],
    ['include of a domain without SPF', { 'TXT d.test': ['v=spf1 include:nothing.test -all'] }, 'permerror', /include:nothing.test/],
    ['redirect to a domain without SPF', { 'TXT d.test': ['v=spf1 redirect=nothing.test'] }, 'permerror', /redirect=nothing.test/],
    ['a bad ip4 term', { 'TXT d.test': ['v=spf1 ip4:192.0.2 -all'] }, 'permerror', /not a valid ip4 term/],
    ['an unknown mechanism', { 'TXT d.test': ['v=spf1 frob -all'] }, 'permerror', /unknown mechanism/],
    ['SERVFAIL on an include', { 'TXT d.test': ['v=spf1 include:down.test -all'], 'TXT down.test': 'SERVFAIL' }, 'temperror', /servfail/],
    ['more than 2 void lookups', { 'TXT d.test': ['v=spf1 a:n1.test a:n2.test a:n3.test -all'] }, 'permerror', /found nothing/],
  ])('%s', (_name, zone, result, reason) => {
    const r = spf('d.test', '192.0.2.3', zone);
    expect(r.result).toBe(result);
    expect(r.reason).toMatch(reason);
  });

  it('counts 10 lookups at most: a chain of 10 includes passes, 11 is a permerror', () => {
    expect(spf('i0.test', '192.0.2.1', includes(11)).result).toBe('pass'); // 10 include terms
    const r = spf('i0.test', '192.0.2.1', includes(12));
    expect(r).toMatchObject({ result: 'permerror', reason: expect.stringMatching(/more than 10 DNS lookups/) });
  });

  it('lists a term with macros as not evaluated and does not let it match', () => {
    const r = spf('d.test', '192.0.2.3', { 'TXT d.test': ['v=spf1 exists:%{i}._spf.d.test ~all'] });
    expect(r).toMatchObject({ result: 'softfail', notEvaluated: ['exists:%{i}._spf.d.test'] });
  });

  it('returns undefined and notes the question while an answer is missing', () => {
    const reader = new AnswerReader(new Map());
    expect(evaluateSpf('D.test', '192.0.2.3', reader)).toBeUndefined();
    expect([...reader.missing.values()]).toEqual([{ name: 'd.test', type: 'TXT' }]);
  });
});

/**
 * Enough of SPF (RFC 7208) to tell whether a domain authorises an address, pure over gathered DNS
 * answers (an answer not gathered yet makes the result undefined; see answers.ts):
 * - the record: the one TXT record starting "v=spf1" (none: `none`; more than one: `permerror`);
 * - mechanisms all, ip4, ip6, a, mx, ptr, include, exists (without macros), qualifiers + - ~ ?, the
 *   a/mx dual CIDR lengths (`a:host/24//64`), the `redirect=` modifier;
 * - the limits of §4.6.4: 10 terms that cause lookups, 10 MX names per mx, 2 void lookups;
 * - not evaluated: macros (%{i}, ... §7): a term with one never matches and is listed in
 *   `notEvaluated`; `exp=` (it only words the rejection).
 */
import net from 'node:net';
import { reverseName } from '../dns/resolver.js';
import type { AnswerReader } from './answers.js';

export type SpfResultKind = 'pass' | 'fail' | 'softfail' | 'neutral' | 'none' | 'permerror' | 'temperror';

export interface SpfResult {
  result: SpfResultKind;
  /** The domain's own SPF record (not the ones it includes), when it has exactly one. */
  record?: string;
  /** The term that decided, e.g. "ip4:192.0.2.0/24" or "include:_spf.example.net > a"; absent for none/neutral by default. */
  matched?: string;
  /** Why, for none, permerror and temperror. */
  reason?: string;
  /** Terms skipped because they use what is not evaluated (macros). */
  notEvaluated: string[];
}

const MAX_LOOKUPS = 10;
const MAX_VOID_LOOKUPS = 2;
const MAX_MX_NAMES = 10;
const QUALIFIER: Record<string, SpfResultKind> = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' };

class Pending extends Error {}
class Abort extends Error {
  constructor(readonly result: 'permerror' | 'temperror', readonly reason: string) {
    super(reason);
  }
}

interface State {
  reader: AnswerReader;
  ip: string;
  family: 4 | 6;
  lookups: number;
  voids: number;
  notEvaluated: string[];
}

interface HostResult {
  result: SpfResultKind;
  record?: string;
  matched?: string;
  reason?: string;
}

function answer<T extends 'A' | 'AAAA' | 'MX' | 'TXT' | 'PTR'>(s: State, name: string, type: T) {
  const a = s.reader.get(name, type);
  if (a === undefined) throw new Pending();
  if (a.kind === 'servfail' || a.kind === 'timeout') throw new Abort('temperror', `${type} ${name}: ${a.kind}`);
  if (a.kind !== 'ok') {
    if (++s.voids > MAX_VOID_LOOKUPS) throw new Abort('permerror', `more than ${MAX_VOID_LOOKUPS} lookups found nothing (RFC 7208 §4.6.4)`);
    return [];
  }
  return a.records;
}

function countLookup(s: State): void {
  if (++s.lookups > MAX_LOOKUPS) throw new Abort('permerror', `more than ${MAX_LOOKUPS} DNS lookups (RFC 7208 §4.6.4)`);
}

function inRange(ip: string, network: string, prefix: number, family: 4 | 6): boolean {
  const list = new net.BlockList();
  try {
    list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  } catch {
    return false;
  }
  return list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}

function ipTerm(term: string, value: string, family: 4 | 6): { network: string; prefix: number } {
  const [network = '', prefixText] = value.split('/');
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (net.isIP(network) !== family || !Number.isInteger(prefix) || prefix < 0 || prefix > max || prefixText === '') {
    throw new Abort('permerror', `"${term}" is not a valid ip${family} term`);
  }
  return { network, prefix };
}

/** Whether one of the host's addresses (of the client's family) is within the prefix. */
function addressMatches(s: State, host: string, prefix4: number, prefix6: number): boolean {
  const records = answer(s, host, s.family === 4 ? 'A' : 'AAAA');
  const prefix = s.family === 4 ? prefix4 : prefix6;
  return records.some((r) => inRange(s.ip, r.address, prefix, s.family));
}

/**
 * Whether a mechanism matches (an include that passes: the chain of terms that did); throws Abort on
 * errors and Pending when an answer is missing.
 */
function mechanismMatches(s: State, term: string, name: string, rest: string, domain: string, via: string[]): boolean | string {
  if (name === 'all') {
    if (rest !== '') throw new Abort('permerror', `"${term}": all takes no argument`);
    return true;
  }
  if (name === 'ip4' || name === 'ip6') {
    const family = name === 'ip4' ? 4 : 6;
    if (!rest.startsWith(':')) throw new Abort('permerror', `"${term}": ${name} needs an address`);
    const { network, prefix } = ipTerm(term, rest.slice(1), family);
    return s.family === family && inRange(s.ip, network, prefix, family);
  }
  const m = /^(?::([^/]*))?(?:\/(\d+))?(?:\/\/(\d+))?$/.exec(rest);
  if (m === null || m[1] === '') throw new Abort('permerror', `"${term}" does not parse`);
  const spec = m[1];
  const prefix4 = m[2] === undefined ? 32 : Number(m[2]);
  const prefix6 = m[3] === undefined ? 128 : Number(m[3]);
  if (prefix4 > 32 || prefix6 > 128) throw new Abort('permerror', `"${term}": CIDR length out of range`);
  if (!['a', 'mx', 'ptr', 'include', 'exists'].includes(name)) throw new Abort('permerror', `unknown mechanism "${term}"`);
  if ((name === 'include' || name === 'exists') && spec === undefined) throw new Abort('permerror', `"${term}" needs a domain`);
  countLookup(s);
  const target = (spec ?? domain).toLowerCase();
  if (target.includes('%')) {
    s.notEvaluated.push(term);
    return false;
  }
  switch (name) {
    case 'a':
      return addressMatches(s, target, prefix4, prefix6);
    case 'mx': {
      const names = answer(s, target, 'MX').map((r) => r.exchange).filter((e) => e !== '');
      if (names.length > MAX_MX_NAMES) throw new Abort('permerror', `${target} has more than ${MAX_MX_NAMES} MX names (RFC 7208 §4.6.4)`);
      return names.some((n) => addressMatches(s, n, prefix4, prefix6));
    }
    case 'ptr': {
      const names = answer(s, reverseName(s.ip), 'PTR').slice(0, MAX_MX_NAMES).map((r) => r.name);
      const validated = names.filter((n) => answer(s, n, s.family === 4 ? 'A' : 'AAAA').some((r) => inRange(s.ip, r.address, s.family === 4 ? 32 : 128, s.family)));
      return validated.some((n) => n === target || n.endsWith(`.${target}`));
    }
    case 'exists':
      return answer(s, target, 'A').length > 0;
    default: {
      const r = checkHost(s, target, [...via, term]);
      if (r.result === 'pass') return r.matched ?? true;
      if (r.result === 'temperror') throw new Abort('temperror', r.reason ?? `include:${target}: temperror`);
      if (r.result === 'permerror' || r.result === 'none') throw new Abort('permerror', `${term}: ${r.reason ?? r.result}`);
      return false;
    }
  }
}

function checkHost(s: State, domain: string, via: string[]): HostResult {
  const records = answer(s, domain, 'TXT').map((r) => r.text).filter((t) => /^v=spf1(\s|$)/i.test(t));
  if (records.length === 0) return { result: 'none', reason: `${domain} has no SPF record` };
  if (records.length > 1) return { result: 'permerror', reason: `${domain} has ${records.length} SPF records (RFC 7208 §4.5: one)` };
  const record = records[0]!;
  let redirect: string | undefined;
  for (const term of record.split(/\s+/).slice(1).filter((t) => t !== '')) {
    const modifier = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(term);
    if (modifier !== null) {
      if (modifier[1]!.toLowerCase() === 'redirect') {
        if (redirect !== undefined) throw new Abort('permerror', `${domain}: redirect= given twice`);
        redirect = modifier[2]!;
      }
      continue;
    }
    const q = /^[+\-~?]/.test(term) ? term[0]! : '+';
    const body = q === term[0] ? term.slice(1) : term;
    const name = (/^[a-z][a-z0-9]*/i.exec(body)?.[0] ?? '').toLowerCase();
    if (name === '') throw new Abort('permerror', `"${term}" is not a term`);
    const matched = mechanismMatches(s, term, name, body.slice(name.length), domain, via);
    if (matched !== false) return { result: QUALIFIER[q]!, record, matched: typeof matched === 'string' ? matched : [...via, term].join(' > ') };
  }
  if (redirect === undefined) return { result: 'neutral', record, reason: 'no term matched (default ?all)' };
  countLookup(s);
  if (redirect.includes('%')) {
    s.notEvaluated.push(`redirect=${redirect}`);
    return { result: 'neutral', record, reason: 'redirect with macros not evaluated' };
  }
  const r = checkHost(s, redirect.toLowerCase(), [...via, `redirect=${redirect}`]);
  if (r.result === 'none') return { result: 'permerror', record, reason: `redirect=${redirect}: ${r.reason ?? 'no SPF record'}` };
  return { ...r, record };
}

/**
 * check_host(ip, domain) of RFC 7208 §4 as far as it is evaluated here; undefined when an answer
 * it needs has not been gathered yet (the reader notes which).
 */
export function evaluateSpf(domain: string, ip: string, reader: AnswerReader): SpfResult | undefined {
  const s: State = { reader, ip, family: net.isIPv6(ip) ? 6 : 4, lookups: 0, voids: 0, notEvaluated: [] };
  try {
    const r = checkHost(s, domain.toLowerCase(), []);
    return { ...r, notEvaluated: s.notEvaluated };
  } catch (e) {
    if (e instanceof Pending) return undefined;
    if (e instanceof Abort) {
      const own = reader.get(domain, 'TXT');
      const record = own?.kind === 'ok' ? own.records.map((r) => r.text).filter((t) => /^v=spf1(\s|$)/i.test(t)) : [];
      return { result: e.result, reason: e.reason, notEvaluated: s.notEvaluated, ...(record.length === 1 ? { record: record[0]! } : {}) };
    }
    throw e;
  }
}

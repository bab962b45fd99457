/**
 * The deliverability checks of `vmta check --dns`, pure over the targets (targets.ts) and the DNS
 * answers gathered so far: one row per check, with the exact record to publish when it fails.
 * - ptr: the PTR of every source address names the EHLO name it is used with, and that name has
 *   the address (forward-confirmed reverse DNS);
 * - dkim: SELECTOR._domainkey.DOMAIN has one DKIM key record and its p= (and k=) is the key of the file;
 * - spf: the domain's SPF record gives `pass` for every source address of the VMTAs that sign for it;
 * - dmarc: _dmarc.DOMAIN (else _dmarc of the last two labels, standing in for the organizational
 *   domain: no public suffix list here) has one v=DMARC1 record with a p= tag.
 * An answer not gathered yet makes its row `error` ("not looked up") and lands in `needs`.
 */
import net from 'node:net';
import { reverseName } from '../dns/resolver.js';
import type { DnsOutcome } from '../dns/types.js';
import { AnswerReader, sameIp, zoneTxt, type DnsAnswers, type DnsQuery } from './answers.js';
import { evaluateSpf, type SpfResult } from './spf.js';
import type { DnsCheckTargets, DomainTarget, KeyTarget, SourceTarget } from './targets.js';

export type DnsCheckName = 'ptr' | 'dkim' | 'spf' | 'dmarc';
/** `error`: DNS could not answer (SERVFAIL, timeout) or the key file cannot be read; counts as a failure. */
export type DnsCheckStatus = 'pass' | 'fail' | 'error' | 'skipped';

export interface DnsCheckRow {
  check: DnsCheckName;
  /** What was checked: an address (and its VMTA), a record name, a domain. */
  subject: string;
  status: DnsCheckStatus;
  detail: string;
  /** Zone file lines that would make the check pass, when it failed and we know them. */
  publish: string[];
}

export interface DnsCheckReport {
  rows: DnsCheckRow[];
  /** Questions the rows still wait for (empty when the report is complete). */
  needs: DnsQuery[];
  /** True when no row failed or erred. */
  ok: boolean;
}

const NOT_LOOKED_UP = 'not looked up (the lookups did not finish)';
type Partial = Omit<DnsCheckRow, 'check' | 'subject'>;
const pass = (detail: string): Partial => ({ status: 'pass', detail, publish: [] });
const fail = (detail: string, publish: string[] = []): Partial => ({ status: 'fail', detail, publish });
const error = (detail: string): Partial => ({ status: 'error', detail, publish: [] });
const isTemp = (o: DnsOutcome<unknown>): boolean => o.kind === 'servfail' || o.kind === 'timeout';

function checkPtr(t: SourceTarget, reader: AnswerReader): Partial {
  const rev = reverseName(t.ip);
  const ptr = reader.get(rev, 'PTR');
  const forward = reader.get(t.hostName, net.isIPv6(t.ip) ? 'AAAA' : 'A');
  if (ptr === undefined || forward === undefined) return error(NOT_LOOKED_UP);
  if (isTemp(ptr)) return error(`PTR ${rev}: ${ptr.kind}`);
  if (isTemp(forward)) return error(`${t.hostName}: ${forward.kind}`);
  const names = ptr.kind === 'ok' ? ptr.records.map((r) => r.name) : [];
  const resolvesBack = forward.kind === 'ok' && forward.records.some((r) => sameIp(r.address, t.ip));
  const ptrLine = `${rev}. IN PTR ${t.hostName}.`;
  const forwardLine = `${t.hostName}. IN ${net.isIPv6(t.ip) ? 'AAAA' : 'A'} ${t.ip}`;
  const missingForward = resolvesBack ? [] : [forwardLine];
  if (names.length === 0) return fail(`no PTR record for ${t.ip}`, [ptrLine, ...missingForward]);
  if (!names.includes(t.hostName)) return fail(`PTR names ${names.join(', ')}, not the EHLO name ${t.hostName}`, [ptrLine, ...missingForward]);
  if (!resolvesBack) return fail(`${t.hostName} does not resolve back to ${t.ip}`, missingForward);
  return pass(`${t.ip} → ${t.hostName} → ${t.ip}`);
}

/** The tags of a DKIM key record (RFC 6376 §3.6.1), or undefined when it is not one. */
function dkimTags(text: string): Map<string, string> | undefined {
  const tags = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).replace(/\s+/g, ''));
  }
  if (!tags.has('p')) return undefined;
  if (tags.has('v') && tags.get('v') !== 'DKIM1') return undefined;
  return tags;
}

function checkDkim(t: KeyTarget, reader: AnswerReader): Partial {
  if ('error' in t.key) return error(`${t.where}: ${t.key.error}`);
  const name = `${t.selector}._domainkey.${t.domain}`;
  const expected = zoneTxt(name, `v=DKIM1; k=${t.key.kind}; p=${t.key.publicKey}`);
  const txt = reader.get(name, 'TXT');
  if (txt === undefined) return error(NOT_LOOKED_UP);
  if (isTemp(txt)) return error(`TXT ${name}: ${txt.kind}`);
  const records = (txt.kind === 'ok' ? txt.records : []).map((r) => dkimTags(r.text)).filter((r) => r !== undefined);
  if (records.length === 0) return fail(`no DKIM key record for ${t.keyFile}`, [expected]);
  const { kind, publicKey } = t.key;
  const matches = records.filter((r) => r.get('p') === publicKey && (r.get('k') ?? 'rsa') === kind);
  if (matches.length === 0) {
    const revoked = records.some((r) => r.get('p') === '');
    return fail(revoked ? 'the published key is revoked (empty p=)' : `the published key is not the key of ${t.keyFile}`, [expected]);
  }
  if (records.length > 1) return fail(`${records.length} DKIM key records: verifiers may take any one`, [expected]);
  return pass(`matches ${t.keyFile} (${kind})`);
}

const mechanismOf = (ip: string): string => (net.isIPv6(ip) ? `ip6:${ip}` : `ip4:${ip}`);

/** The record that would pass: the domain's record with the missing addresses added in front, or a new one. */
function spfToPublish(domain: string, record: string | undefined, missing: string[]): string {
  const added = missing.map(mechanismOf).join(' ');
  const value = record === undefined ? `v=spf1 ${added} ~all` : record.replace(/^v=spf1/i, `v=spf1 ${added}`);
  return zoneTxt(domain, value);
}

function checkSpf(t: DomainTarget, reader: AnswerReader): Partial {
  if (t.ips.length === 0) return { status: 'skipped', detail: `no fixed source address among ${t.vmtas.join(', ')}`, publish: [] };
  const results = t.ips.map((ip) => [ip, evaluateSpf(t.domain, ip, reader)] as const);
  if (results.some(([, r]) => r === undefined)) return error(NOT_LOOKED_UP);
  const done = results as ReadonlyArray<readonly [string, SpfResult]>;
  const temp = done.find(([, r]) => r.result === 'temperror');
  if (temp) return error(`temperror: ${temp[1].reason ?? ''}`);
  const notes = [...new Set(done.flatMap(([, r]) => r.notEvaluated))];
  const noteText = notes.length > 0 ? `; not evaluated: ${notes.join(', ')}` : '';
  const failing = done.filter(([, r]) => r.result !== 'pass');
  if (failing.length === 0) return pass(`authorises ${done.map(([ip, r]) => `${ip} (${r.matched ?? ''})`).join(', ')}${noteText}`);
  const first = failing[0]![1];
  if (first.result === 'none') return fail(`no SPF record (signed for by ${t.vmtas.join(', ')})`, [spfToPublish(t.domain, undefined, t.ips)]);
  const why = failing.map(([ip, r]) => `${ip}: ${r.result}${r.reason ? ` (${r.reason})` : r.matched ? ` (${r.matched})` : ''}`).join('; ');
  const publish = first.record !== undefined ? [spfToPublish(t.domain, first.record, failing.map(([ip]) => ip))] : [];
  return fail(`${why}${noteText}`, publish);
}

function dmarcRecords(reader: AnswerReader, name: string): string[] | Partial {
  const txt = reader.get(name, 'TXT');
  if (txt === undefined) return error(NOT_LOOKED_UP);
  if (isTemp(txt)) return error(`TXT ${name}: ${txt.kind}`);
  return (txt.kind === 'ok' ? txt.records : []).map((r) => r.text).filter((t) => /^v=DMARC1\s*(;|$)/.test(t));
}

function checkDmarc(t: DomainTarget, reader: AnswerReader): Partial {
  const own = `_dmarc.${t.domain}`;
  const labels = t.domain.split('.');
  const names = labels.length > 2 ? [own, `_dmarc.${labels.slice(-2).join('.')}`] : [own];
  for (const name of names) {
    const records = dmarcRecords(reader, name);
    if (!Array.isArray(records)) return records;
    if (records.length === 0) continue;
    if (records.length > 1) return fail(`${name} has ${records.length} DMARC records (RFC 7489 §6.6.3: none applies)`, [zoneTxt(own, 'v=DMARC1; p=none')]);
    const policy = /(?:^|;)\s*p\s*=\s*([a-z]+)/i.exec(records[0]!)?.[1];
    if (policy === undefined) return fail(`${name} has no p= tag`, [zoneTxt(name, `${records[0]!.replace(/;?\s*$/, '')}; p=none`)]);
    return pass(`p=${policy.toLowerCase()}${name === own ? '' : ` (from ${name})`}`);
  }
  return fail('no DMARC record', [zoneTxt(own, 'v=DMARC1; p=none')]);
}

/** Every row from what is known; `needs` lists what to look up before running it again. */
export function dnsCheckReport(targets: DnsCheckTargets, answers: DnsAnswers): DnsCheckReport {
  const reader = new AnswerReader(answers);
  const rows: DnsCheckRow[] = [
    ...targets.sources.map((t) => ({ check: 'ptr' as const, subject: `${t.ip} (${t.vmta})`, ...checkPtr(t, reader) })),
    ...targets.keys.map((t) => ({ check: 'dkim' as const, subject: `${t.selector}._domainkey.${t.domain}`, ...checkDkim(t, reader) })),
    ...targets.domains.flatMap((t) => [
      { check: 'spf' as const, subject: t.domain, ...checkSpf(t, reader) },
      { check: 'dmarc' as const, subject: `_dmarc.${t.domain}`, ...checkDmarc(t, reader) },
    ]),
    ...targets.skipped.map((s) => ({ check: s.check, subject: s.subject, status: 'skipped' as const, detail: s.reason, publish: [] })),
  ];
  return { rows, needs: [...reader.missing.values()], ok: rows.every((r) => r.status === 'pass' || r.status === 'skipped') };
}

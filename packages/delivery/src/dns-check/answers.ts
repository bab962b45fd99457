/**
 * The DNS answers a deliverability check reads: a plain map filled by `run-dns-check.ts`. The checks
 * read it through an `AnswerReader`, which notes every question that has no answer yet, so the
 * checks stay pure: run them, ask what they missed, run them again.
 */
import { ipv6Groups, normalizeName } from '../dns/resolver.js';
import type { QueryType } from '../dns/transport.js';
import type { DnsOutcome, DnsRecordOf } from '../dns/types.js';

export interface DnsQuery {
  /** Lower case, no trailing dot. */
  name: string;
  type: QueryType;
}

export type AnyDnsOutcome = DnsOutcome<DnsRecordOf[QueryType]>;

/** Answers by `answerKey`. */
export type DnsAnswers = ReadonlyMap<string, AnyDnsOutcome>;

export function answerKey(name: string, type: QueryType): string {
  return `${type} ${normalizeName(name)}`;
}

export class AnswerReader {
  /** Questions asked that have no answer yet, by `answerKey`. */
  readonly missing = new Map<string, DnsQuery>();
  constructor(private readonly answers: DnsAnswers) {}

  /** The answer, or undefined (and the question noted) when it has not been asked yet. */
  get<T extends QueryType>(name: string, type: T): DnsOutcome<DnsRecordOf[T]> | undefined {
    const key = answerKey(name, type);
    const answer = this.answers.get(key);
    if (answer === undefined) this.missing.set(key, { name: normalizeName(name), type });
    return answer as DnsOutcome<DnsRecordOf[T]> | undefined;
  }
}

/** Whether two IP addresses are the same (IPv6 in any spelling). */
export function sameIp(a: string, b: string): boolean {
  if (a.includes(':') !== b.includes(':')) return false;
  return a.includes(':') ? ipv6Groups(a).join(':') === ipv6Groups(b).join(':') : a === b;
}

/** The TXT record as a zone file line: the value in quoted strings of at most 255 characters. */
export function zoneTxt(name: string, value: string): string {
  const chunks: string[] = [];
  for (let i = 0; i < value.length; i += 255) chunks.push(value.slice(i, i + 255));
  const quoted = (chunks.length > 0 ? chunks : ['']).map((c) => `"${c.replace(/["\\]/g, (m) => `\\${m}`)}"`);
  return `${name}. IN TXT ${quoted.join(' ')}`;
}

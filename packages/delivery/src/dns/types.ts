/** What a DNS lookup tells delivery: the records with their TTLs, or which kind of "no". */

export interface NameServerAddress {
  ip: string;
  port: number;
}

export interface MxRecord {
  preference: number;
  /** Lower case, no trailing dot; "" for the root ("MX 0 ." = null MX, RFC 7505). */
  exchange: string;
  /** Seconds, as received. */
  ttl: number;
}

export interface AddressRecord {
  address: string;
  family: 4 | 6;
  /** Seconds, as received. */
  ttl: number;
}

export interface TxtRecord {
  /** The record's character-strings joined without separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2). */
  text: string;
  /** Seconds, as received. */
  ttl: number;
}

export interface PtrRecord {
  /** The host name the address points to: lower case, no trailing dot. */
  name: string;
  /** Seconds, as received. */
  ttl: number;
}

/** The record each query type returns. */
export interface DnsRecordOf {
  A: AddressRecord;
  AAAA: AddressRecord;
  MX: MxRecord;
  TXT: TxtRecord;
  PTR: PtrRecord;
}

export type DnsTempFailure = { kind: 'servfail' } | { kind: 'timeout' };

export type DnsOutcome<R> =
  /** `ttl`: seconds this answer stays valid from now (the smallest TTL, less the time it spent in the cache). */
  | { kind: 'ok'; records: R[]; ttl: number }
  /** The name does not exist (RCODE 3). */
  | { kind: 'nxdomain' }
  /** The name exists but has no record of this type (NOERROR, empty answer). */
  | { kind: 'nodata' }
  | DnsTempFailure;

export type DnsOutcomeKind = DnsOutcome<unknown>['kind'];

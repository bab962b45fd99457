/**
 * `vmta check --dns`: the lookups. Runs the pure checks, asks DNS what they are missing (through the
 * delivery resolver: the `name-server` servers, else the OS ones), and runs them again until they
 * miss nothing. SPF is evaluated term by term, so a record with includes takes a round per level;
 * the rounds are bounded, and what is still missing then shows as an error row.
 */
import { readDomainKey, type VmtaConfig } from '@vmta/config';
import { DnsResolver } from '../dns/resolver.js';
import type { NameServerAddress } from '../dns/types.js';
import { answerKey, type AnyDnsOutcome } from './answers.js';
import { dnsCheckReport, type DnsCheckReport } from './checks.js';
import { dnsCheckTargets, type ReadPublicKey } from './targets.js';

/** RFC 7208 allows 10 lookups per record, each possibly one level: this leaves room for MX hosts and PTRs. */
const MAX_ROUNDS = 40;

export interface DnsCheckOptions {
  /** Default: a resolver over the config's `name-server` servers, else the OS resolvers. */
  resolver?: Pick<DnsResolver, 'query'>;
  /** Default: read the key file (readDomainKey). */
  readKey?: ReadPublicKey;
}

export function resolverFor(config: VmtaConfig): DnsResolver {
  const servers: NameServerAddress[] | undefined = config.global.settings['name-server'] ?? undefined;
  return new DnsResolver(servers?.length ? { servers } : {});
}

export async function runDnsCheck(config: VmtaConfig, options: DnsCheckOptions = {}): Promise<DnsCheckReport> {
  const resolver = options.resolver ?? resolverFor(config);
  const targets = dnsCheckTargets(config, options.readKey ?? readDomainKey);
  const answers = new Map<string, AnyDnsOutcome>();
  let report = dnsCheckReport(targets, answers);
  for (let round = 0; round < MAX_ROUNDS && report.needs.length > 0; round++) {
    const got = await Promise.all(report.needs.map(async (q) => [answerKey(q.name, q.type), await resolver.query(q.name, q.type)] as const));
    for (const [key, outcome] of got) answers.set(key, outcome as AnyDnsOutcome);
    report = dnsCheckReport(targets, answers);
  }
  return report;
}

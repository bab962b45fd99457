/**
 * MX rollup and queue-to (PowerMTA 10.17, 3.3.10): which queue domain a recipient domain's mail
 * goes to. Pure functions over the config and DNS answers; the caller resolves and stores.
 *
 * - `queue-to TARGET` in the domain's <domain>: always TARGET (static, decided at enqueue).
 * - `<mx-rollup-list>` `mx HOST NAME.rollup`: a domain whose lowest-preference MX hosts all match
 *   entries of one NAME is rolled up into NAME (queue NAME/vmta) unless `disable-mx-rollup`. A NAME
 *   with exact host entries needs at least as many lowest-preference MX hosts as it lists.
 */
import type { VmtaConfig } from '../model.js';
import type { MxRollupEntry } from '../values/index.js';
import { domainPolicy } from './domain-policy.js';

/** The entries of every <mx-rollup-list>, in file order. */
export function mxRollupEntries(config: VmtaConfig): MxRollupEntry[] {
  // rollup-by-ip entries are not supported yet (build.ts warns): they roll nothing up.
  return config.mxRollupLists.flatMap((s) => (s.settings.mx ?? []).filter((e) => e.byIp !== true));
}

/** Whether `name` is a rollup name of the configuration (a queue domain that holds rolled-up mail). */
export function isRollupName(config: VmtaConfig, name: string): boolean {
  const lower = name.toLowerCase();
  return mxRollupEntries(config).some((e) => e.name === lower);
}

const hostMatches = (e: MxRollupEntry, host: string): boolean =>
  e.wildcard ? host.endsWith(`.${e.host}`) : host === e.host;

/**
 * The rollup name for a domain whose lowest-preference MX host names are `lowestMx` (any case,
 * trailing dots allowed), or undefined (no entry fits, or no MX at all).
 */
export function rollupFor(entries: readonly MxRollupEntry[], lowestMx: readonly string[]): string | undefined {
  const hosts = [...new Set(lowestMx.map((h) => h.toLowerCase().replace(/\.$/, '')))];
  if (hosts.length === 0) return undefined;
  const names = [...new Set(entries.map((e) => e.name))];
  return names.find((name) => {
    const mine = entries.filter((e) => e.name === name);
    if (!hosts.every((h) => mine.some((e) => hostMatches(e, h)))) return false;
    const exact = new Set(mine.filter((e) => !e.wildcard).map((e) => e.host));
    return exact.size === 0 || hosts.length >= exact.size;
  });
}

/**
 * The hosts a domain's rollup is decided on: the lowest-preference hosts of its MX answer, or, when
 * the domain has no MX (`'no-mx'`: the name exists, no MX record), the domain itself, its implicit
 * MX of preference 0 (RFC 5321 §5.1: "treated as if it was associated with an implicit MX RR").
 * The guide (10.17) matches rollup entries against the lowest-preference MX hosts; mail to a
 * domain without MX goes to the domain's own host, so that host name is what is matched.
 */
export function rollupHosts(domain: string, mx: readonly { exchange: string; preference: number }[] | 'no-mx'): string[] {
  return mx === 'no-mx' ? [domain] : lowestPreference(mx);
}

/** The lowest-preference hosts of an MX answer. */
export function lowestPreference(records: readonly { exchange: string; preference: number }[]): string[] {
  if (records.length === 0) return [];
  const min = Math.min(...records.map((r) => r.preference));
  return records.filter((r) => r.preference === min).map((r) => r.exchange);
}

/** Whether a queue of this domain may be rolled up: a rollup list exists, no queue-to, no disable-mx-rollup, not a rollup name itself. */
export function mayRollUp(config: VmtaConfig, domain: string, vmta?: string): boolean {
  if (config.mxRollupLists.length === 0 || isRollupName(config, domain)) return false;
  const policy = domainPolicy(config, domain, vmta).settings;
  return !policy['disable-mx-rollup'] && policy['queue-to'] === undefined && policy['smtp-hosts'] === undefined;
}

/** The domain a recipient domain's mail is queued with by `queue-to`, else the domain itself. */
export function queueToTarget(config: VmtaConfig, domain: string, vmta: string): string {
  return domainPolicy(config, domain, vmta).settings['queue-to'] ?? domain;
}

/**
 * The domain part of the queue a recipient domain's mail is enqueued in: the queue-to target (else
 * the domain), rolled up when `rolledUp` (the decision delivery recorded for that target) names
 * a rollup the config still lists, the target allows rollup and the rollup has a route.
 */
export function queueDomainFor(config: VmtaConfig, domain: string, vmta: string, rolledUp?: string): string {
  const target = queueToTarget(config, domain, vmta);
  if (rolledUp && isRollupName(config, rolledUp) && mayRollUp(config, target, vmta) && rollupRoutable(config, rolledUp, vmta)) return rolledUp;
  return target;
}

/**
 * Whether the rolled-up queue NAME/vmta has somewhere to connect: smtp-hosts in its <domain
 * NAME.rollup>, or exact hosts in its entries (domainPolicy uses them then). A name with only
 * wildcard entries and no smtp-hosts is never rolled up into (PowerMTA requires smtp-hosts then).
 */
export function rollupRoutable(config: VmtaConfig, name: string, vmta?: string): boolean {
  return domainPolicy(config, name, vmta).settings['smtp-hosts'] !== undefined;
}

const routing = new WeakMap<VmtaConfig, boolean>();

/** Whether any recipient domain may be queued under another domain (queue-to or an <mx-rollup-list>); cached per config. */
export function hasQueueRouting(config: VmtaConfig): boolean {
  let known = routing.get(config);
  if (known === undefined) {
    const domains = [...config.domains, ...Object.values(config.vmtas).flatMap((v) => v.domains), ...Object.values(config.pools).flatMap((p) => p.domains)];
    known = config.mxRollupLists.length > 0 || domains.some((d) => d.settings['queue-to'] !== undefined);
    routing.set(config, known);
  }
  return known;
}

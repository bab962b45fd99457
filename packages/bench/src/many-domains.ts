/**
 * Load for the many-domain variant: smtp-source can only prepend a number to
 * the recipient's local part (-r, -N), never vary its domain, so this variant
 * drives our own SMTP client (latency-client.ts, unthrottled) with recipients
 * spread round-robin over `domains` domains.
 */
import { measureLatency } from './latency-client.js';
import type { SourceResult } from './source.js';

export const MANY_DOMAIN_SUFFIX = 'many.bench.test';

/** Label of the measured run's domains; the warm-up sends to `w<i>` domains so the measured run still meets fresh queues. */
export type DomainLabel = 'd' | 'w';

/** Recipient of message k: u<k>@d<k mod domains>.many.bench.test (w<k mod domains> for the warm-up). */
export function manyDomainRecipient(k: number, domains: number, label: DomainLabel = 'd'): string {
  return `u${k}@${label}${k % domains}.${MANY_DOMAIN_SUFFIX}`;
}

export interface ManyDomainLoad {
  messages: number;
  sessions: number;
  domains: number;
  from: string;
  /** Message text without the final dot (CRLF line ends). */
  body: string;
  /** 'w': the warm-up's own domains. */
  label?: DomainLabel;
}

/** Sends as fast as the server answers; shaped like an smtp-source run so the same measurement applies. */
export async function sendManyDomains(load: ManyDomainLoad, host: string, port: number): Promise<SourceResult> {
  const r = await measureLatency({
    host,
    port,
    sessions: load.sessions,
    messages: load.messages,
    rate: Number.POSITIVE_INFINITY,
    from: load.from,
    to: manyDomainRecipient(0, load.domains, load.label),
    recipientFor: (k) => manyDomainRecipient(k, load.domains, load.label),
    body: load.body,
  });
  return {
    ms: r.ms,
    exitCode: r.failures === 0 ? 0 : 1,
    stderr: r.failures === 0 ? '' : `${r.failures} of ${load.messages} messages not accepted`,
    args: [`${load.messages} messages`, `${load.sessions} sessions`, `${load.domains} domains`],
  };
}

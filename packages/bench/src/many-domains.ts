/**
 * Load for the many-domain variant: smtp-source can only prepend a number to
 * the recipient's local part (-r, -N), never vary its domain, so this variant
 * drives our own SMTP client (latency-client.ts, unthrottled) with recipients
 * spread round-robin over `domains` domains.
 */
import { measureLatency } from './latency-client.js';
import type { SourceResult } from './source.js';

export const MANY_DOMAIN_SUFFIX = 'many.bench.test';

/** Recipient of message k: u<k>@d<k mod domains>.many.bench.test. */
export function manyDomainRecipient(k: number, domains: number): string {
  return `u${k}@d${k % domains}.${MANY_DOMAIN_SUFFIX}`;
}

export interface ManyDomainLoad {
  messages: number;
  sessions: number;
  domains: number;
  from: string;
  /** Message text without the final dot (CRLF line ends). */
  body: string;
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
    to: manyDomainRecipient(0, load.domains),
    recipientFor: (k) => manyDomainRecipient(k, load.domains),
    body: load.body,
  });
  return {
    ms: r.ms,
    exitCode: r.failures === 0 ? 0 : 1,
    stderr: r.failures === 0 ? '' : `${r.failures} of ${load.messages} messages not accepted`,
    args: [`${load.messages} messages`, `${load.sessions} sessions`, `${load.domains} domains`],
  };
}

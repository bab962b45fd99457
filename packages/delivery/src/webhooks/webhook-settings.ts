/**
 * What one `<webhook NAME>` stanza asks for, as plain data, and the pure rules of the forwarder:
 * which events it sends, how long it waits before retry N, and the signature header it sends.
 */
import { createHmac } from 'node:crypto';
import type { Stanza } from '@vmta/config';

export interface WebhookSettings {
  name: string;
  url: string;
  /** Record types sent; the others are acked without a POST. */
  types: ReadonlySet<string>;
  secret?: string;
  timeoutMs: number;
  concurrency: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export const DEFAULT_EVENT_TYPES = ['d', 'b', 'f', 'rb', 's'];

export function webhookSettings(stanza: Stanza<'webhook'>): WebhookSettings {
  const s = stanza.settings;
  const url = s.url;
  if (!url || !/^https?:\/\//i.test(url)) throw new Error(`<webhook ${stanza.name}> needs url http://... or https://... (${stanza.origin.file}:${stanza.origin.line})`);
  return {
    name: stanza.name,
    url,
    types: new Set((s.events ?? DEFAULT_EVENT_TYPES).map((t) => t.toLowerCase())),
    ...(s.secret ? { secret: s.secret } : {}),
    timeoutMs: s.timeout ?? 10_000,
    concurrency: s.concurrency ?? 4,
    retryInitialMs: s['retry-initial'] ?? 1000,
    retryMaxMs: s['retry-max'] ?? 300_000,
  };
}

/** Wait before retry `failures` (1 after the first failure): initial × 2^(failures-1), at most max. */
export function retryDelayMs(failures: number, initialMs: number, maxMs: number): number {
  const n = Math.max(0, failures - 1);
  return Math.min(maxMs, initialMs * 2 ** Math.min(n, 40));
}

export const SIGNATURE_HEADER = 'x-vmta-signature';
export const EVENT_ID_HEADER = 'x-vmta-event-id';

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: a receiver recomputes it with the secret. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

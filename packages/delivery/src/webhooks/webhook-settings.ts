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
  /** Events per POST (1: a JSON object; more: a JSON array). */
  batchSize: number;
  /** How long a batch waits for more events before a smaller one goes. */
  batchWaitMs: number;
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
    batchSize: s['batch-size'] ?? 1,
    batchWaitMs: s['batch-wait'] ?? 1000,
  };
}

/** Wait before retry `failures` (1 after the first failure): initial × 2^(failures-1), at most max. */
export function retryDelayMs(failures: number, initialMs: number, maxMs: number): number {
  const n = Math.max(0, failures - 1);
  return Math.min(maxMs, initialMs * 2 ** Math.min(n, 40));
}

export const SIGNATURE_HEADER = 'x-vmta-signature';
export const EVENT_ID_HEADER = 'x-vmta-event-id';
/** On a batch (a JSON array) instead of the event id: how many events it holds; each carries its `id`. */
export const BATCH_SIZE_HEADER = 'x-vmta-batch-size';

/** Events of one POST: in `size`s, in stream order. Pure. */
export function batchesOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: a receiver recomputes it with the secret. */
export function signature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

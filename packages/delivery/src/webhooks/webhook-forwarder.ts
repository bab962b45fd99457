/**
 * The forwarder of one `<webhook>`: a consumer in the webhook's group on the accounting stream
 * (`webhook:<name>`, shared by every delivery process). Each entry of a wanted type is POSTed as
 * JSON (with `batch-size` above 1, up to that many in one JSON array, waiting up to `batch-wait`
 * to fill it) and acked only after a 2xx; a failure is retried with exponential backoff for as long as it
 * takes, so nothing is dropped. While an entry is retried its idle time is reset (XCLAIM JUSTID) so
 * other processes leave it alone; the entries of a dead process are taken with XAUTOCLAIM once idle
 * for `claimIdleMs`. At-least-once: a crash between the 2xx and the XACK sends that event again,
 * with the same `X-Vmta-Event-Id` (the stream id), which a receiver dedupes on.
 */
import { ACCOUNTING_MAXLEN, toEvent } from '@vmta/queue';
import { GroupLoopRunner, readGroup, type StreamEntry } from '../accounting/stream-group.js';
import type { StreamMemberOptions } from '../accounting/stream-service.js';
import { trimAccounted } from '../accounting/stream-trim.js';
import { BATCH_SIZE_HEADER, batchesOf, EVENT_ID_HEADER, retryDelayMs, SIGNATURE_HEADER, signature, type WebhookSettings } from './webhook-settings.js';

type Entry = StreamEntry;

export interface WebhookForwarderOptions extends StreamMemberOptions {
  settings: WebhookSettings;
}

/** Share of ACCOUNTING_MAXLEN at which the stream is about to drop events nobody acked: a loud warning. */
const NEAR_CAP = 0.8;
const CAP_CHECK_MS = 10_000;

class Stopped extends Error {}

export class WebhookForwarder {
  private settings: WebhookSettings;
  private stopping = false;
  private readonly loop = new GroupLoopRunner();
  /** Entries of the batch in hand, not acked yet: their claim is renewed so no other process takes them. */
  private readonly held = new Set<string>();
  private readonly abort = new AbortController();
  private readonly touch: NodeJS.Timeout;
  private readonly done: Promise<void>;

  constructor(private readonly o: WebhookForwarderOptions) {
    this.settings = o.settings;
    // Keep the batch in hand ours while events of it are retried: reset its idle time well before claimIdleMs.
    this.touch = setInterval(() => void this.touchInFlight(), Math.max(50, Math.floor(o.claimIdleMs / 3)));
    this.done = this.run();
  }

  update(settings: WebhookSettings): void {
    this.settings = settings;
  }

  /** Stop: POSTs in flight are abandoned and their entries stay pending for the next reader. */
  async close(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    clearInterval(this.touch);
    await this.loop.stop(this.o, this.done);
  }

  private run(): Promise<void> {
    const { log } = this.o;
    let lastCapCheckMs = 0;
    return this.loop.run({
      ...this.o,
      // From `$`: a new webhook gets the events from its creation on; an existing group resumes where it was.
      start: '$',
      stopping: () => this.stopping,
      beforeRead: async () => {
        if (Date.now() - lastCapCheckMs < CAP_CHECK_MS) return;
        lastCapCheckMs = Date.now();
        await this.checkCap();
      },
      handle: (entries) => this.handle(entries),
      claimed: (entries, gone) => {
        // Only the MAXLEN cap removes entries a group still holds: events were lost.
        if (gone.length > 0) log.error({ event: 'events-lost', webhook: this.settings.name, count: gone.length, first: gone[0] }, 'webhook events were trimmed away by the stream cap before they were sent');
        if (entries.length > 0) log.info({ event: 'claimed', webhook: this.settings.name, count: entries.length }, 'took webhook events of a stopped process');
      },
      failed: async (err) => {
        if (err instanceof Stopped) return false;
        log.error({ event: 'error', webhook: this.settings.name, err }, 'webhook forwarder failed; will retry');
        await this.sleep(1000).catch(() => {});
        return true;
      },
    });
  }

  private async handle(read: Entry[]): Promise<void> {
    const { redis, key, group, log } = this.o;
    for (const [id] of read) this.held.add(id);
    try {
      const entries = await this.fill(read);
      // Entries of other types (and trimmed ones) are acked at once; the wanted ones go in POSTs of batch-size events.
      const wanted: { id: string; json: string }[] = [];
      const skipped: string[] = [];
      for (const [id, fields] of entries) {
        const event = fields === null ? undefined : toEvent(id, fields);
        if (event !== undefined && this.settings.types.has(event.type)) wanted.push({ id, json: JSON.stringify(event) });
        else skipped.push(id);
      }
      if (skipped.length > 0) await redis.xack(key, group, ...skipped);
      const batches = batchesOf(wanted, this.settings.batchSize);
      const worker = async (): Promise<void> => {
        for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
          const ids = batch.map((e) => e.id);
          await this.post(ids, this.settings.batchSize > 1 ? `[${batch.map((e) => e.json).join(',')}]` : batch[0]!.json);
          await redis.xack(key, group, ...ids);
          for (const id of ids) this.held.delete(id);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, batches.length) }, worker));
      log.debug({ event: 'forwarded', webhook: this.settings.name, entries: entries.length, posts: Math.ceil(wanted.length / this.settings.batchSize) }, 'webhook events sent');
    } finally {
      this.held.clear();
    }
    try {
      await trimAccounted(redis, key);
    } catch (err) {
      log.warn({ event: 'trim-failed', err }, 'could not trim the accounting stream');
    }
  }

  /**
   * With batch-size above 1, a read with fewer entries than a batch waits up to batch-wait for more
   * (XREADGROUP BLOCK on the reader, which the loop does not use while a batch is handled). The
   * entries read here are held (claim renewed) and acked like the others, only after their 2xx.
   */
  private async fill(entries: Entry[]): Promise<Entry[]> {
    const { batchSize, batchWaitMs } = this.settings;
    if (batchSize <= 1 || batchWaitMs <= 0) return entries;
    const out = [...entries];
    const until = Date.now() + batchWaitMs;
    while (out.length < batchSize && !this.stopping) {
      const left = until - Date.now();
      if (left <= 0) break;
      const more = await readGroup(this.o.reader, { ...this.o, batchSize: batchSize - out.length, blockMs: Math.max(1, left) }, '>').catch((err: unknown) => {
        if (this.stopping) return [];
        throw err;
      });
      for (const [id] of more) this.held.add(id);
      out.push(...more);
    }
    return out;
  }

  /** POST until a 2xx; throws Stopped only when closing (the entries stay pending). */
  private async post(ids: readonly string[], body: string): Promise<void> {
    for (let failures = 0; ; ) {
      const s = this.settings;
      const problem = await this.attempt(s, ids, body);
      if (problem === undefined) return;
      failures++;
      const waitMs = retryDelayMs(failures, s.retryInitialMs, s.retryMaxMs);
      this.o.log.warn({ event: 'post-failed', webhook: s.name, id: ids[0], events: ids.length, failures, problem, retryInMs: waitMs }, 'webhook POST failed; will retry');
      await this.sleep(waitMs);
    }
  }

  /** One POST: undefined on a 2xx, else what went wrong. */
  private async attempt(s: WebhookSettings, ids: readonly string[], body: string): Promise<string | undefined> {
    if (this.stopping) throw new Stopped();
    const headers: Record<string, string> = { 'content-type': 'application/json', ...(s.batchSize > 1 ? { [BATCH_SIZE_HEADER]: String(ids.length) } : { [EVENT_ID_HEADER]: ids[0]! }) };
    if (s.secret) headers[SIGNATURE_HEADER] = signature(s.secret, body, Math.floor(Date.now() / 1000));
    // One controller per attempt (not AbortSignal.any over the long-lived stop signal, which keeps every attempt's signal alive).
    const attempt = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, s.timeoutMs);
    const onStop = (): void => attempt.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    try {
      const res = await fetch(s.url, { method: 'POST', headers, body, signal: attempt.signal });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      if (this.stopping) throw new Stopped();
      return timedOut ? `no answer within ${s.timeoutMs} ms` : (err as Error).message;
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }

  private async touchInFlight(): Promise<void> {
    if (this.held.size === 0 || this.stopping) return;
    const { redis, key, group, consumer } = this.o;
    await redis.xclaim(key, group, consumer, 0, ...this.held, 'JUSTID').catch(() => {});
  }

  private async checkCap(): Promise<void> {
    const length = await this.o.redis.xlen(this.o.key);
    if (length >= ACCOUNTING_MAXLEN * NEAR_CAP) {
      this.o.log.error(
        { event: 'stream-near-cap', webhook: this.settings.name, length, cap: ACCOUNTING_MAXLEN },
        'the event stream is near its cap: past it, events a webhook has not sent are dropped',
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.stopping) return reject(new Stopped());
      const timer = setTimeout(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new Stopped());
      };
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

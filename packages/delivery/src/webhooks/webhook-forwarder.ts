/**
 * The forwarder of one `<webhook>`: a consumer in the webhook's group on the accounting stream
 * (`webhook:<name>`, shared by every delivery process). Each entry of a wanted type is POSTed as
 * JSON and acked only after a 2xx; a failure is retried with exponential backoff for as long as it
 * takes, so nothing is dropped. While an entry is retried its idle time is reset (XCLAIM JUSTID) so
 * other processes leave it alone; the entries of a dead process are taken with XAUTOCLAIM once idle
 * for `claimIdleMs`. At-least-once: a crash between the 2xx and the XACK sends that event again,
 * with the same `X-Vmta-Event-Id` (the stream id), which a receiver dedupes on.
 */
import { ACCOUNTING_MAXLEN, toEvent, type createRedis } from '@vmta/queue';
import type { Logger } from 'pino';
import { ensureGroup, readGroup, reclaimIdle, type StreamEntry } from '../accounting/stream-group.js';
import { trimAccounted } from '../accounting/stream-trim.js';
import { EVENT_ID_HEADER, retryDelayMs, SIGNATURE_HEADER, signature, type WebhookSettings } from './webhook-settings.js';

type RedisClient = ReturnType<typeof createRedis>;
type Entry = StreamEntry;

export interface WebhookForwarderOptions {
  /** For acks, claims and trims. */
  redis: RedisClient;
  /** Only for the blocking XREADGROUP (disconnected to stop it). */
  reader: RedisClient;
  key: string;
  group: string;
  consumer: string;
  settings: WebhookSettings;
  log: Logger;
  blockMs: number;
  batchSize: number;
  claimIdleMs: number;
}

/** Share of ACCOUNTING_MAXLEN at which the stream is about to drop events nobody acked: a loud warning. */
const NEAR_CAP = 0.8;
const CAP_CHECK_MS = 10_000;

class Stopped extends Error {}

export class WebhookForwarder {
  private settings: WebhookSettings;
  private stopping = false;
  private blocking = false;
  private readonly inFlight = new Set<string>();
  private readonly abort = new AbortController();
  private readonly touch: NodeJS.Timeout;
  private readonly done: Promise<void>;

  constructor(private readonly o: WebhookForwarderOptions) {
    this.settings = o.settings;
    // Keep the entries being retried ours: reset their idle time well before claimIdleMs.
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
    if (this.blocking) this.o.reader.disconnect();
    await this.done;
    this.o.reader.disconnect();
    await this.o.redis.quit().catch(() => {});
    this.o.redis.disconnect();
  }

  private async run(): Promise<void> {
    const { log } = this.o;
    let needGroup = true;
    let ownPending = true;
    let claimCursor = '0-0';
    let lastClaimMs = 0;
    let lastCapCheckMs = 0;
    while (!this.stopping) {
      try {
        if (needGroup) {
          // From `$`: a new webhook gets the events from its creation on; an existing group resumes where it was.
          await ensureGroup(this.o.redis, this.o.key, this.o.group, '$');
          needGroup = false;
        }
        if (Date.now() - lastCapCheckMs >= CAP_CHECK_MS) {
          lastCapCheckMs = Date.now();
          await this.checkCap();
        }
        let entries: Entry[] = [];
        if (Date.now() - lastClaimMs >= this.o.claimIdleMs / 2) {
          const claimed = await reclaimIdle(this.o.redis, this.o, claimCursor);
          [claimCursor, entries] = [claimed.cursor, claimed.entries];
          // Only the MAXLEN cap removes entries a group still holds: events were lost.
          if (claimed.gone.length > 0) log.error({ event: 'events-lost', webhook: this.settings.name, count: claimed.gone.length, first: claimed.gone[0] }, 'webhook events were trimmed away by the stream cap before they were sent');
          if (claimCursor === '0-0') lastClaimMs = Date.now();
          if (entries.length > 0) log.info({ event: 'claimed', webhook: this.settings.name, count: entries.length }, 'took webhook events of a stopped process');
        }
        if (entries.length === 0) entries = await this.read(ownPending ? '0' : '>');
        if (ownPending && entries.length === 0) ownPending = false;
        if (entries.length > 0) await this.handle(entries);
      } catch (err) {
        if (this.stopping || err instanceof Stopped) break;
        if (/NOGROUP/.test((err as Error).message)) needGroup = true;
        ownPending = true;
        log.error({ event: 'error', webhook: this.settings.name, err }, 'webhook forwarder failed; will retry');
        await this.sleep(1000).catch(() => {});
      }
    }
  }

  private async read(from: '0' | '>'): Promise<Entry[]> {
    this.blocking = from === '>';
    try {
      return await readGroup(this.o.reader, this.o, from);
    } finally {
      this.blocking = false;
    }
  }

  private async handle(entries: Entry[]): Promise<void> {
    const { redis, key, group, log } = this.o;
    const queue = [...entries];
    const worker = async (): Promise<void> => {
      for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
        const [id, fields] = entry;
        const event = fields === null ? undefined : toEvent(id, fields);
        if (event !== undefined && this.settings.types.has(event.type)) await this.post(id, JSON.stringify(event));
        await redis.xack(key, group, id);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, entries.length) }, worker));
    log.debug({ event: 'forwarded', webhook: this.settings.name, entries: entries.length }, 'webhook events sent');
    try {
      await trimAccounted(redis, key);
    } catch (err) {
      log.warn({ event: 'trim-failed', err }, 'could not trim the accounting stream');
    }
  }

  /** POST until a 2xx; throws Stopped only when closing (the entry stays pending). */
  private async post(id: string, body: string): Promise<void> {
    this.inFlight.add(id);
    try {
      for (let failures = 0; ; ) {
        const s = this.settings;
        const problem = await this.attempt(s, id, body);
        if (problem === undefined) return;
        failures++;
        const waitMs = retryDelayMs(failures, s.retryInitialMs, s.retryMaxMs);
        this.o.log.warn({ event: 'post-failed', webhook: s.name, id, failures, problem, retryInMs: waitMs }, 'webhook POST failed; will retry');
        await this.sleep(waitMs);
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** One POST: undefined on a 2xx, else what went wrong. */
  private async attempt(s: WebhookSettings, id: string, body: string): Promise<string | undefined> {
    if (this.stopping) throw new Stopped();
    const headers: Record<string, string> = { 'content-type': 'application/json', [EVENT_ID_HEADER]: id };
    if (s.secret) headers[SIGNATURE_HEADER] = signature(s.secret, body, Math.floor(Date.now() / 1000));
    try {
      const res = await fetch(s.url, { method: 'POST', headers, body, signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(s.timeoutMs)]) });
      await res.arrayBuffer().catch(() => undefined);
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (err) {
      if (this.stopping) throw new Stopped();
      const e = err as Error;
      return e.name === 'TimeoutError' ? `no answer within ${s.timeoutMs} ms` : e.message;
    }
  }

  private async touchInFlight(): Promise<void> {
    if (this.inFlight.size === 0 || this.stopping) return;
    const { redis, key, group, consumer } = this.o;
    await redis.xclaim(key, group, consumer, 0, ...this.inFlight, 'JUSTID').catch(() => {});
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

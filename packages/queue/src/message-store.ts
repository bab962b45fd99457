/**
 * Durable storage of accepted messages. `enqueue` writes body, envelope,
 * recipients, the queue entries and the `r` accounting records in one
 * script call: either all of it is in Redis or none of it.
 */
import type { Redis } from 'ioredis';
import { receivedRecord, serializeRecord } from './accounting-records.js';
import { decodeBody, encodeBodyOffLoop, type BodyCompression } from './body-codec.js';
import { Dispatcher, type QueueRef } from './dispatch.js';
import { BodyEncodingError, QueueUnavailableError, ReplicationTimeoutError } from './errors.js';
import { Keys, queueName } from './keys.js';
import { MxRollupMap } from './mx-rollup-map.js';
import { newMessageId } from './message-id.js';
import { readyAtFor } from './priority.js';
import { epochMinute } from './minute-counters.js';
import type { NewMessage, RecipientRecord, StoredMessage } from './message.js';
import { queueRecipientsField, scripts, type EnqueueInput, type EnqueueQueue, type EnqueueReply, type QueueScripts } from './scripts/index.js';
import { parseHead } from './delete-claims.js';
import type { WaitPolicy } from './redis-url.js';
import { HELD_FIELD, type HeldMessage } from './scripts/held.js';
import { WaitPool } from './wait-pool.js';

/** A message without its body (MessageStore#envelopes). */
export interface MessageEnvelopeRecord {
  id: string;
  mailFrom: string;
  job?: string;
  receivedAt: number;
  recipients: RecipientRecord[];
}

/** Messages waiting for their replicas at once, each on a connection of its own (see WaitPool). */
export const WAIT_CONNECTIONS = 32;

/**
 * How long past the WAIT timeout a held message waits for its release: a message whose release
 * never came (the listener died, or the failover lost the release but kept the message) is
 * delivered then. Late, maybe twice, never lost.
 */
export const HELD_RELEASE_MARGIN_MS = 10_000;

export interface EnqueueResult {
  id: string;
  queues: string[];
  /**
   * False when the dispatch tokens could not be added (delivery's wake sweep adds them later);
   * 'background' when the caller did not wait for them.
   */
  woken: boolean | 'background';
}

export interface EnqueueOptions {
  /**
   * Do not wait for the dispatch tokens: the wake marks written with the message already
   * guarantee them (the sweep adds what a crash left out), so a listener can say 250 right
   * after the enqueue script. Default false.
   */
  backgroundWake?: boolean;
  /**
   * Recipient domain -> the domain part of its queue, when not the domain itself (queue-to, MX
   * rollup: config's queueDomainFor). The recipient keeps its own domain; its queue is TARGET/vmta.
   */
  queueDomains?: ReadonlyMap<string, string>;
}

export class MessageStore {
  readonly keys: Keys;
  constructor(
    private readonly redis: Redis,
    options: {
      prefix?: string;
      compressMinBytes?: number;
      /**
       * What enqueue compresses bodies with (`body-compression`), asked at each enqueue (the listener's
       * follows a reload); default deflate (the store itself knows no process list: the listener passes zstd only while every delivery process reads it, zstd-readers.ts).
       */
      bodyCompression?: BodyCompression | (() => BodyCompression);
      /** Whether `r` records go to the accounting stream (false when no `<acct-file>` reads them); default true. */
      accounting?: () => boolean;
      /**
       * bounce-after (ms) of a queue: the enqueue script puts the queue in the bounce-after index
       * (scripts/expiry-index.ts) at receipt + this, so mail expires even when no delivery process
       * ever takes the queue's tokens (no host serves its VMTA). Without it the queue's first
       * slot-0 token indexes it.
       */
      bounceAfter?: (ref: QueueRef) => number | undefined;
      /**
       * Bytes of decoded bodies of messages in several queues kept by `getForQueue` (a delivery
       * process): each queue's delivery of a fan-out message then neither reads nor inflates the
       * body again. Bodies never change under an id. Default 0 (none kept).
       */
      bodyCacheBytes?: number;
      /**
       * WAIT before enqueue resolves: the message is held (not due) until `replicas` replicas
       * acknowledged it, then released; when they do not within `timeoutMs` it is discarded and
       * enqueue throws ReplicationTimeoutError. Off (0 replicas) by default. A function is asked
       * at each enqueue (the listener's follows a reload of the redis-wait-* directives).
       */
      wait?: WaitPolicy | (() => WaitPolicy);
    } = {},
  ) {
    this.keys = new Keys(options.prefix);
    this.accounting = options.accounting ?? (() => true);
    this.bounceAfter = options.bounceAfter;
    this.compressMinBytes = options.compressMinBytes ?? 1024;
    const compression = options.bodyCompression ?? 'deflate';
    this.compressionFor = typeof compression === 'function' ? compression : () => compression;
    const wait = options.wait;
    this.waitFor = typeof wait === 'function' ? wait : () => wait;
    this.dispatcher = new Dispatcher(redis, options.prefix);
    this.scripts = scripts(redis);
    this.bodies = new BodyCache(options.bodyCacheBytes ?? 0);
    this.rollups = new MxRollupMap(redis, this.keys);
  }
  private readonly bodies: BodyCache;
  readonly dispatcher: Dispatcher;
  /** MX rollup decisions (domain -> NAME.rollup), read at enqueue by the listener. */
  readonly rollups: MxRollupMap;
  private readonly scripts: QueueScripts;
  private readonly compressMinBytes: number;
  private readonly compressionFor: () => BodyCompression;
  private readonly accounting: () => boolean;
  private readonly bounceAfter: ((ref: QueueRef) => number | undefined) | undefined;
  private readonly waitFor: () => WaitPolicy | undefined;
  /** Made at the first enqueue that waits. */
  private waitPool: WaitPool | undefined;

  async enqueue(msg: NewMessage, id = newMessageId(msg.receivedAt), options: EnqueueOptions = {}): Promise<EnqueueResult> {
    if (msg.recipients.length === 0) throw new Error('a message needs at least one recipient');
    const k = this.keys;
    const asked = this.waitFor();
    const wait = asked && asked.replicas > 0 ? asked : undefined;
    if (wait) this.waitPool ??= new WaitPool(this.redis, WAIT_CONNECTIONS);
    const { data, encoding } = await encodeBodyOffLoop(msg.body, this.compressMinBytes, this.compressionFor());
    const queueDomain = (domain: string): string => options.queueDomains?.get(domain) ?? domain;
    // Object.assign, not `{ ...r, index, … }`: Node 20's V8 takes a slow path for that spread (≈ 3.6 µs per
    // recipient in the listener's fan-out profile, ≈ 0.2 µs this way); the fields and their order are the same.
    const recipients: RecipientRecord[] = msg.recipients.map((r, index) =>
      Object.assign({}, r, { index, queue: queueName(queueDomain(r.domain), msg.vmta), state: 'queued' as const, attempts: 0 }),
    );
    const refs = new Map(recipients.map((r) => [r.queue, { queue: r.queue, domain: queueDomain(r.domain), vmta: msg.vmta }]));
    const queues = [...refs.keys()];
    const logged = new Date().toISOString();
    // Fields set in the order they had as a literal with spread-in optional fields (V8's slower path).
    const meta: Record<string, string> = { from: msg.mailFrom, vmta: msg.vmta };
    if (msg.vmtaPool) meta.pool = msg.vmtaPool;
    if (msg.job) meta.job = msg.job;
    if (msg.envId) meta.envid = msg.envId;
    if (msg.ret) meta.ret = msg.ret;
    meta.src = JSON.stringify(msg.source);
    meta.rcv = String(msg.receivedAt);
    meta.size = String(msg.body.length);
    meta.enc = encoding;
    meta.pending = String(recipients.length);
    if (wait) meta[HELD_FIELD] = '1';
    // A message in several queues lists each queue's recipients: a delivery reads only its own (readForQueue).
    if (queues.length > 1) {
      for (const q of queues) meta[queueRecipientsField(q)] = recipients.filter((r) => r.queue === q).map((r) => r.index).join(',');
    }
    const input: EnqueueInput = {
      id,
      body: data,
      receivedAt: msg.receivedAt,
      readyAt: readyAtFor(msg.receivedAt, msg.priority),
      recipients: recipients.length,
      meta,
      rcpts: Object.fromEntries(recipients.map((r) => [String(r.index), JSON.stringify(r)])),
      queues: queues.map((q) => {
        const ref = refs.get(q)!;
        const bounceAfterMs = this.bounceAfter?.(ref);
        const entry: EnqueueQueue = { name: q, mark: JSON.stringify(ref), recipients: recipients.filter((r) => r.queue === q).length };
        if (bounceAfterMs !== undefined) entry.bounceAfterMs = bounceAfterMs;
        return entry;
      }),
      records: this.accounting() ? recipients.map((r) => serializeRecord(receivedRecord(id, msg, r, logged))) : [],
      minuteKey: k.minuteCounters(epochMinute(msg.receivedAt)),
    };
    if (msg.job) input.job = msg.job;
    const write = async (redis: Redis, queueScripts: QueueScripts): Promise<EnqueueReply> => {
      let written: EnqueueReply;
      try {
        // Held from the write on (not from receivedAt: the wait for a connection does not shorten it).
        written = await queueScripts.enqueue(k, wait ? { ...input, readyAt: Date.now() + wait.timeoutMs + HELD_RELEASE_MARGIN_MS } : input);
      } catch (err) {
        throw new QueueUnavailableError(`cannot enqueue ${id}: ${(err as Error).message}`, { cause: err });
      }
      if (!wait) return written;
      const counts = new Map(input.queues.map((q) => [q.name, q.recipients]));
      const held = { id, recipients: recipients.length, queues: counts, minuteKey: input.minuteKey, ...(msg.job ? { job: msg.job } : {}), ...(msg.priority !== undefined ? { priority: msg.priority } : {}) };
      return { ...written, needsWake: await this.replicate(redis, queueScripts, wait, held) };
    };
    const reply = wait && this.waitPool ? await this.waitPool.use((redis) => write(redis, scripts(redis))) : await write(this.redis, this.scripts);
    const all = [...refs.values()];
    const asleep = all.filter((_, i) => reply.needsWake[i]);
    if (asleep.length === 0) return { id, queues, woken: true };
    const woken = this.wakeAsleep(asleep, asleep.map((ref) => JSON.stringify(ref)));
    return { id, queues, woken: options.backgroundWake ? 'background' : await woken };
  }

  /**
   * WAIT for the replicas, then release the held message (its queues' wake flags) or discard it
   * and throw. A discard that fails (the primary is gone too) leaves the message held: it is
   * delivered at its hold's end, maybe twice (the sender was told 451).
   */
  private async replicate(redis: Redis, queueScripts: QueueScripts, wait: WaitPolicy, held: HeldMessage): Promise<boolean[]> {
    let acked: number;
    try {
      acked = Number(await redis.call('WAIT', wait.replicas, wait.timeoutMs));
    } catch (err) {
      const heldLeft = await this.discard(queueScripts, held);
      throw new QueueUnavailableError(`WAIT for ${held.id} failed: ${(err as Error).message}`, { cause: err, heldLeft });
    }
    if (acked < wait.replicas) {
      const heldLeft = await this.discard(queueScripts, held);
      throw new ReplicationTimeoutError(`${held.id}: ${acked} of ${wait.replicas} replicas acknowledged within ${wait.timeoutMs} ms`, acked, wait.replicas, heldLeft);
    }
    let needsWake: boolean[] | null;
    try {
      needsWake = await queueScripts.releaseHeld(this.keys, held.id, [...held.queues.keys()], readyAtFor(Date.now(), held.priority));
    } catch (err) {
      throw new QueueUnavailableError(`cannot release ${held.id}: ${(err as Error).message}`, { cause: err, heldLeft: true });
    }
    if (!needsWake) throw new QueueUnavailableError(`${held.id} was no longer held at its release`);
    return needsWake;
  }

  /** Deletes a held message after a failed WAIT; true when the delete did not reach Redis (the message is left held). */
  private async discard(queueScripts: QueueScripts, held: HeldMessage): Promise<boolean> {
    return queueScripts.discardHeld(this.keys, held).then(
      () => false,
      () => true,
    );
  }

  /** Closes the connections of WAIT before 250 (the store's own connection is the caller's). */
  disconnectWaitConnections(): void {
    this.waitPool?.disconnect();
  }

  /** Adds a token for each of these queues and clears its wake mark (the sweep retries what fails). */
  private async wakeAsleep(refs: QueueRef[], marks: string[]): Promise<boolean> {
    try {
      // Each wake clears its queue's mark in its own script call once the token is there.
      for (const [i, ref] of refs.entries()) await this.dispatcher.wake(ref, 0, marks[i]);
      return true;
    } catch {
      return false;
    }
  }

  /** The whole record of a message, body decoded; undefined when it does not exist (or no longer). */
  async get(id: string): Promise<StoredMessage | undefined> {
    return (await this.getMany([id]))[0];
  }

  /**
   * Several messages in one round trip (a pipeline, not a transaction: a message finished
   * meanwhile by another queue's token reads as gone, which callers handle anyway).
   */
  async getMany(ids: readonly string[]): Promise<Array<StoredMessage | undefined>> {
    if (ids.length === 0) return [];
    const k = this.keys;
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.messageMeta(id)).hvals(k.messageRecipients(id)).getBuffer(k.messageBody(id));
    const results = (await pipeline.exec()) ?? [];
    return ids.map((id, i) => {
      const [[e1, meta], [e2, rcpts], [e3, body]] = results.slice(i * 3, i * 3 + 3) as [
        [Error | null, Record<string, string>],
        [Error | null, string[]],
        [Error | null, Buffer | null],
      ];
      const failed = e1 ?? e2 ?? e3;
      if (failed) throw failed;
      if (!meta || Object.keys(meta).length === 0 || !body) return undefined;
      return readable(id, meta, rcpts, body);
    });
  }

  /**
   * What a delivery of `queue` needs of these messages, in one script call: each message with only
   * its recipients of that queue (all of them for a message in one queue), body decoded; undefined
   * when gone. A body kept from an earlier call (a message in several queues) is not read again.
   */
  async getForQueue(ids: readonly string[], queue: string): Promise<Array<StoredMessage | undefined>> {
    if (ids.length === 0) return [];
    const k = this.keys;
    const kept = ids.map((id) => this.bodies.get(id));
    const read = await this.scripts.readForQueue(
      ids.map((id, i) => ({ keys: { meta: k.messageMeta(id), rcpts: k.messageRecipients(id), body: k.messageBody(id) }, withBody: !kept[i] })),
      queue,
    );
    return ids.map((id, i) => {
      const { meta, recipients, body } = read[i]!;
      if (Object.keys(meta).length === 0) return undefined;
      if (kept[i]) return parseMessage(id, meta, recipients, kept[i]);
      if (!body) return undefined;
      const message = readable(id, meta, recipients, body);
      if (!message.unreadable && meta[queueRecipientsField(queue)] !== undefined) this.bodies.set(id, message.body);
      return message;
    });
  }

  /**
   * What views and filters read of several messages, without the body: sender, job, receipt time
   * and recipients (one pipeline; a message gone meanwhile is undefined).
   */
  envelopes(ids: readonly string[]): Promise<Array<MessageEnvelopeRecord | undefined>> {
    return readEnvelopes(this.redis, this.keys, ids);
  }

  /** Ids of the messages waiting in a queue, oldest first. */
  async queued(queue: string, limit = 1000): Promise<string[]> {
    return this.redis.zrange(this.keys.queueReady(queue), '0', String(limit - 1));
  }

  async queueNames(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.queueIndex())).sort();
  }
}

function parseMessage(id: string, meta: Record<string, string>, rcpts: readonly string[], body: Buffer): StoredMessage {
  return { ...parseHead(id, meta, rcpts), body };
}

/** The message with its body decoded, or, when the body cannot be read (BodyEncodingError), an empty body and why. */
function readable(id: string, meta: Record<string, string>, rcpts: readonly string[], body: Buffer): StoredMessage {
  try {
    return parseMessage(id, meta, rcpts, decodeBody(body, meta.enc, Number(meta.size)));
  } catch (err) {
    if (!(err instanceof BodyEncodingError)) throw err;
    return { ...parseMessage(id, meta, rcpts, Buffer.alloc(0)), unreadable: err.message };
  }
}

/** Decoded bodies by message id, least recently used dropped first past a byte budget. */
class BodyCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;
  constructor(private readonly maxBytes: number) {}

  get(id: string): Buffer | undefined {
    const body = this.entries.get(id);
    if (body) {
      this.entries.delete(id);
      this.entries.set(id, body);
    }
    return body;
  }

  set(id: string, body: Buffer): void {
    // A body over a quarter of the budget would push out most of the rest: not kept.
    if (body.length > this.maxBytes / 4 || this.entries.has(id)) return;
    this.entries.set(id, body);
    this.bytes += body.length;
    for (const [old, b] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(old);
      this.bytes -= b.length;
    }
  }
}

/** Several messages without their bodies (see MessageStore#envelopes). */
export async function readEnvelopes(redis: Redis, k: Keys, ids: readonly string[]): Promise<Array<MessageEnvelopeRecord | undefined>> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(k.messageMeta(id), 'from', 'job', 'rcv').hvals(k.messageRecipients(id));
  const results = (await pipeline.exec()) ?? [];
  return ids.map((id, i) => {
    const [[e1, meta], [e2, rcpts]] = results.slice(i * 2, i * 2 + 2) as [[Error | null, (string | null)[]], [Error | null, string[]]];
    const failed = e1 ?? e2;
    if (failed) throw failed;
    const [from, job, rcv] = meta;
    if (rcv === null || rcv === undefined) return undefined;
    const recipients = rcpts.map((r) => JSON.parse(r) as RecipientRecord).sort((a, b) => a.index - b.index);
    return { id, mailFrom: from ?? '', ...(job ? { job } : {}), receivedAt: Number(rcv), recipients };
  });
}

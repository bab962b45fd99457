/**
 * Which `vmta start` processes the cluster has: each registers a record (role,
 * host, pid, VMTAs served, listeners) and heart-beats every few seconds with one
 * round trip (ZADD of its last-seen time + PEXPIRE of its record). A process
 * that missed three heartbeats shows as not alive; one silent for longer than
 * `pruneAfterMs` is dropped when the list is read. One unref'd timer per process.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Redis } from 'ioredis';
import { Keys } from './keys.js';

export type ProcessRole = 'all' | 'listener' | 'delivery';

export interface ProcessInfo {
  /** `host:pid:random`: unique even when a pid is reused. */
  id: string;
  role: ProcessRole;
  host: string;
  pid: number;
  /** ms since the epoch. */
  startedAt: number;
  version?: string;
  /** VMTAs this process delivers for (a listener serves none). */
  vmtas: string[];
  /** Addresses its SMTP listeners are bound to. */
  listeners: string[];
  /** The configuration file it runs (absolute path on its host): what `vmta show settings` there reads by default. */
  config?: string;
  /** Its heartbeat interval: "alive" means seen within three of them. */
  heartbeatMs: number;
  /**
   * The body encodings this process reads (READABLE_BODY_ENCODINGS). Absent in records of versions
   * before the listener looked at it: such a process is taken to read raw and deflate only.
   */
  bodyEncodings?: string[];
}

export interface ProcessRow extends ProcessInfo {
  lastSeen: number;
  alive: boolean;
}

export const HEARTBEAT_MS = 2_000;
/** Missed heartbeats after which a process shows as not alive. */
export const MISSED_HEARTBEATS = 3;
/**
 * A token run starts a message without asking Redis only while its process's last heartbeat (as
 * acknowledged) was sent less than this long ago (two intervals). Past it (a heartbeat late or
 * failing), the run asks Redis whether it still holds the slot before each message.
 */
export const SEND_WHILE_BEAT_WITHIN_MS = 2 * HEARTBEAT_MS;
/**
 * Self-fencing: a process whose last acknowledged heartbeat is older than this sends nothing more
 * and closes its SMTP sessions (within FENCE_CHECK_MS), whatever they are doing: it may be the
 * silent process whose slots another process is about to take back.
 */
export const FENCE_AFTER_MS = 5_000;
/** How often a run with open sessions compares its process's heartbeat with FENCE_AFTER_MS. */
export const FENCE_CHECK_MS = 500;
/**
 * A delivery process silent this long loses the connection slots it holds: another process gives
 * their mail back (see docs/design/queues.md, Crash). The margin over FENCE_AFTER_MS covers one
 * heartbeat acknowledged by a primary but lost in a failover (HEARTBEAT_MS), one fence check and
 * closing the sockets, and some clock difference between hosts (the score is the writer's clock):
 * by then the silent process, if alive, has closed its sessions (fence-margins.test.ts).
 */
export const SLOT_RECOVERY_AFTER_MS = 10_000;
/** A silent process is listed (as not alive) this long, then forgotten. */
export const PRUNE_AFTER_MS = 10 * 60_000;

export function newProcessId(host = os.hostname(), pid = process.pid): string {
  return `${host}:${pid}:${randomBytes(4).toString('hex')}`;
}

/** Alive when its last heartbeat is at most MISSED_HEARTBEATS intervals old. */
export function isAlive(lastSeen: number, heartbeatMs: number, now: number): boolean {
  return now - lastSeen <= MISSED_HEARTBEATS * heartbeatMs;
}

export interface RegistryOptions {
  prefix?: string;
  /** Default HEARTBEAT_MS. */
  heartbeatMs?: number;
  pruneAfterMs?: number;
  now?: () => number;
  /** Told when a heartbeat fails (Redis away); the next one tries again. */
  onError?: (err: Error) => void;
}

export type NewProcess = Omit<ProcessInfo, 'id' | 'host' | 'pid' | 'startedAt' | 'heartbeatMs'> & Partial<Pick<ProcessInfo, 'id' | 'host' | 'pid' | 'startedAt'>>;

/** A registered process: heart-beats on a timer until deregister(). */
export class ProcessRegistration {
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private stopped = false;
  private beatAt: number | undefined;
  /** A reconnect (a failover among them): beat at once, so a record or last-seen time the new primary lacks is back before the next tick. */
  private readonly onReady = () => {
    if (!this.stopped) this.heartbeat().catch((err: Error) => this.options.onError?.(err));
  };

  constructor(
    private readonly redis: Redis,
    readonly info: ProcessInfo,
    private readonly keys: Keys,
    private readonly options: Required<Pick<RegistryOptions, 'pruneAfterMs' | 'now'>> & Pick<RegistryOptions, 'onError'>,
  ) {}

  get id(): string {
    return this.info.id;
  }

  /** When the last heartbeat Redis acknowledged was sent (this process's clock, ms); undefined before the first. */
  get lastBeatAt(): number | undefined {
    return this.beatAt;
  }

  /** One round trip: the last-seen time and the record's lease. A heartbeat still on the wire is shared, not repeated. */
  heartbeat(): Promise<void> {
    this.pending ??= this.beat().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const at = this.options.now();
    const results = await this.redis
      .multi()
      .zadd(this.keys.processIndex(), this.options.now(), this.info.id)
      .pexpire(this.keys.processRecord(this.info.id), this.options.pruneAfterMs)
      .exec();
    // The record expired (Redis was away longer than pruneAfterMs, or someone pruned it): write it again.
    if (results?.[1]?.[1] === 0 && !this.stopped) await this.writeRecord();
    else if (results?.every(([err]) => !err)) this.beatAt = at;
  }

  private async writeRecord(): Promise<void> {
    const at = this.options.now();
    const results = await this.redis
      .multi()
      .set(this.keys.processRecord(this.info.id), JSON.stringify(this.info), 'PX', this.options.pruneAfterMs)
      .zadd(this.keys.processIndex(), at, this.info.id)
      .exec();
    if (results?.every(([err]) => !err)) this.beatAt = at;
  }

  /** What the process serves changed (a reload): the record says so from now on. */
  async update(changes: Partial<Pick<ProcessInfo, 'vmtas' | 'listeners'>>): Promise<void> {
    Object.assign(this.info, changes);
    if (!this.stopped) await this.writeRecord();
  }

  /** Writes the record and the first heartbeat, then keeps beating. */
  async start(): Promise<void> {
    await this.writeRecord();
    this.timer = setInterval(() => {
      this.heartbeat().catch((err: Error) => this.options.onError?.(err));
    }, this.info.heartbeatMs);
    this.timer.unref();
    this.redis.on('ready', this.onReady);
  }

  /** Stops the heart-beat timer without removing the record (the process shows as not alive, then goes). */
  stop(): void {
    this.stopped = true;
    this.redis.off('ready', this.onReady);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Clean shutdown: stop beating and leave the list at once. */
  async deregister(): Promise<void> {
    this.stop();
    // A heartbeat on the wire would add the id back after the removal.
    await this.pending?.catch(() => undefined);
    await this.redis.multi().zrem(this.keys.processIndex(), this.info.id).del(this.keys.processRecord(this.info.id)).exec();
  }
}

/** Registers this process and starts its heartbeat. */
export async function registerProcess(redis: Redis, proc: NewProcess, options: RegistryOptions = {}): Promise<ProcessRegistration> {
  const now = options.now ?? Date.now;
  const host = proc.host ?? os.hostname();
  const pid = proc.pid ?? process.pid;
  const info: ProcessInfo = {
    ...proc,
    id: proc.id ?? newProcessId(host, pid),
    host,
    pid,
    startedAt: proc.startedAt ?? now(),
    heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS,
  };
  const registration = new ProcessRegistration(redis, info, new Keys(options.prefix), {
    pruneAfterMs: options.pruneAfterMs ?? PRUNE_AFTER_MS,
    now,
    onError: options.onError,
  });
  await registration.start();
  return registration;
}

/**
 * Every process of the cluster, alive first then by host and start time.
 * Forgets (removes) processes silent for longer than `pruneAfterMs`, unless `prune` is false (a
 * read-only look; pruned ones are then still listed, as not alive).
 */
export async function listProcesses(redis: Redis, keys: Keys, options: { now?: number; pruneAfterMs?: number; prune?: boolean } = {}): Promise<ProcessRow[]> {
  const now = options.now ?? Date.now();
  const prune = options.prune ?? true;
  const pruneBefore = now - (options.pruneAfterMs ?? PRUNE_AFTER_MS);
  if (prune) await redis.zremrangebyscore(keys.processIndex(), '-inf', `(${pruneBefore}`);
  const flat = await redis.zrangebyscore(keys.processIndex(), pruneBefore, '+inf', 'WITHSCORES');
  const seen = new Map<string, number>();
  for (let i = 0; i + 1 < flat.length; i += 2) seen.set(flat[i]!, Number(flat[i + 1]));
  if (seen.size === 0) return [];
  const ids = [...seen.keys()];
  const records = await redis.mget(ids.map((id) => keys.processRecord(id)));
  const rows: ProcessRow[] = [];
  const orphans: string[] = [];
  ids.forEach((id, i) => {
    const text = records[i];
    // The record expired (or was deleted) while the index still had the id: nothing to show.
    if (!text) return void orphans.push(id);
    const info = JSON.parse(text) as ProcessInfo;
    const lastSeen = seen.get(id)!;
    rows.push({ ...info, lastSeen, alive: isAlive(lastSeen, info.heartbeatMs || HEARTBEAT_MS, now) });
  });
  if (prune && orphans.length > 0) await redis.zrem(keys.processIndex(), ...orphans);
  return rows.sort((a, b) => Number(b.alive) - Number(a.alive) || a.host.localeCompare(b.host) || a.startedAt - b.startedAt || a.id.localeCompare(b.id));
}

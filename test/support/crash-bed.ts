/**
 * The bed of the root kill -9 tests (delivery-crash, source-disable-crash, jobs-crash,
 * mx-rollup-crash, purge-crash): a test Redis with a MessageStore, a config file, an optional SMTP
 * receiver on 127.0.0.10, `vmta start --role delivery` child processes, messages numbered by an
 * X-Seq header, the wait until every number arrived, and the duplicate count.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startReceiver, type Receiver, type ReceiverOptions } from '@vmta/delivery/testing';
import type { NewMessage } from '@vmta/queue';
import { openQueueTestbed, testMessage, type QueueTestbed } from '@vmta/queue/testing';
import { expect } from 'vitest';
import { startDeliveryProcess } from './delivery-process.js';

export type DeliveryProcess = ReturnType<typeof startDeliveryProcess>;

/** Starting a child process (node, the CLI, Redis connections) on a loaded machine can take long. */
const STARTED_TIMEOUT_MS = 60_000;

/** The usual delivery config: mta1 on 127.0.0.2, every domain to the receiver (`top`: lines before `<domain *>`, `domain`: more lines in it). */
export function deliveryConfig(o: { port: number; maxSmtpOut: number; top?: string[]; domain?: string[]; sourceHosts?: string[] }): string[] {
  const sources = (o.sourceHosts ?? ['127.0.0.2 mta1.example.test']).map((s) => `  smtp-source-host ${s}`);
  return [
    '<virtual-mta mta1>',
    ...sources,
    '</virtual-mta>',
    ...(o.top ?? []),
    '<domain *>',
    `  smtp-hosts [127.0.0.10]:${o.port}`,
    ...(o.domain ?? []),
    `  max-smtp-out ${o.maxSmtpOut}`,
    '  retry-after 2s',
    '</domain>',
  ];
}

/**
 * Message `seq` (its X-Seq header) from mta1 to `recipients`; `filler` goes before "message N";
 * `over`: other fields (sender, source, recipients with a refusal).
 */
export function seqMessage(seq: number, recipients: string[], o: { subject: string; job?: string; filler?: string; over?: Partial<NewMessage> }): NewMessage {
  return testMessage(recipients, {
    body: Buffer.from(`Subject: ${o.subject}\r\nX-Seq: ${seq}\r\n\r\n${o.filler ?? ''}message ${seq}\r\n`),
    source: { ip: '127.0.0.9', listener: 'test' },
    ...(o.job !== undefined ? { job: o.job } : {}),
    ...o.over,
  });
}

export interface CrashBedOptions {
  /** Start a receiver on 127.0.0.10 (plain text unless said otherwise) with these options. */
  receiver?: Partial<ReceiverOptions>;
  /** The config file's lines; given the receiver's port when there is one. */
  config: (port: number) => string[];
}

/** What the receiver had when a delivery process was killed. */
export interface KillMark {
  /** Messages arrived by then. */
  arrived: number;
  /** The receiver's connections open at the kill. */
  open: Set<string>;
}

export interface CrashBed extends QueueTestbed {
  /** The config file the processes run on. */
  conf: string;
  receiver: Receiver | undefined;
  /** Every delivery process started so far (killed if still running at close). */
  processes: DeliveryProcess[];
  /** Starts one more delivery process. */
  startDelivery(): DeliveryProcess;
  /** Until each of them logged "started". */
  waitStarted(...ps: DeliveryProcess[]): Promise<void>;
  /** The X-Seq of each message the receiver got, in arrival order (duplicates included). */
  seqs(): number[];
  /** Until `count` distinct X-Seq (of those `only` keeps) arrived. */
  waitArrived(count: number, o: { timeoutMs: number; intervalMs: number; only?: (seq: number) => boolean }): Promise<void>;
  /** Arrivals beyond `total` distinct messages. */
  duplicates(total: number): number;
  /** SIGKILL now; what the receiver had then (the count of arrivals, the connections open). */
  kill(p: DeliveryProcess): KillMark;
  /**
   * Each message that arrived twice had its first copy on a connection that was open at the kill and
   * then closed without QUIT: it was on the wire (RFC 5321 §6.1). (Counting arrivals at the kill is
   * not enough: what the killed process wrote just before may be read by the receiver, in this
   * process, only after the kill.)
   */
  expectTwiceOnlyOnTheWire(mark: KillMark): void;
  /** Until no message key is left. */
  expectDrained(): Promise<void>;
  /** SIGTERM, and it exits 0. */
  expectStopsCleanly(p: DeliveryProcess): Promise<void>;
  /** Runs before the bed's own teardown at close (a Cluster, a DNS server). */
  onClose(fn: () => Promise<unknown>): void;
}

const running = (p: DeliveryProcess) => p.child.exitCode === null && p.child.signalCode === null;

export async function openCrashBed(o: CrashBedOptions): Promise<CrashBed> {
  const q = await openQueueTestbed();
  const receiver = o.receiver ? await startReceiver({ host: '127.0.0.10', startTls: false, ...o.receiver }) : undefined;
  const conf = path.join(mkdtempSync(path.join(tmpdir(), 'vmta-crash-')), 'vmta.conf');
  writeFileSync(conf, o.config(receiver?.port ?? 0).join('\n'));
  const processes: DeliveryProcess[] = [];
  const closers: Array<() => Promise<unknown>> = [];
  const seqs = () => (receiver?.messages ?? []).map((m) => Number(/X-Seq: (\d+)/.exec(m.body)?.[1]));
  return {
    ...q,
    conf,
    receiver,
    processes,
    startDelivery() {
      const p = startDeliveryProcess(conf, q.t.url, q.prefix);
      processes.push(p);
      return p;
    },
    async waitStarted(...ps) {
      await expect.poll(() => ps.every((p) => p.output().includes('"event":"started"')), { timeout: STARTED_TIMEOUT_MS }).toBe(true);
    },
    seqs,
    async waitArrived(count, w) {
      const only = w.only ?? (() => true);
      await expect.poll(() => new Set(seqs().filter(only)).size, { timeout: w.timeoutMs, interval: w.intervalMs }).toBe(count);
    },
    duplicates: (total) => seqs().length - total,
    kill(p) {
      p.child.kill('SIGKILL');
      return { arrived: receiver?.messages.length ?? 0, open: new Set(receiver?.openSessions() ?? []) };
    },
    expectTwiceOnlyOnTheWire(mark) {
      const all = seqs();
      const twice = [...new Set(all.filter((s, i) => all.indexOf(s) !== i))];
      for (const s of twice) {
        const first = receiver!.messages[all.indexOf(s)]!;
        const session = receiver!.sessions.get(first.sessionId);
        expect({ seq: s, openAtKill: mark.open.has(first.sessionId), ...session }).toEqual({ seq: s, openAtKill: true, open: false, quit: false });
      }
    },
    async expectDrained() {
      await expect.poll(() => q.redis.keys(`${q.t.prefix}{m:*`), { timeout: 10_000 }).toEqual([]);
    },
    async expectStopsCleanly(p) {
      p.child.kill('SIGTERM');
      expect(await new Promise((resolve) => p.child.once('exit', resolve))).toBe(0);
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      for (const p of processes) if (running(p)) p.child.kill('SIGKILL');
      for (const fn of closers) await fn();
      await q.store.dispatcher.close();
      q.redis.disconnect();
      await receiver?.close();
      await q.t.cleanup();
    },
  };
}

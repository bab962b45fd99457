/**
 * Several smtp-sinks seen as one (the fan-out load gives each recipient domain
 * its own sink, so every MTA makes one delivery per domain as it would to ten
 * different MX hosts): counts add up, CPU adds up.
 */
import { getFreePort } from '@vmta/redis-server';
import { startSink, type Sink } from './sink.js';

export interface SinkSet {
  /** All of them as one Sink (waitFor polls every 10 ms when there are several). */
  all: Sink;
  each: Sink[];
}

export function combineSinks(sinks: Sink[]): Sink {
  if (sinks.length === 1) return sinks[0]!;
  const count = () => sinks.reduce((s, k) => s + k.count(), 0);
  return {
    host: sinks[0]!.host,
    port: sinks[0]!.port,
    pid: sinks[0]!.pid,
    count,
    waitFor(n, timeoutMs) {
      const until = performance.now() + timeoutMs;
      return new Promise((resolve, reject) => {
        const poll = () => {
          if (count() >= n) return resolve(performance.now());
          if (performance.now() > until) return reject(new Error(`sinks have ${count()} of ${n} messages after ${timeoutMs} ms`));
          setTimeout(poll, 10);
        };
        poll();
      });
    },
    cpu: () => sinks.reduce((s, k) => s + k.cpu(), 0),
    async stop() {
      await Promise.all(sinks.map((k) => k.stop()));
    },
  };
}

/** `n` sinks run with `extraArgs`, then `plain` more without them (e.g. a fast sink beside a slow one). */
export async function startSinks(bin: string, host: string, n: number, extraArgs: string[] = [], plain = 0): Promise<SinkSet> {
  const each: Sink[] = [];
  try {
    for (let i = 0; i < n + plain; i++) each.push(await startSink(bin, host, await getFreePort(host), i < n ? extraArgs : []));
  } catch (err) {
    await Promise.all(each.map((s) => s.stop()));
    throw err;
  }
  return { all: combineSinks(each), each };
}

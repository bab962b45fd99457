/**
 * smtp-sink as the destination of every run: it counts messages ("mesg=N" in
 * its -c counter line) and pushes back on nothing, so the runs differ only in
 * what sits between smtp-source and the sink.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { track } from './children.js';
import { readProcStat } from './proc-stat.js';

export interface Sink {
  host: string;
  port: number;
  pid: number;
  /** Messages received so far ('.' seen). */
  count(): number;
  /** Resolves with the time (performance.now()) the count reached n, rejects after timeoutMs. */
  waitFor(n: number, timeoutMs: number): Promise<number>;
  cpu(): number;
  stop(): Promise<void>;
}

export async function startSink(bin: string, host: string, port: number, extraArgs: string[] = []): Promise<Sink> {
  const root = process.getuid?.() === 0;
  const args = [...(root ? ['-u', 'nobody'] : []), '-c', ...extraArgs, `${host}:${port}`, '1024'];
  const child: ChildProcess = track(spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let received = 0;
  const waiters: Array<{ n: number; resolve: (t: number) => void }> = [];
  let tail = '';
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  child.stdout!.on('data', (d: Buffer) => {
    tail = (tail + d.toString('latin1')).slice(-400);
    const all = [...tail.matchAll(/mesg=(\d+)/g)];
    const last = all.at(-1);
    if (!last) return;
    received = Math.max(received, Number(last[1]));
    const now = performance.now();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (received >= waiters[i]!.n) {
        waiters[i]!.resolve(now);
        waiters.splice(i, 1);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Wait until it accepts connections.
  const { createConnection } = await import('node:net');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host, port }, () => {
        s.end('QUIT\r\n');
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`smtp-sink did not start on ${host}:${port}: ${errors}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    port,
    pid: child.pid!,
    count: () => received,
    waitFor(n, timeoutMs) {
      if (received >= n) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const waiter = { n, resolve: (t: number) => (clearTimeout(timer), resolve(t)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`sink has ${received} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    cpu: () => readProcStat(child.pid!)?.cpu ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

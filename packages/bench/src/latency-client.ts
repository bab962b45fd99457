/**
 * A small SMTP client for one figure smtp-source does not give: the time from
 * our final "." to the server's reply, at a fixed offered rate. No pipelining,
 * one connection per session reused for all its messages (like smtp-source -d).
 */
import { createConnection } from 'node:net';
import { Replies } from './smtp-replies.js';

export interface LatencyLoad {
  host: string;
  port: number;
  sessions: number;
  messages: number;
  /** Offered rate, messages per second over all sessions (open loop: a late message goes at once); Infinity: as fast as replies come. */
  rate: number;
  from: string;
  to: string;
  /** Recipient of message k (default: `to` for every message). */
  recipientFor?: (k: number) => string;
  /** Message text without the final dot (CRLF line ends, dot-stuffed already). */
  body: string;
}

export interface LatencyResult {
  /** ms from writing the final dot to reading the 250 line, one per message. */
  samples: number[];
  failures: number;
  ms: number;
}

async function session(load: LatencyLoad, index: number, t0: number, out: LatencyResult): Promise<void> {
  const socket = createConnection({ host: load.host, port: load.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  const replies = new Replies(socket);
  const command = async (line: string, expect: number) => {
    socket.write(`${line}\r\n`);
    const r = await replies.next();
    if (Math.floor(r.code / 100) !== expect) throw new Error(`${line.split(' ')[0]}: ${r.text}`);
    return r;
  };
  await replies.next();
  await command('EHLO latency.bench.test', 2);
  for (let k = index; k < load.messages; k += load.sessions) {
    const due = Number.isFinite(load.rate) ? t0 + (k * 1000) / load.rate : 0;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    try {
      await command(`MAIL FROM:<${load.from}>`, 2);
      await command(`RCPT TO:<${load.recipientFor ? load.recipientFor(k) : load.to}>`, 2);
      await command('DATA', 3);
      socket.write(load.body);
      const dot = performance.now();
      socket.write('.\r\n');
      const r = await replies.next();
      if (r.code !== 250) throw new Error(r.text);
      out.samples.push(performance.now() - dot);
    } catch {
      out.failures++;
      await command('RSET', 2).catch(() => undefined);
    }
  }
  socket.end('QUIT\r\n');
}

export async function measureLatency(load: LatencyLoad): Promise<LatencyResult> {
  const out: LatencyResult = { samples: [], failures: 0, ms: 0 };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: load.sessions }, (_, i) => session(load, i, t0, out)));
  out.ms = performance.now() - t0;
  return out;
}

/** What the netns harness tests share: JSON lines of a child's stdout, waiting for a condition, arrivals per window. */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One JSON object per stdout line of a process, handed to `each`. */
export function lines(child: ChildProcess, each: (ev: Record<string, unknown>) => void): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    try {
      each(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not ours */
    }
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, timeoutMs: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Waits until `done`, as long as `progress` keeps changing: fails only when it stood still for
 * `stallMs` (a loaded machine is slow, a stuck one stops). Returns without throwing; the caller checks.
 */
export async function untilProgressStops(stallMs: number, progress: () => number, done: () => boolean): Promise<void> {
  let last = progress();
  let movedAt = Date.now();
  while (!done()) {
    await sleep(200);
    const now = progress();
    if (now !== last) [last, movedAt] = [now, Date.now()];
    else if (Date.now() - movedAt > stallMs) return;
  }
}

/**
 * After the load: waits (while arrivals go on, see untilProgressStops) until every message that
 * got 250 arrived, then says which did not and which arrived more than once (with the times).
 */
export async function settleArrivals(
  replies: Map<number, { code: number }>,
  arrived: Array<{ n: number; at: number }>,
  stallMs: number,
): Promise<{ accepted: number[]; missing: number[]; twice: Array<[number, number[]]> }> {
  const accepted = [...replies].filter(([, r]) => r.code === 250).map(([n]) => n);
  await untilProgressStops(stallMs, () => arrived.length, () => accepted.every((n) => arrived.some((a) => a.n === n)));
  const missing = accepted.filter((n) => !arrived.some((a) => a.n === n));
  const copies = new Map<number, number[]>();
  for (const a of arrived) copies.set(a.n, [...(copies.get(a.n) ?? []), a.at]);
  return { accepted, missing, twice: [...copies].filter(([, at]) => at.length > 1) };
}

/**
 * The most messages from one source address that arrived within any window of `windowMs`
 * (receiver's clock), per address.
 */
export function maxInWindow(arrivals: Array<{ from: string; at: number }>, windowMs: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const from of new Set(arrivals.map((a) => a.from))) {
    const at = arrivals.filter((a) => a.from === from).map((a) => a.at).sort((x, y) => x - y);
    let best = 0;
    for (let i = 0, j = 0; j < at.length; j++) {
      while (at[j]! - at[i]! >= windowMs) i++;
      best = Math.max(best, j - i + 1);
    }
    out.set(from, best);
  }
  return out;
}

/**
 * The harness's vmta.conf: loads from `subnet` may relay and pick their VMTA (X-Virtual-MTA);
 * mta1 sends from `d1`, mta2 from `d2`; every domain goes to the receiver, with `domain` lines
 * added to <domain *>; the listener on `listen` (0/0:2525), the receiver on port `rcvPort` (2525).
 */
export function haConfig(o: { subnet: string; d1: string; d2: string; rcv: string; domain: string[]; listen?: string; rcvPort?: number }): string {
  return `
host-name mta.ha.test
smtp-listener ${o.listen ?? '0/0:2525'}
<source ${o.subnet}>
  always-allow-relaying yes
  process-x-virtual-mta yes
</source>
<virtual-mta mta1>
  smtp-source-host ${o.d1} mta1.ha.test
</virtual-mta>
<virtual-mta mta2>
  smtp-source-host ${o.d2} mta2.ha.test
</virtual-mta>
<domain *>
  smtp-hosts [${o.rcv}]:${o.rcvPort ?? 2525}
${o.domain.map((l) => `  ${l}`).join('\n')}
</domain>
`;
}

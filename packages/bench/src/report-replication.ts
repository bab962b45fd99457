/** §8 of BENCHMARKS.md: the cost of WAIT with a replica, at the listener and per new delivery connection. */
import { n0, n1, n2, type Stamp } from './report-format.js';
import { median } from './runs.js';
import { WAIT_AT, type ReplicationLoad, type ReplicationResult, type ReplicationVariant, type WaitAt } from './scenarios/replication.js';

export const REPLICATION_TITLE = '## 8. The cost of WAIT with a replica (listener 250 and delivery leases)';

const LOADS: Record<ReplicationLoad, string> = {
  reused: 'one domain, reused sessions',
  'many-domains': 'one message per domain',
};
const WAIT_LABEL: Record<WaitAt, string> = { none: 'none', listener: 'listener', both: 'listener + delivery' };

/** Figures written before session 10 had no load, a boolean wait and no delivery: read as the reused load, listener only. */
type Stored = Partial<ReplicationVariant> & { wait?: boolean };
const loadOf = (v: Stored): ReplicationLoad => v.load ?? 'reused';
const waitOf = (v: Stored): WaitAt => v.waitAt ?? (v.wait ? 'listener' : 'none');

export function renderReplication(r: ReplicationResult & Stamp): string {
  const runs = r.runs as Stored[];
  const med = (load: ReplicationLoad, wait: WaitAt, pick: (v: Stored) => number | undefined) =>
    median(runs.filter((v) => loadOf(v) === load && waitOf(v) === wait).map((v) => pick(v) ?? Number.NaN));
  const loads = (Object.keys(LOADS) as ReplicationLoad[]).filter((l) => runs.some((v) => loadOf(v) === l));
  const summary = loads.flatMap((load) =>
    WAIT_AT.filter((w) => runs.some((v) => loadOf(v) === load && waitOf(v) === w)).map(
      (w) => `| ${LOADS[load]} | ${WAIT_LABEL[w]} | ${n0(med(load, w, (v) => v.msgPerSec))} | ${n0(med(load, w, (v) => v.endToEndPerSec))} | ${n1(med(load, w, (v) => v.dotTo250P50Ms))} | ${n2(med(load, w, (v) => v.waitsPerMsg))} |`,
    ),
  );
  return [
    REPLICATION_TITLE,
    '',
    `A Redis primary (appendfsync ${r.fsync}) and a replica on loopback; one listener and one delivery process to smtp-sink; ${r.messages} messages of ${r.size} B over ${r.sessions} reused client sessions per run. ` +
      'Each load runs three ways, alternating, each on a fresh key prefix: "none" is REDIS_URL without WAIT; "listener" gives the listener `?wait-replicas=1` (each message is written held, Redis WAITs for the replica, then the message is released and the client gets 250); "listener + delivery" gives both processes that URL, as an operator deploys it (the default for a Sentinel set): delivery then also WAITs once per VMTA lease, that is before each new connection opens. ' +
      'Loads: one domain over reused sessions (delivery keeps few connections, so few leases), and one message per domain (each domain is its own queue: one lease, so one delivery WAIT, per message). ' +
      'Columns: accepted msg/s and dot→250 at the client (the listener shares the machine with delivery, so this is lower than a listener alone); end to end is the first message sent to the last one at the sink; WAIT/msg counts WAIT commands at the primary per message (INFO commandstats: about 1 from the listener, plus 1 per lease from delivery). ' +
      `Medians over the runs below; differences smaller than the spread between runs of the same kind are noise (the machine is shared: see the load average). Ran ${r.ranAt}, load average ${r.loadAvgAtStart.join(' ')}.`,
    '',
    '| load | WAIT | accepted msg/s | end to end msg/s | dot→250 p50 (ms) | WAIT/msg |',
    '|---|---|---:|---:|---:|---:|',
    ...summary,
    '',
    '| run | load | WAIT | accepted msg/s | end to end msg/s | dot→250 p50 (ms) | p99 (ms) | WAIT/msg | at sink | failures |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.map(
      (v, i) =>
        `| ${i + 1} | ${LOADS[loadOf(v)]} | ${WAIT_LABEL[waitOf(v)]} | ${n0(v.msgPerSec)} | ${n0(v.endToEndPerSec)} | ${n1(v.dotTo250P50Ms)} | ${n1(v.dotTo250P99Ms)} | ${n2(v.waitsPerMsg)} | ${n0(v.arrived)} | ${v.failures ?? '–'} |`,
    ),
  ].join('\n');
}

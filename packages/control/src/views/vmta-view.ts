/**
 * `vmta show vmtas` and GET /vmtas: one row per VMTA (and per pool) of the
 * configuration with its queues, recipients, connections out and the alive
 * processes serving it.
 */
import type { VmtaConfig } from '@vmta/config';
import { listProcesses, type ProcessRow } from '@vmta/queue';
import type { Cluster } from '../cluster.js';
import { queueRows } from './cluster-view.js';

export interface VmtaDefinition {
  name: string;
  kind: 'vmta' | 'pool';
  /** A pool's member VMTAs; [] for a VMTA. */
  members: string[];
  /** `smtp-source-host` lines as "ADDRESS EHLO-NAME" (the VMTA's `host-name` replacing the name when set); a pool lists its members'. */
  sourceHosts: string[];
}

export interface VmtaRow extends VmtaDefinition {
  /** Queues of the VMTA (of its members, for a pool) holding mail. */
  queues: number;
  /** Recipients not yet final. */
  queued: number;
  /** Messages held by a connection right now. */
  inflight: number;
  /** Live connection leases of the VMTA (its members, for a pool) across the cluster. */
  connectionsOut: number;
  /** Ids of the alive processes delivering for it. */
  servedBy: string[];
}

/** VMTAs then pools of a configuration, in file order. Pure. */
export function vmtaDefinitions(config: Pick<VmtaConfig, 'vmtas' | 'pools'>): VmtaDefinition[] {
  const vmtas = Object.values(config.vmtas).map((v): VmtaDefinition => {
    const override = v.settings['host-name'] ?? undefined;
    const sourceHosts = (v.settings['smtp-source-host'] ?? []).map((h) => `${h.cidr.text} ${override ?? h.hostName}`);
    return { name: v.name, kind: 'vmta', members: [], sourceHosts };
  });
  const byName = new Map(vmtas.map((v) => [v.name.toLowerCase(), v]));
  const pools = Object.values(config.pools).map((p): VmtaDefinition => {
    const members = [...(p.settings['virtual-mta'] ?? [])];
    const sourceHosts = members.flatMap((m) => byName.get(m.toLowerCase())?.sourceHosts ?? []);
    return { name: p.name, kind: 'pool', members, sourceHosts };
  });
  return [...vmtas, ...pools];
}

interface Figures {
  queues: number;
  queued: number;
  inflight: number;
}

/**
 * The rows for these definitions, figures from Redis. A VMTA that holds mail
 * but is not (or no longer) in the configuration gets a row too, without
 * source hosts. One MULTI per queue (as `show queues`) and one pipeline for
 * the connection counts.
 */
export async function vmtaRows(
  cluster: Cluster,
  definitions: readonly VmtaDefinition[],
  processes: readonly ProcessRow[],
  now = Date.now(),
): Promise<VmtaRow[]> {
  const { redis, keys } = cluster;
  const figures = new Map<string, Figures & { name: string }>();
  for (const q of await queueRows(cluster, now)) {
    const key = q.vmta.toLowerCase();
    const f = figures.get(key) ?? { name: q.vmta, queues: 0, queued: 0, inflight: 0 };
    if (q.queued > 0 || q.inflight > 0) f.queues += 1;
    f.queued += q.queued;
    f.inflight += q.inflight;
    figures.set(key, f);
  }
  const known = new Set(definitions.filter((d) => d.kind === 'vmta').map((d) => d.name.toLowerCase()));
  const extra: VmtaDefinition[] = [...figures.entries()]
    .filter(([key, f]) => !known.has(key) && (f.queued > 0 || f.inflight > 0))
    .map(([, f]) => ({ name: f.name, kind: 'vmta', members: [], sourceHosts: [] }));
  const all = [...definitions, ...extra];
  // Lease keys carry the name as queues spell it (the configuration's spelling); rows match case-insensitively.
  const spelled = new Map<string, string>();
  for (const n of all.flatMap((d) => (d.kind === 'vmta' ? [d.name] : d.members))) if (!spelled.has(n.toLowerCase())) spelled.set(n.toLowerCase(), n);
  const vmtaNames = [...spelled.keys()];
  const pipeline = redis.pipeline();
  for (const name of vmtaNames) pipeline.zcount(keys.vmtaConnections(spelled.get(name)!), `(${now}`, '+inf');
  const counted = (await pipeline.exec()) ?? [];
  const connections = new Map(vmtaNames.map((name, i) => [name, Number(counted[i]?.[1] ?? 0)]));
  const alive = processes.filter((p) => p.alive);
  return all.map((d) => {
    const names = (d.kind === 'vmta' ? [d.name] : d.members).map((n) => n.toLowerCase());
    const sum = (pick: (f: Figures) => number) => names.reduce((n, name) => n + pick(figures.get(name) ?? { queues: 0, queued: 0, inflight: 0 }), 0);
    return {
      ...d,
      queues: sum((f) => f.queues),
      queued: sum((f) => f.queued),
      inflight: sum((f) => f.inflight),
      connectionsOut: names.reduce((n, name) => n + (connections.get(name) ?? 0), 0),
      servedBy: alive.filter((p) => p.vmtas.some((v) => names.includes(v.toLowerCase()))).map((p) => p.id),
    };
  });
}

/** The rows of a configuration's VMTAs and pools, with the processes registered now: what `vmta show vmtas --json` prints. */
export async function vmtaView(cluster: Cluster, config: Pick<VmtaConfig, 'vmtas' | 'pools'>, now = Date.now()): Promise<VmtaRow[]> {
  const processes = await listProcesses(cluster.redis, cluster.keys, { now });
  return vmtaRows(cluster, vmtaDefinitions(config), processes, now);
}

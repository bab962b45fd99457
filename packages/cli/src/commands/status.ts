/** `vmta show status [--json]`: the processes of the cluster, its totals and per-minute rates, the number of queues. */
import { parseArgs } from 'node:util';
import { clusterStatus, type ClusterStatus, type Totals } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { formatDuration, renderTable } from './table.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta show status [--json]';

export async function showStatus(args: string[]): Promise<number> {
  let json: boolean | undefined;
  try {
    json = parseArgs({ args, options: { json: { type: 'boolean' }, config: { type: 'string' } } }).values.json;
  } catch (err) {
    process.stderr.write(`vmta show status: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const status = await clusterStatus(cluster);
    process.stdout.write(json ? `${JSON.stringify(status, null, 2)}\n` : `${statusText(status, Date.now()).join('\n')}\n`);
    return EXIT.ok;
  });
}

/** Whether listeners set to body-compression zstd (the default) write zstd now. Pure. */
export function zstdLine(status: Pick<ClusterStatus, 'zstdReaders'>): string {
  const z = status.zstdReaders;
  if (z.allowed) return 'zstd bodies: every alive delivery process reads them (listeners set to zstd write zstd)';
  if (z.notReading.length === 0) return 'zstd bodies: no delivery process alive to read them (listeners write deflate)';
  return `zstd bodies: listeners write deflate: ${z.notReading.join(', ')} do not read zstd`;
}

/** The human form of the status. Pure. */
export function statusText(status: ClusterStatus, now: number): string[] {
  const counts = (label: string, t: Totals) => [label, ...[t.received, t.delivered, t.bounced, t.deferred].map(String)];
  const alive = status.processes.filter((p) => p.alive).length;
  const lines = [
    `queues: ${status.queues}   processes: ${alive} alive${status.processes.length > alive ? `, ${status.processes.length - alive} not responding` : ''}`,
    '',
    ...renderTable(
      [
        ['RECIPIENTS', 'RECEIVED', 'DELIVERED', 'BOUNCED', 'DEFERRED'],
        counts('total', status.totals),
        counts('last minute', status.perMinute),
        counts('per minute (5 min)', status.perMinute5),
      ],
      [1, 2, 3, 4],
    ),
    '',
  ];
  if (status.processes.length === 0) return [...lines, 'no vmta process is registered (none running, or all older than this version)'];
  lines.push(zstdLine(status), '');
  const rows = status.processes.map((p) => [
    p.id,
    p.role,
    p.host,
    String(p.pid),
    p.alive ? 'yes' : 'NO',
    formatDuration(p.uptimeSeconds),
    `${formatDuration((now - Date.parse(p.lastSeen)) / 1000)} ago`,
    p.vmtas.join(',') || '-',
    p.listeners.join(',') || '-',
  ]);
  return [...lines, ...renderTable([['PROCESS', 'ROLE', 'HOST', 'PID', 'ALIVE', 'UPTIME', 'LAST SEEN', 'VMTAS', 'LISTENERS'], ...rows], [3, 5])];
}

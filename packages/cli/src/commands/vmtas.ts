/** `vmta show vmtas [--json] [--config FILE]`: every VMTA and pool of the configuration with its queues, connections and serving processes. */
import { parseArgs } from 'node:util';
import { checkConfigFile, formatDiagnostic } from '@vmta/config';
import { vmtaView, type VmtaRow } from '@vmta/control';
import { clusterConfigPath } from '../config-path.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from './table.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta show vmtas [--json] [--config FILE]';

export async function showVmtas(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { json: { type: 'boolean' }, config: { type: 'string', short: 'c' } } }).values;
  } catch (err) {
    process.stderr.write(`vmta show vmtas: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const file = await clusterConfigPath(values.config);
  const checked = checkConfigFile(file);
  if (!checked.config) {
    for (const e of checked.errors) process.stderr.write(`${formatDiagnostic(e)}\n`);
    return EXIT.configInvalid;
  }
  const config = checked.config;
  return withCluster(async (cluster) => {
    const rows = await vmtaView(cluster, config);
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : `${vmtasText(rows).join('\n')}\n`);
    return EXIT.ok;
  });
}

/** The human form: one line per VMTA or pool. Pure. */
export function vmtasText(rows: readonly VmtaRow[]): string[] {
  const cells = rows.map((r) => [
    r.name,
    r.kind === 'pool' ? `pool(${r.members.join(',')})` : 'vmta',
    r.sourceHosts.join(', ') || '-',
    String(r.queues),
    String(r.queued),
    String(r.inflight),
    String(r.connectionsOut),
    r.servedBy.join(',') || '-',
  ]);
  return renderTable([['VMTA', 'KIND', 'SOURCE HOSTS', 'QUEUES', 'QUEUED', 'INFLIGHT', 'CONNS', 'SERVED BY'], ...cells], [3, 4, 5, 6]);
}

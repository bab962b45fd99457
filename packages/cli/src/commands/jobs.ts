/** `vmta show jobs [--json]`, `vmta pause|resume job ID`: jobs (X-Job) across the cluster, through Redis. */
import { parseArgs } from 'node:util';
import { jobModeActions, jobsView, type JobModeAction } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';
import { renderTable } from './table.js';

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '-');

export async function showJobs(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, config: { type: 'string' } } });
  return withCluster(async (cluster) => {
    const jobs = await jobsView(cluster);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(jobs.map((j) => ({ ...j, firstSeen: iso(j.firstSeen), lastSeen: iso(j.lastSeen) })), null, 2)}\n`);
      return EXIT.ok;
    }
    const rows = [['JOB', 'QUEUED', 'DELIVERED', 'BOUNCED', 'STATE', 'FIRST SEEN', 'LAST SEEN']].concat(
      jobs.map((j) => [j.job, String(j.queued), String(j.delivered), String(j.bounced), j.paused ? 'paused' : 'normal', iso(j.firstSeen), iso(j.lastSeen)]),
    );
    for (const line of renderTable(rows, [1, 2, 3])) process.stdout.write(`${line}\n`);
    return EXIT.ok;
  });
}

export async function jobAction(action: JobModeAction, args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string' } } });
  const [, job] = positionals;
  if (!job || positionals.length !== 2) {
    process.stderr.write(`usage: vmta ${action} job ID\n`);
    return EXIT.usage;
  }
  return withCluster(async (cluster) => {
    const result = await jobModeActions[action](cluster, job);
    process.stdout.write(`job ${result.job}: ${result.paused ? 'paused' : 'resumed'}\n`);
    return EXIT.ok;
  });
}

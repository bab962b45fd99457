/**
 * `vmta show unparsed-reports [--limit N] [--json]` and `vmta show unparsed-reports --raw ID`: the mail
 * the feedback loop and bounce processors kept because it was not a report (views/unparsed-reports.ts
 * in @vmta/control), newest first; --raw writes one kept message byte for byte to stdout.
 */
import { parseArgs } from 'node:util';
import { unparsedReportRaw, unparsedReports, type UnparsedReportsView } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { renderTable } from './table.js';
import { withCluster } from '../with-cluster.js';

const USAGE = 'usage: vmta show unparsed-reports [--limit N] [--json]\n       vmta show unparsed-reports --raw ID';

function usageError(message: string): number {
  process.stderr.write(`vmta show unparsed-reports: ${message}\n${USAGE}\n`);
  return EXIT.usage;
}

/** The human form: how many are kept, then one line per message. Pure. */
export function unparsedReportsText(view: UnparsedReportsView): string[] {
  const head = `${view.kept} kept${view.kept > view.reports.length ? ` (the newest ${view.reports.length} shown)` : ''}`;
  if (view.reports.length === 0) return [head];
  const cells = view.reports.map((r) => [r.id, r.at, r.kind, r.mailFrom || '<>', r.rcpt, String(r.bytes), r.reason, r.subject ?? '']);
  return [head, ...renderTable([['ID', 'AT', 'KIND', 'FROM', 'TO', 'BYTES', 'WHY', 'SUBJECT'], ...cells])];
}

export async function showUnparsedReports(args: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args, options: { limit: { type: 'string' }, json: { type: 'boolean' }, raw: { type: 'string' } } }).values;
  } catch (err) {
    return usageError((err as Error).message);
  }
  const limit = values.limit !== undefined ? Number(values.limit) : 50;
  if (!Number.isInteger(limit) || limit <= 0) return usageError('--limit: a positive integer');
  return withCluster(async (cluster) => {
    if (values.raw !== undefined) {
      const raw = await unparsedReportRaw(cluster, values.raw);
      if (!raw) {
        process.stderr.write(`vmta show unparsed-reports: no kept message ${values.raw} (exit 1)\n`);
        return EXIT.configInvalid;
      }
      process.stdout.write(raw);
      return EXIT.ok;
    }
    const view = await unparsedReports(cluster, limit);
    process.stdout.write(values.json ? `${JSON.stringify(view, null, 2)}\n` : `${unparsedReportsText(view).join('\n')}\n`);
    return EXIT.ok;
  });
}

/**
 * `vmta suppress add|remove|show|export|import`: the suppression store (actions in @vmta/control).
 * --tenant names a store as the listener computes it (user:NAME, source:NAME); without it, `*`,
 * the global store every tenant is checked against.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseTimeInterval } from '@vmta/config';
import { parseSuppressImport, suppressAdd, suppressCounts, suppressExport, suppressRemove, suppressShow, SuppressImportError, type SuppressImport } from '@vmta/control';
import { EXIT } from '../exit-codes.js';
import { withCluster } from '../with-cluster.js';

const USAGE = [
  'usage: vmta suppress add ADDRESS... [--tenant T] [--reason R] [--expire 30d]',
  '       vmta suppress import FILE [--tenant T] [--reason R] [--expire 30d]   (one address a line, or CSV with a header row naming an email/address/recipient column)',
  '       vmta suppress remove ADDRESS... [--tenant T]',
  '       vmta suppress show [--tenant T] [--limit N] [--json]   (no --tenant: the stores and their sizes)',
  '       vmta suppress export [--tenant T]   (CSV on stdout)',
].join('\n');

const OPTIONS = {
  tenant: { type: 'string' },
  reason: { type: 'string' },
  expire: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

const MAX_PROBLEMS_SHOWN = 50;

function usageError(message: string): number {
  process.stderr.write(`vmta suppress: ${message}\n${USAGE}\n`);
  return EXIT.usage;
}

export async function suppressCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  let parsed;
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    return usageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const tenant = values.tenant;
  let ttlMs = 0;
  try {
    if (values.expire !== undefined) ttlMs = parseTimeInterval(values.expire);
  } catch (err) {
    return usageError(`--expire: ${(err as Error).message}`);
  }
  switch (what) {
    case 'add':
    case 'import': {
      const file = positionals[0] ?? '';
      let parsed: SuppressImport;
      try {
        parsed = parseSuppressImport(what === 'import' ? await readFile(file, 'utf8') : positionals.join('\n'));
      } catch (err) {
        if (err instanceof SuppressImportError) return usageError(`${file}: ${err.message}`);
        return usageError((err as Error).message);
      }
      const { addresses, problems } = parsed;
      // Every bad row by its line (an import), up to a screenful; the good rows are still added.
      for (const p of problems.slice(0, MAX_PROBLEMS_SHOWN)) process.stderr.write(`vmta suppress: ${what === 'import' ? `${file}:${p.line}: ` : ''}${p.message}, skipped\n`);
      if (problems.length > MAX_PROBLEMS_SHOWN) process.stderr.write(`vmta suppress: ${problems.length - MAX_PROBLEMS_SHOWN} more skipped (${problems.length} in all)\n`);
      if (addresses.length === 0) return usageError(what === 'import' ? `${file}: no address to import` : 'no address given');
      return withCluster(async (cluster) => {
        const r = await suppressAdd(cluster, tenant, addresses, { ...(values.reason ? { reason: values.reason } : {}), ttlMs });
        process.stdout.write(`${r.tenant}: ${r.changed} added, ${r.requested - r.changed} already there (updated)\n`);
        return EXIT.ok;
      });
    }
    case 'remove':
      if (positionals.length === 0) return usageError('no address given');
      return withCluster(async (cluster) => {
        const r = await suppressRemove(cluster, tenant, positionals);
        process.stdout.write(`${r.tenant}: ${r.changed} removed, ${r.requested - r.changed} not there\n`);
        return EXIT.ok;
      });
    case 'show':
      if (values.limit !== undefined && !/^[1-9]\d*$/.test(values.limit)) return usageError(`--limit: a positive whole number, not ${JSON.stringify(values.limit)}`);
      return withCluster(async (cluster) => {
        if (tenant === undefined) {
          const counts = await suppressCounts(cluster);
          if (values.json) process.stdout.write(`${JSON.stringify(counts)}\n`);
          else if (counts.length === 0) process.stdout.write('no suppression store\n');
          else for (const c of counts) process.stdout.write(`${c.tenant}\t${c.entries}\n`);
          return EXIT.ok;
        }
        const shown = await suppressShow(cluster, tenant, values.limit !== undefined ? Number(values.limit) : 100);
        if (values.json) process.stdout.write(`${JSON.stringify(shown)}\n`);
        else {
          for (const s of shown.entries) {
            process.stdout.write(`${s.address}\t${s.reason}\t${new Date(s.addedMs).toISOString()}\t${s.expiresMs ? `expires ${new Date(s.expiresMs).toISOString()}` : 'never expires'}${s.queue ? `\t${s.queue}` : ''}\n`);
          }
          if (shown.truncated) process.stdout.write(`... more (use --limit or export)\n`);
        }
        return EXIT.ok;
      });
    case 'export':
      return withCluster(async (cluster) => {
        const n = await suppressExport(cluster, tenant, (chunk) => new Promise<void>((resolve) => (process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', resolve))));
        process.stderr.write(`${n} entries\n`);
        return EXIT.ok;
      });
    default:
      return usageError(`unknown action ${JSON.stringify(what ?? '')}`);
  }
}

/** `vmta show ...`: what the cluster and the configuration say. */
import { parseArgs } from 'node:util';
import { directiveDef, domainPolicy, findVmtaOrPool, formatDiagnostic, checkConfigFile, formatValue, DEFAULT_VMTA, type ValueTypeName } from '@vmta/config';
import { clusterConfigPath } from '../config-path.js';
import { showJobs } from './jobs.js';
import { showMessages } from './messages.js';
import { showQueues, showTopDomains } from './queues.js';
import { showStatus } from './status.js';
import { showVmtas } from './vmtas.js';
import { showDisabledSources } from './sources.js';
import { showUnparsedReports } from './unparsed-reports.js';
import { EXIT } from '../exit-codes.js';
import { queueNameProblem } from '../queue-arg.js';

const USAGE = [
  'usage: vmta show settings DOMAIN/VMTA [--json] [--config FILE]',
  '       vmta show queues | topqueues [--json] [--domain D] [--vmta V] [--maxitems N] [DOMAIN[/VMTA]]',
  '       vmta show topdomains [--json] [--vmta V] [--maxitems N]',
  '       vmta show jobs [--json]',
  '       vmta show messages --queue DOMAIN/VMTA [--limit N] [--json]',
  '       vmta show status [--json]',
  '       vmta show vmtas [--json] [--config FILE]',
  '       vmta show disabled-sources | disabled sources [--json]',
  '       vmta show unparsed-reports [--limit N] [--json] | --raw ID',
].join('\n');

export async function showCommand(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'settings') return showSettings(rest);
  // topqueues, topdomains, domains and "disabled sources": PowerMTA's names (queues come biggest first anyway)
  if (what === 'queues' || what === 'topqueues') return showQueues(rest);
  if (what === 'topdomains' || what === 'domains') return showTopDomains(rest);
  if (what === 'jobs') return showJobs(rest);
  if (what === 'messages') return showMessages(rest);
  if (what === 'status') return showStatus(rest);
  if (what === 'vmtas') return showVmtas(rest);
  if (what === 'disabled-sources') return showDisabledSources(rest);
  if (what === 'disabled' && rest[0] === 'sources') return showDisabledSources(rest.slice(1));
  if (what === 'unparsed-reports') return showUnparsedReports(rest);
  process.stderr.write(`vmta show: unknown subject ${JSON.stringify(what ?? '')}\n${USAGE}\n`);
  return EXIT.usage;
}

async function showSettings(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean' } } });
  } catch (err) {
    process.stderr.write(`vmta show settings: ${(err as Error).message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const queue = parsed.positionals[0];
  const slash = queue?.lastIndexOf('/') ?? -1;
  if (!queue || parsed.positionals.length !== 1 || slash <= 0) {
    process.stderr.write(`vmta show settings: give one queue as DOMAIN/VMTA, e.g. example.com/mta1\n${USAGE}\n`);
    return EXIT.usage;
  }
  // DOMAIN/ is the queue of the default VMTA.
  const problem = queueNameProblem(slash === queue.length - 1 ? `${queue}${DEFAULT_VMTA}` : queue);
  if (problem) {
    process.stderr.write(`vmta show settings: ${problem}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const domain = queue.slice(0, slash);
  const vmta = queue.slice(slash + 1) || DEFAULT_VMTA;
  const file = await clusterConfigPath(parsed.values.config);
  const checked = checkConfigFile(file);
  if (!checked.config) {
    for (const e of checked.errors) process.stderr.write(`${formatDiagnostic(e)}\n`);
    return EXIT.configInvalid;
  }
  const config = checked.config;
  const target = findVmtaOrPool(config, vmta);
  if (vmta !== DEFAULT_VMTA && target?.kind !== 'vmta') {
    process.stderr.write(`vmta show settings: ${vmta} is ${target ? 'a pool, not a virtual MTA' : 'not a virtual MTA of ' + file}\n`);
    return EXIT.configInvalid;
  }
  const resolved = domainPolicy(config, domain, vmta);
  const rows = Object.keys(resolved.settings)
    .sort()
    .map((name) => {
      const type = directiveDef('domain', name)!.type as ValueTypeName;
      const value = (resolved.settings as Record<string, unknown>)[name];
      const origin = resolved.origins[name];
      return { directive: name, value: formatValue(type, value as never), from: origin && origin.line > 0 ? `${origin.file}:${origin.line}` : 'default' };
    });
  if (parsed.values.json) {
    process.stdout.write(`${JSON.stringify({ queue: `${domain}/${vmta}`, domain, vmta, settings: rows }, null, 2)}\n`);
    return EXIT.ok;
  }
  const w1 = Math.max(...rows.map((r) => r.directive.length));
  const w2 = Math.min(40, Math.max(...rows.map((r) => r.value.length)));
  process.stdout.write(`${domain}/${vmta}  (stanzas applied: ${resolved.applied.join(', ') || 'none'})\n`);
  for (const r of rows) process.stdout.write(`  ${r.directive.padEnd(w1)}  ${r.value.padEnd(w2)}  ${r.from}\n`);
  return EXIT.ok;
}

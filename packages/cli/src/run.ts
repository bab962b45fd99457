/** Command dispatch. Each command lives in its own module under commands/. */
import { EXIT } from './exit-codes.js';
import { checkCommand } from './commands/check.js';
import { deleteCommand } from './commands/delete.js';
import { schemaCommand } from './commands/schema.js';
import { jobAction } from './commands/jobs.js';
import { queueAction } from './commands/queues.js';
import { reloadCommand } from './commands/reload.js';
import { setCommand } from './commands/set.js';
import { showCommand } from './commands/show.js';
import { sourceCommand } from './commands/sources.js';
import { startCommand } from './commands/start.js';
import { suppressCommand } from './commands/suppress.js';
import { eventsCommand } from './commands/events.js';
import { versionCommand } from './commands/version.js';

export type Command = (args: string[]) => Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  check: { run: checkCommand, help: 'check [FILE | --config FILE] [--dns [--json]]   validate a configuration and print a summary; --dns: check PTR, DKIM, SPF, DMARC records' },
  start: { run: startCommand, help: 'start [--role all|listener|delivery] [--config FILE]   run the MTA' },
  pause: { run: (a) => (a[0] === 'job' ? jobAction('pause', a) : queueAction('pause', a)), help: 'pause queue DOMAIN[/VMTA] | job ID   hold the mail of a queue (*/mta1 allowed) or of one job' },
  resume: { run: (a) => (a[0] === 'job' ? jobAction('resume', a) : queueAction('resume', a)), help: 'resume queue DOMAIN[/VMTA] | job ID   release a paused queue or job' },
  retry: { run: (a) => queueAction('retry', a), help: 'retry queue DOMAIN[/VMTA]   leave retry mode now' },
  // PowerMTA's `pmta schedule domain[/vmta]`: the same as retry queue
  schedule: { run: (a) => queueAction('retry', a[0] === 'queue' ? a : ['queue', ...a]), help: 'schedule DOMAIN[/VMTA]   the same as retry queue (PowerMTA\'s name)' },
  set: { run: setCommand, help: 'set queue --mode=backoff|normal DOMAIN/VMTA   put a queue into backoff mode (backoff-* limits) or back to normal' },
  disable: { run: (a) => sourceCommand('disable', a), help: 'disable source IP [DOMAIN/VMTA]   stop using a source IP for a queue (none: every queue), on every host' },
  enable: { run: (a) => sourceCommand('enable', a), help: 'enable source IP [DOMAIN/VMTA]   use a disabled source IP again (no queue: for every queue)' },
  reload: { run: reloadCommand, help: 'reload   every running process re-reads its configuration (SIGHUP does it for one)' },
  delete: { run: deleteCommand, help: 'delete [--queue Q] [--job ID] [--orig A|/re/] [--rcpt A|/re/] [--older-than T] [--dsn]   delete mail (*/mta1 allowed); --dsn tells the senders' },
  show: {
    run: showCommand,
    help: 'show settings DOMAIN/VMTA | queues | topdomains | status | vmtas | disabled-sources [--json]   effective policy of a queue; queues, recipient domains, processes and rates, VMTAs, disabled source IPs of the cluster',
  },
  suppress: {
    run: suppressCommand,
    help: 'suppress add|remove|show|export|import [--tenant T]   the suppression store: refused recipients per tenant (user:NAME, source:NAME; * = all)',
  },
  events: {
    run: eventsCommand,
    help: 'events tail [--from ID|TIME] [--type d,b,s] [--count N] [--follow] [--json]   the event stream (accounting records and suppressions), oldest first',
  },
  schema: { run: schemaCommand, help: 'schema   print the configuration JSON Schema' },
  version: { run: versionCommand, help: 'version   print the version of vmta (also --version)' },
};

/** Other names a shell user tries first. */
const aliases: Record<string, string> = { '--version': 'version', '-V': 'version' };

export function usage(): string {
  return ['usage: vmta <command> [options]', '', ...Object.values(commands).map((c) => `  ${c.help}`)].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = commands[aliases[name] ?? name];
  if (!command) {
    process.stderr.write(`vmta: unknown command "${name}"\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    // node:util parseArgs refuses an unknown option, a missing value or a stray argument: the operator's input.
    if (!isParseArgsError(err)) throw err;
    process.stderr.write(`vmta ${name}: ${err.message}\nusage: vmta ${command.help}\n`);
    return EXIT.usage;
  }
}

function isParseArgsError(err: unknown): err is Error {
  return err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
}

/**
 * Command dispatch. Each command lives in its own module under commands/, loaded only when that command
 * runs: a `vmta start --role listener` process then holds no code of the operator commands (nor of what
 * they import: control, mailparser, ...) in its heap, which every full GC would mark.
 */
import { EXIT } from './exit-codes.js';

export type Command = (args: string[]) => Promise<number>;

/** A command's code, imported on first use. */
type Loader = () => Promise<Command>;

const check: Loader = async () => (await import('./commands/check.js')).checkCommand;
const start: Loader = async () => (await import('./commands/start.js')).startCommand;
/** pause/resume: of a job (`job ID`) or of a queue. */
const jobOrQueue =
  (action: 'pause' | 'resume'): Loader =>
  async () => {
    const [jobs, queues] = await Promise.all([import('./commands/jobs.js'), import('./commands/queues.js')]);
    return (a) => (a[0] === 'job' ? jobs.jobAction(action, a) : queues.queueAction(action, a));
  };
const sources =
  (action: 'disable' | 'enable'): Loader =>
  async () => {
    const { sourceCommand } = await import('./commands/sources.js');
    return (a) => sourceCommand(action, a);
  };
const retry =
  (toArgs: (a: string[]) => string[]): Loader =>
  async () => {
    const { queueAction } = await import('./commands/queues.js');
    return (a) => queueAction('retry', toArgs(a));
  };

const commands: Record<string, { load: Loader; help: string }> = {
  check: { load: check, help: 'check [FILE | --config FILE] [--dns [--json]]   validate a configuration and print a summary; --dns: check PTR, DKIM, SPF, DMARC records' },
  start: { load: start, help: 'start [--role all|listener|delivery] [--config FILE]   run the MTA' },
  pause: { load: jobOrQueue('pause'), help: 'pause queue DOMAIN[/VMTA] | job ID   hold the mail of a queue (*/mta1 allowed) or of one job' },
  resume: { load: jobOrQueue('resume'), help: 'resume queue DOMAIN[/VMTA] | job ID   release a paused queue or job' },
  retry: { load: retry((a) => a), help: 'retry queue DOMAIN[/VMTA]   leave retry mode now' },
  // PowerMTA's `pmta schedule domain[/vmta]`: the same as retry queue
  schedule: { load: retry((a) => (a[0] === 'queue' ? a : ['queue', ...a])), help: 'schedule DOMAIN[/VMTA]   the same as retry queue (PowerMTA\'s name)' },
  set: { load: async () => (await import('./commands/set.js')).setCommand, help: 'set queue --mode=backoff|normal DOMAIN/VMTA   put a queue into backoff mode (backoff-* limits) or back to normal' },
  disable: { load: sources('disable'), help: 'disable source IP [DOMAIN/VMTA]   stop using a source IP for a queue (none: every queue), on every host' },
  enable: { load: sources('enable'), help: 'enable source IP [DOMAIN/VMTA]   use a disabled source IP again (no queue: for every queue)' },
  reload: { load: async () => (await import('./commands/reload.js')).reloadCommand, help: 'reload   every running process re-reads its configuration (SIGHUP does it for one)' },
  delete: { load: async () => (await import('./commands/delete.js')).deleteCommand, help: 'delete [--queue Q] [--job ID] [--orig A|/re/] [--rcpt A|/re/] [--older-than T] [--dsn]   delete mail (*/mta1 allowed); --dsn tells the senders' },
  show: {
    load: async () => (await import('./commands/show.js')).showCommand,
    help: 'show settings DOMAIN/VMTA | queues | topdomains | status | vmtas | disabled-sources [--json]   effective policy of a queue; queues, recipient domains, processes and rates, VMTAs, disabled source IPs of the cluster',
  },
  suppress: {
    load: async () => (await import('./commands/suppress.js')).suppressCommand,
    help: 'suppress add|remove|show|export|import [--tenant T]   the suppression store: refused recipients per tenant (user:NAME, source:NAME; * = all)',
  },
  events: {
    load: async () => (await import('./commands/events.js')).eventsCommand,
    help: 'events tail [--from ID|TIME] [--type d,b,s] [--count N] [--follow] [--json]   the event stream (accounting records and suppressions), oldest first',
  },
  schema: { load: async () => (await import('./commands/schema.js')).schemaCommand, help: 'schema   print the configuration JSON Schema' },
  version: { load: async () => (await import('./commands/version.js')).versionCommand, help: 'version   print the version of vmta (also --version)' },
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
  let runCommand: Command;
  try {
    runCommand = await command.load();
  } catch (err) {
    // A broken install (a file missing from dist/, a dependency not installed): say which command and why.
    process.stderr.write(`vmta ${name}: cannot load the code of this command: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.software;
  }
  try {
    return await runCommand(rest);
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

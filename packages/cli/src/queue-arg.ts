/**
 * A queue named on the command line: PowerMTA's `domain/vmta` (`*` matches any run of characters; where a command
 * says so, a domain alone names its queues of every VMTA). Checked before Redis is asked anything, so a malformed
 * name is a usage error (exit 2) with the reason, not a queue that cannot exist, an empty answer or a change
 * recorded for nothing. Pure.
 */

/** Why `arg` is not a queue name (undefined when it is one). */
export function queueNameProblem(arg: string, o: { domainAlone?: boolean } = {}): string | undefined {
  const give = `give DOMAIN/VMTA${o.domainAlone ? ' or a DOMAIN' : ''}, e.g. example.com/mta1`;
  const parts = arg.split('/');
  if (parts.length > 2 || parts.some((p) => p === '') || (parts.length === 1 && !o.domainAlone)) return `${arg} is not a queue name: ${give}`;
  if (/[\s\x00-\x1f\x7f]/.test(arg)) return `${JSON.stringify(arg)} is not a queue name: it holds white space or a control character`;
  if (parts[0]!.includes('@')) return `${arg} is not a queue name: ${parts[0]} is an address, a queue names a domain (${give})`;
  return undefined;
}

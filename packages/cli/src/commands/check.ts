/** How diagnostics name a configuration read from standard input (`vmta check -`). */
export const STDIN_NAME = '<stdin>';

/** FILE, or `-` for standard input (includes then resolve against the working directory). */
function checkSource(file: string): CheckResult {
  if (file !== '-') return checkConfigFile(file);
  let text: string;
  try {
    text = readFileSync(0, 'utf8');
  } catch (err) {
    return { errors: [{ severity: 'error', code: 'CONFIG_INCLUDE', file: STDIN_NAME, line: 0, message: `cannot read ${STDIN_NAME}: ${(err as Error).message}` }], warnings: [] };
  }
  return checkConfigText(text, STDIN_NAME);
}

/** `vmta check FILE` (`-`: standard input): syntax and references, not host state; `--dns`: the records the world must see (see @vmta/delivery runDnsCheck). */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkConfigFile, checkConfigText, formatDiagnostic, summarize, type CheckResult } from '@vmta/config';
import { runDnsCheck, type DnsCheckReport } from '@vmta/delivery';
import { configPath } from '../config-path.js';
import { EXIT } from '../exit-codes.js';
import { renderTable } from './table.js';

/** The report for people: one table row per check, then the zone file lines to publish. */
export function formatDnsReport(report: DnsCheckReport): string[] {
  const lines = renderTable([['CHECK', 'SUBJECT', 'STATUS', 'DETAIL'], ...report.rows.map((r) => [r.check, r.subject, r.status.toUpperCase(), r.detail])]);
  const publish = report.rows.flatMap((r) => r.publish);
  if (publish.length > 0) lines.push('', 'publish (zone file lines):', ...publish.map((p) => `  ${p}`));
  const count = (s: string): number => report.rows.filter((r) => r.status === s).length;
  lines.push('', `${report.rows.length} checks: ${count('pass')} pass, ${count('fail')} fail, ${count('error')} error, ${count('skipped')} skipped`);
  return lines;
}

export async function checkCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { config: { type: 'string', short: 'c' }, dns: { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
  } catch (err) {
    process.stderr.write(`vmta check: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  if (parsed.positionals.length > 1 || (parsed.positionals.length === 1 && parsed.values.config)) {
    process.stderr.write('vmta check: give one file, either as an argument or with --config\n');
    return EXIT.usage;
  }
  if (parsed.values.json && !parsed.values.dns) {
    process.stderr.write('vmta check: --json goes with --dns\n');
    return EXIT.usage;
  }
  const file = parsed.positionals[0] ?? configPath(parsed.values.config);
  const result = checkSource(file);
  const name = file === '-' ? STDIN_NAME : file;
  if (!result.config) {
    for (const d of [...result.errors, ...result.warnings]) process.stdout.write(`${formatDiagnostic(d)}\n`);
    process.stdout.write(`${name}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}\n`);
    return EXIT.configInvalid;
  }
  if (!parsed.values.dns) {
    process.stdout.write(`${summarize(result.config)}\n`);
    return EXIT.ok;
  }
  const report = await runDnsCheck(result.config);
  if (parsed.values.json) process.stdout.write(`${JSON.stringify({ ok: report.ok, rows: report.rows }, null, 2)}\n`);
  else process.stdout.write(`${formatDnsReport(report).join('\n')}\n`);
  return report.ok ? EXIT.ok : EXIT.configInvalid;
}

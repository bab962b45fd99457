/** The one-screen summary `vmta check` prints for a valid configuration. */
import { formatDiagnostic } from './errors.js';
import type { VmtaConfig } from './model.js';

function list(items: string[], max = 6): string {
  if (items.length === 0) return '-';
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown}, ... (${items.length - max} more)` : shown;
}

function bodyCompressionLine(mode: string): string {
  return mode === 'zstd' ? 'zstd (deflate while a delivery process that does not read zstd is alive)' : mode;
}

export function summarize(config: VmtaConfig): string {
  const vmtas = Object.values(config.vmtas);
  const pools = Object.values(config.pools);
  const nestedDomains = vmtas.reduce((n, v) => n + v.domains.length, 0) + pools.reduce((n, p) => n + p.domains.length, 0);
  const lines = [
    `${config.file}: OK (${config.files.length} file${config.files.length === 1 ? '' : 's'})`,
    `  listeners        ${config.listeners.length}: ${list(
      config.listeners.map((l) => `${l.name}${l.immediateTls ? ' (implicit TLS)' : ''}${l.source ? ` source=${l.source}` : ''}`),
    )}`,
    `  smtp users       ${Object.keys(config.users).length}: ${list(Object.keys(config.users))}`,
    `  sources          ${config.sources.length}: ${list(config.sources.map((s) => s.name))}`,
    `  virtual MTAs     ${vmtas.length}: ${list(
      vmtas.map((v) => {
        const hosts = (v.settings['smtp-source-host'] ?? []).map((h) => `${h.cidr.text} ${h.hostName}`);
        return hosts.length ? `${v.name} (${hosts.join('; ')})` : v.name;
      }),
    )}`,
    `  pools            ${pools.length}: ${list(pools.map((p) => `${p.name} [${(p.settings['virtual-mta'] ?? []).join(' ')}]`))}`,
    `  domain stanzas   ${config.domains.length + nestedDomains}: ${config.domains.length} top level, ${nestedDomains} inside VMTAs and pools${expandedNote(config)}`,
    // Both kinds: <pattern-list> (routing by sender/recipient) and <smtp-pattern-list> (reply patterns).
    `  pattern lists    ${Object.keys(config.routingLists).length} <pattern-list>, ${Object.keys(config.patternLists).length} <smtp-pattern-list>, accounting files ${config.acctFiles.length}`,
    `  bodies stored    ${bodyCompressionLine(config.global.settings['body-compression'] ?? 'zstd')}`,
    `  warnings         ${config.warnings.length}`,
  ];
  // Every one: an operator fixing a file (or a script grepping for file:line) needs the whole list.
  for (const w of config.warnings) lines.push(`    ${formatDiagnostic(w)}`);
  return lines.join('\n');
}

/** ", 9 of them from domain macros" when a domain-macro gave some of the <domain> stanzas. */
function expandedNote(config: VmtaConfig): string {
  const all = [...config.domains, ...Object.values(config.vmtas).flatMap((v) => v.domains), ...Object.values(config.pools).flatMap((p) => p.domains)];
  const expanded = all.filter((d) => d.macro !== undefined).length;
  return expanded === 0 ? '' : ` (${expanded} of them from domain macros)`;
}

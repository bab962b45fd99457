/**
 * References inside routing <pattern-list> rules: `virtual-mta=NAME` must name a VMTA or pool,
 * `call-to:NAME` another <pattern-list>, and call-to may not go round in a circle. Each error names
 * the rule's file:line.
 */
import type { Diagnostic, Origin } from './errors.js';
import type { VmtaConfig } from './model.js';
import type { RefKind } from './schema/directive.js';

export function validatePatternLists(config: VmtaConfig, exists: (kind: RefKind, name: string) => boolean): Diagnostic[] {
  const out: Diagnostic[] = [];
  const error = (o: Origin, message: string) => out.push({ severity: 'error', code: 'CONFIG_REFERENCE', file: o.file, line: o.line, message });
  for (const list of Object.values(config.routingLists)) {
    for (const { kind, rule, origin } of list.rules) {
      for (const a of rule.actions) {
        if (a.action === 'virtual-mta' && !exists('virtual-mta-or-pool', a.value)) {
          error(origin, `${kind} in <pattern-list ${list.name}>: virtual-mta=${a.value} names no <virtual-mta> or <virtual-mta-pool>`);
        }
        if (a.action === 'call-to' && !exists('pattern-list', a.value)) {
          error(origin, `${kind} in <pattern-list ${list.name}>: call-to:${a.value} names no <pattern-list>`);
        }
      }
    }
  }
  for (const list of Object.values(config.routingLists)) {
    const loop = callLoop(config, list.name.toLowerCase(), []);
    if (loop) error(list.origin, `<pattern-list ${list.name}> calls itself through call-to (${loop.join(' -> ')})`);
  }
  return out;
}

/** The chain of names back to `path[0]` when the calls from `name` lead there; undefined otherwise. */
function callLoop(config: VmtaConfig, name: string, path: string[]): string[] | undefined {
  if (path.length > 0 && name === path[0]) return [...path, name];
  if (path.includes(name)) return undefined;
  const list = config.routingLists[name];
  if (!list) return undefined;
  for (const { rule } of list.rules) {
    for (const a of rule.actions) {
      if (a.action !== 'call-to') continue;
      const found = callLoop(config, a.value.toLowerCase(), [...path, name]);
      if (found) return found;
    }
  }
  return undefined;
}

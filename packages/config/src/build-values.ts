/** What the config builder (build.ts) does with one stanza's values: store a directive's value, find or add a stanza, say where else a directive is valid. */
import type { Origin } from './errors.js';
import type { DomainStanza, PatternListRule, Stanza } from './model.js';
import { scopesWithDirective, type DirectiveDef } from './schema/access.js';
import type { ScopeName } from './schema/schema.js';

export type AnyStanza = Stanza<ScopeName> & { domains?: DomainStanza[]; rules?: PatternListRule[] };

export function findOrAdd<T>(list: T[], same: (s: T) => boolean, make: () => T): T {
  const found = list.find(same);
  if (found) return found;
  const made = make();
  list.push(made);
  return made;
}

export function setValue(stanza: AnyStanza, def: DirectiveDef, value: unknown, origin: Origin): void {
  const settings = stanza.settings as Record<string, unknown>;
  if (def.repeatable && value !== null) {
    const current = settings[def.name];
    const list = Array.isArray(current) ? current : [];
    const origins = Array.isArray(current) ? (stanza.origins[def.name] ?? []) : [];
    settings[def.name] = [...list, value];
    stanza.origins[def.name] = [...origins, origin];
    return;
  }
  settings[def.name] = value;
  stanza.origins[def.name] = [origin];
}

/** The stanzas other than `scope` where directive `name` is valid ("<virtual-mta> or <domain>"), or undefined. */
export function placesOf(name: string, scope: ScopeName): string | undefined {
  const elsewhere = scopesWithDirective(name).filter((s) => s !== scope);
  if (elsewhere.length === 0) return undefined;
  return elsewhere.map((s) => (s === 'global' ? 'the top level' : `<${s}>`)).join(' or ');
}

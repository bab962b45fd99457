/**
 * PowerMTA's domain macros (§3.3.1.33.4 and the introduction of §3.3.10): `domain-macro NAME LIST`
 * binds NAME to a list of domain fragments; `<domain yahoo.$NAME>` then stands for one <domain> per
 * item (yahoo.com, yahoo.co.uk, ...). An item may use other macros (`domain-macro tld $com, org`);
 * a loop is a load error. Pure functions: the builder reads, resolves and expands with them.
 */
import { fail } from './common.js';
import { ValueError } from './errors.js';
import type { ValueType } from './value-type.js';

export interface DomainMacro {
  /** As written; macros are looked up without regard to case. */
  name: string;
  /** Fragments as written, in order, e.g. ["com", "co.uk"] or [".com"] or ["$com", "org"]. */
  items: string[];
}

const NAME = /^[A-Za-z0-9_]+$/;
const ITEM = /^[^\s,<>/\\"'#]+$/;
/** `$NAME` inside a pattern or an item. */
const REFERENCE = /\$([A-Za-z0-9_]+)/g;
/** Expansions of one <domain> stay bounded (a macro of macros can multiply). */
export const MAX_EXPANSIONS = 10_000;

export const DOMAIN_MACRO_EXPECTED = 'NAME DOMAIN-LIST, e.g. domain-macro topLevel com, de, co.uk (a name of letters, digits and _; items separated by commas; $OTHER uses another macro)';

export function parseDomainMacro(raw: string): DomainMacro {
  const bad = (reason: string): Error => fail('domain-macro', DOMAIN_MACRO_EXPECTED, raw, reason);
  const m = /^(\S+)\s*(.*)$/s.exec(raw.trim());
  if (!m) throw bad('no name given');
  const name = m[1]!;
  if (!NAME.test(name)) throw bad(`"${name}": a macro name holds letters, digits and _ only`);
  const items = m[2]!
    .split(/[\s,]+/)
    .filter((s) => s !== '');
  if (items.length === 0) throw bad(`no domains given for ${name}`);
  const wrong = items.find((s) => !ITEM.test(s));
  if (wrong !== undefined) throw bad(`"${wrong}" is not a domain or part of one`);
  return { name, items };
}

export const domainMacroType: ValueType<DomainMacro> = {
  name: 'domain-macro',
  expected: DOMAIN_MACRO_EXPECTED,
  parse: (raw) => parseDomainMacro(raw),
  schema: {
    type: 'object',
    properties: {
      name: { type: 'string', pattern: NAME.source },
      items: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
    },
    required: ['name', 'items'],
    additionalProperties: false,
  },
};

/** True when the text uses a macro (`$NAME`). */
export function usesDomainMacro(text: string): boolean {
  return /\$[A-Za-z0-9_]/.test(text);
}

export interface MacroProblem {
  /** Index of the definition in the list given to resolveDomainMacros. */
  index: number;
  message: string;
}

export interface ResolvedMacros {
  /** Lower-case name → the fully expanded items (no `$` left), duplicates removed, order kept. */
  values: Map<string, string[]>;
  problems: MacroProblem[];
}

/**
 * Expands the macros used inside macros. A name defined twice, a use of an undefined macro and a
 * loop (a → b → a) are problems of the definition that has them; such a macro is left out.
 */
export function resolveDomainMacros(defs: readonly DomainMacro[]): ResolvedMacros {
  const problems: MacroProblem[] = [];
  const byName = new Map<string, { def: DomainMacro; index: number }>();
  defs.forEach((def, index) => {
    const key = def.name.toLowerCase();
    const first = byName.get(key);
    if (first !== undefined) {
      problems.push({ index, message: `domain-macro ${def.name} is defined twice (keep one definition)` });
      return;
    }
    byName.set(key, { def, index });
  });
  const values = new Map<string, string[]>();
  const failed = new Set<string>();
  const resolve = (key: string, path: string[]): string[] | undefined => {
    const done = values.get(key);
    if (done !== undefined) return done;
    if (failed.has(key)) return undefined;
    const entry = byName.get(key)!;
    const out: string[] = [];
    for (const item of entry.def.items) {
      let expanded: string[];
      try {
        expanded = expandWith(item, (ref) => {
          const refKey = ref.toLowerCase();
          if (!byName.has(refKey)) throw new ValueError(`domain-macro ${entry.def.name}: "${item}" uses $${ref}, which no domain-macro defines`);
          if (refKey === key || path.includes(refKey)) {
            const loop = [...path, key, refKey].map((k) => byName.get(k)!.def.name).join(' -> ');
            throw new ValueError(`domain-macro ${entry.def.name}: the macros form a loop (${loop})`);
          }
          const inner = resolve(refKey, [...path, key]);
          if (inner === undefined) throw new ValueError(`domain-macro ${entry.def.name}: $${ref} could not be expanded`);
          return inner;
        });
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        problems.push({ index: entry.index, message: e.message });
        failed.add(key);
        return undefined;
      }
      for (const x of expanded) if (!out.includes(x)) out.push(x);
    }
    values.set(key, out);
    return out;
  };
  for (const key of byName.keys()) resolve(key, []);
  return { values, problems };
}

/** Every text `$NAME` in `text` stands for (cartesian product when it uses several macros). */
function expandWith(text: string, lookup: (name: string) => readonly string[]): string[] {
  const refs = [...text.matchAll(REFERENCE)];
  if (refs.length === 0) return [text];
  let results = [''];
  let last = 0;
  for (const ref of refs) {
    const prefix = text.slice(last, ref.index);
    const items = lookup(ref[1]!);
    const next: string[] = [];
    for (const r of results) for (const item of items) next.push(`${r}${prefix}${item}`);
    if (next.length > MAX_EXPANSIONS) throw new ValueError(`"${text}" expands to more than ${MAX_EXPANSIONS} names`);
    results = next;
    last = ref.index! + ref[0].length;
  }
  const tail = text.slice(last);
  return results.map((r) => `${r}${tail}`);
}

/**
 * The names a <domain> pattern stands for: `yahoo.$tld` with tld = com, co.uk gives yahoo.com and
 * yahoo.co.uk. Throws ValueError naming an undefined macro.
 */
export function expandDomainMacros(text: string, macros: ReadonlyMap<string, readonly string[]>): string[] {
  const names = expandWith(text, (ref) => {
    const items = macros.get(ref.toLowerCase());
    if (items === undefined) throw new ValueError(`"${text}" uses $${ref}, which no domain-macro defines`);
    return items;
  });
  return [...new Set(names)];
}

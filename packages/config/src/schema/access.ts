/** Read access to the schema: what a word means in a scope. The only place that walks the schema. */
import pmta from './pmta-directives.json' with { type: 'json' };
import { configSchema, type ScopeName } from './schema.js';
import type { RefKind } from './directive.js';
import type { ValueTypeName } from '../values/index.js';

export interface DirectiveDef {
  name: string;
  type: ValueTypeName;
  description: string;
  default?: string;
  repeatable: boolean;
  ref?: RefKind;
  aliasOf?: string;
  unsupportedValues: readonly string[];
  specialValues: readonly string[];
}

interface ScopeDefRaw {
  properties: Record<string, Record<string, unknown>>;
  'x-nested': readonly string[];
  'x-arg': string | null;
  'x-unsupported': Record<string, string>;
}

const defs = configSchema.$defs as unknown as Record<ScopeName, ScopeDefRaw>;

export const scopeNames = Object.keys(configSchema.$defs).filter((k) => k !== 'values') as ScopeName[];

export function isScopeName(name: string): name is ScopeName {
  return (scopeNames as string[]).includes(name);
}

const directiveCache = new Map<string, DirectiveDef | undefined>();

export function directiveDef(scope: ScopeName, name: string): DirectiveDef | undefined {
  const key = `${scope}\0${name}`;
  if (directiveCache.has(key)) return directiveCache.get(key);
  const props = defs[scope].properties;
  const p = Object.prototype.hasOwnProperty.call(props, name) ? props[name] : undefined;
  const def: DirectiveDef | undefined = p && {
    name,
    type: p['x-type'] as ValueTypeName,
    description: p.description as string,
    default: p['x-default'] as string | undefined,
    repeatable: p['x-repeatable'] === true,
    ref: p['x-ref'] as RefKind | undefined,
    aliasOf: p['x-alias-of'] as string | undefined,
    unsupportedValues: (p['x-unsupported-values'] as string[] | undefined) ?? [],
    specialValues: (p['x-special-values'] as string[] | undefined) ?? [],
  };
  directiveCache.set(key, def);
  return def;
}

export function directiveNames(scope: ScopeName): string[] {
  return Object.keys(defs[scope].properties);
}

export function nestedScopes(scope: ScopeName): readonly string[] {
  return defs[scope]['x-nested'];
}

export function stanzaArgKind(scope: ScopeName): string | null {
  return defs[scope]['x-arg'];
}

/** Why a directive or stanza of PowerMTA's is not supported yet, when we know it; else undefined. */
export function unsupportedReason(scope: ScopeName, name: string): string | undefined {
  const own = defs[scope]['x-unsupported'];
  if (Object.prototype.hasOwnProperty.call(own, name)) return own[name];
  const known = (pmta.scopes as Record<string, string[] | undefined>)[scope];
  if (known?.includes(name)) return 'not supported yet';
  if (scope === 'global' && (pmta.stanzas as string[]).includes(name)) return 'not supported yet';
  return undefined;
}

/** Scopes (other than `scope`) where a directive of this name exists. */
export function scopesWithDirective(name: string): ScopeName[] {
  return scopeNames.filter((s) => directiveDef(s, name) !== undefined);
}

/** The scopes where PowerMTA's guide has a directive of this name (ours or not), in the guide's list order. */
export function pmtaScopesOf(name: string): string[] {
  return Object.entries(pmta.scopes as Record<string, string[]>)
    .filter(([, names]) => names.includes(name))
    .map(([scope]) => scope);
}

/**
 * Directives of older PowerMTA versions that are gone from the v5 guide but still sit in configs
 * people run. Each loads with a warning naming file:line and why it is ignored. A short explicit
 * list: any other unknown word stays an error (a typo must never load).
 */
import type { ScopeName } from './schema.js';

interface Obsolete {
  /** Where older PowerMTA versions took it; anywhere else it is an unknown directive as usual. */
  scopes: readonly ScopeName[];
  reason: string;
}

const OBSOLETE: Readonly<Record<string, Obsolete>> = {
  'dk-sign': {
    scopes: ['domain'],
    reason: 'DomainKeys (the pre-DKIM scheme) was removed from PowerMTA and is not done by vmta; delete the line (DKIM signing is dkim-sign)',
  },
  'sync-msg-create': {
    scopes: ['global'],
    reason: 'an option of older PowerMTA versions (sync spool files to disk when created), gone from v5; vmta keeps messages in Redis; delete the line',
  },
  'sync-msg-update': {
    scopes: ['global'],
    reason: 'an option of older PowerMTA versions (sync spool files to disk when updated), gone from v5; vmta keeps messages in Redis; delete the line',
  },
};

/** Why `name` in `scope` is an obsolete PowerMTA directive that is ignored; undefined when it is not one. */
export function obsoleteReason(scope: ScopeName, name: string): string | undefined {
  const entry = Object.prototype.hasOwnProperty.call(OBSOLETE, name) ? OBSOLETE[name] : undefined;
  return entry !== undefined && entry.scopes.includes(scope) ? entry.reason : undefined;
}

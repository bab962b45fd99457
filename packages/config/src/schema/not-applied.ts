/**
 * Directives the schema accepts and parses that nothing applies yet, each with the reason. The one
 * list of them: build.ts warns "not applied yet" with file:line for every one a file sets, and the
 * test test/directives-applied.test.ts fails for any directive of the schema that is neither here
 * nor in its list of applied directives, so none is ever parsed and ignored without a word.
 * Remove an entry in the change that applies the directive.
 */
import type { DirectiveName } from './types.js';
import type { ScopeName } from './schema.js';

type NotAppliedTable = { [S in ScopeName]?: { [D in DirectiveName<S>]?: string } };

const BACKOFF = 'backoff mode is not implemented yet (smtp-pattern-list mode=backoff); the normal limits always apply';

export const notApplied: NotAppliedTable = {
  domain: {
    'smtp-pattern-list': 'reply patterns are not applied to delivery yet; replies are classified by the built-in rules',
    'backoff-max-msg-rate': BACKOFF,
    'backoff-retry-after': BACKOFF,
    'backoff-max-smtp-out': BACKOFF,
    'backoff-to-normal-after': BACKOFF,
    'backoff-to-normal-after-delivery': BACKOFF,
    'queue-priority': 'queues are not prioritised yet; every queue gets connection slots alike',
  },
  'smtp-pattern-list': { reply: 'reply patterns are not applied to delivery yet; replies are classified by the built-in rules' },
};

/** Why `directive` in `scope` is parsed but not applied yet; undefined when it is applied. */
export function notAppliedReason(scope: ScopeName, directive: string): string | undefined {
  const table = notApplied[scope] as Record<string, string> | undefined;
  return table && Object.prototype.hasOwnProperty.call(table, directive) ? table[directive] : undefined;
}

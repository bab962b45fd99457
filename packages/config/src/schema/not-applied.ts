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

export const notApplied: NotAppliedTable = {};

/** Actions of a `reply` rule (<smtp-pattern-list>) parsed but not applied yet: build.ts warns about each with file:line. */
export const notAppliedReplyActions: Readonly<Record<string, string>> = {};

/** Results of a <pattern-list> rule parsed but not applied yet: build.ts warns about each with file:line. */
export const notAppliedPatternActions: Readonly<Record<string, string>> = {};

/** Why `directive` in `scope` is parsed but not applied yet; undefined when it is applied. */
export function notAppliedReason(scope: ScopeName, directive: string): string | undefined {
  const table = notApplied[scope] as Record<string, string> | undefined;
  return table && Object.prototype.hasOwnProperty.call(table, directive) ? table[directive] : undefined;
}

/**
 * Accounting record types an <acct-file> may list that nothing writes yet: the file loads, `vmta check`
 * warns with file:line, and such records simply never appear.
 */
export const notProducedRecordTypes: Readonly<Record<string, string>> = {};

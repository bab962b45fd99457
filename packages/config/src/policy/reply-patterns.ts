/**
 * The reply patterns a queue applies: the `<smtp-pattern-list>` its domain policy names
 * (`smtp-pattern-list NAME`, resolved like every <domain> setting: VMTA, pools, global),
 * each `reply` rule with where it was written, so what it did can name it (file:line).
 */
import type { Origin } from '../errors.js';
import type { VmtaConfig } from '../model.js';
import type { BounceCategoryPattern, ReplyPattern } from '../values/index.js';

export interface ReplyRulePattern extends ReplyPattern {
  /** Where the rule is written, "file:line": accounting records and logs name it. */
  rule: string;
}

/** The rules of the named list in file order (first match wins); none for no name or an unknown name. */
export function replyPatternsOf(config: VmtaConfig, listName: string | undefined | null): ReplyRulePattern[] {
  if (!listName) return [];
  const list = config.patternLists[listName.toLowerCase()];
  if (!list) return [];
  return withRules((list.settings.reply ?? []) as readonly ReplyPattern[], list.origins.reply ?? [], list.origin);
}

/** Each value of a repeatable directive with where it is written ("file:line"). */
function withRules<T extends object>(values: readonly T[], origins: readonly Origin[], fallback: Origin): Array<T & { rule: string }> {
  return values.map((p, i) => {
    const o = origins[i] ?? fallback;
    return { ...p, rule: `${o.file}:${o.line}` };
  });
}

export interface BounceCategoryRule extends BounceCategoryPattern {
  /** Where the line is written, "file:line". */
  rule: string;
}

/** The lines of <bounce-category-patterns> in file order (first match wins); none when the files have none. */
export function bounceCategoryPatternsOf(config: VmtaConfig): BounceCategoryRule[] {
  const stanza = config.bounceCategoryPatterns;
  if (!stanza) return [];
  // A line with a custom category name is not supported yet (build.ts warns): it is left out.
  return withRules((stanza.settings.pattern ?? []) as readonly BounceCategoryPattern[], stanza.origins.pattern ?? [], stanza.origin).filter(
    (p) => p.custom === undefined,
  );
}

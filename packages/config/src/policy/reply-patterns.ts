/**
 * The reply patterns a queue applies: the `<smtp-pattern-list>` its domain policy names
 * (`smtp-pattern-list NAME`, resolved like every <domain> setting: VMTA, pools, global),
 * each `reply` rule with where it was written, so what it did can name it (file:line).
 */
import type { VmtaConfig } from '../model.js';
import type { ReplyPattern } from '../values/index.js';

export interface ReplyRulePattern extends ReplyPattern {
  /** Where the rule is written, "file:line": accounting records and logs name it. */
  rule: string;
}

/** The rules of the named list in file order (first match wins); none for no name or an unknown name. */
export function replyPatternsOf(config: VmtaConfig, listName: string | undefined | null): ReplyRulePattern[] {
  if (!listName) return [];
  const list = config.patternLists[listName.toLowerCase()];
  if (!list) return [];
  const replies = (list.settings.reply ?? []) as readonly ReplyPattern[];
  const origins = list.origins.reply ?? [];
  return replies.map((p, i) => {
    const o = origins[i] ?? list.origin;
    return { ...p, rule: `${o.file}:${o.line}` };
  });
}

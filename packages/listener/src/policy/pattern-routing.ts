/**
 * Routing by <pattern-list> (PowerMTA §3.3.14), decided at DATA: the rules of the source's list in the
 * order written, first match wins. `mail-from` matches the envelope sender, `rcpt-to` any recipient (the
 * first matching rule then routes the whole message, as in PowerMTA: one VMTA per message), `header NAME`
 * the contents of any NAME field as received. A /regex/ is searched in the text; an exact pattern must
 * equal the whole text (address, or header contents trimmed), ignoring case. `call-to:LIST` hands the
 * message to another list, whose result (or lack of one) is the result.
 */
import { toRegExp, type PatternMatch, type PatternListRule, type VmtaConfig } from '@vmta/config';
import { getRawHeaders, type HeaderBlock } from './headers.js';

export interface PatternRoutingInput {
  mailFrom: string;
  recipients: readonly string[];
  /** The message's header block (binary string, as split by splitHeader), or its fields (parseHeader). */
  header: HeaderBlock;
}

export interface PatternDecision {
  /** The VMTA or pool named by virtual-mta=, when the matching rule names one. */
  virtualMta?: string;
  /** recipient-priority= of the matching rule: how early the message is due in its queues (@vmta/queue priority.ts). */
  recipientPriority?: number;
  /** Where the deciding rule is written, "file:line". */
  rule: string;
}

/** call-to chains longer than this stop (config validation already refuses loops). */
const MAX_CALL_DEPTH = 16;

function matches(match: PatternMatch, text: string): boolean {
  if (match.kind === 'regex') return toRegExp(match.regex).test(text);
  return text.trim().toLowerCase() === match.text.toLowerCase();
}

/** Header values by lower-case name, read once per message whatever the number of header rules. */
type HeaderValues = Map<string, string[]>;

function ruleMatches(r: PatternListRule, input: PatternRoutingInput, headers: HeaderValues): boolean {
  switch (r.kind) {
    case 'mail-from':
      return matches(r.rule.match, input.mailFrom);
    case 'rcpt-to':
      return input.recipients.some((rcpt) => matches(r.rule.match, rcpt));
    case 'header': {
      const name = r.rule.header ?? '';
      let values = headers.get(name);
      if (values === undefined) headers.set(name, (values = getRawHeaders(input.header, name)));
      return values.some((value) => matches(r.rule.match, value));
    }
  }
}

/** The decision of the named list for a message; undefined when no list, an unknown list, or no rule matches. */
export function matchPatternList(config: VmtaConfig, listName: string | undefined, input: PatternRoutingInput): PatternDecision | undefined {
  return matchList(config, listName, input, new Map(), 0);
}

function matchList(config: VmtaConfig, listName: string | undefined, input: PatternRoutingInput, headers: HeaderValues, depth: number): PatternDecision | undefined {
  const list = listName ? config.routingLists[listName.toLowerCase()] : undefined;
  if (!list || depth > MAX_CALL_DEPTH) return undefined;
  const found = list.rules.find((r) => ruleMatches(r, input, headers));
  if (!found) return undefined;
  let decision: PatternDecision = { rule: `${found.origin.file}:${found.origin.line}` };
  for (const a of found.rule.actions) {
    if (a.action === 'virtual-mta') decision.virtualMta = a.value;
    else if (a.action === 'recipient-priority') decision.recipientPriority = a.value;
    else if (a.action === 'call-to') {
      const called = matchList(config, a.value, input, headers, depth + 1);
      if (called) decision = { ...decision, ...called };
    }
  }
  return decision;
}

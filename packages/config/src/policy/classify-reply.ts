/**
 * Policy "classify reply" (delivery's stage, and the bounce processor's remote bounces): an SMTP reply in, `{ action, category }` out. Pure; the rules are data
 * (reply-rules.ts). The class of the basic code decides the action (2xx delivered, 4xx deferred,
 * 5xx bounced) unless a rule says otherwise; the rules decide the PowerMTA bounce category.
 * The domain's `<smtp-pattern-list>` is matched too and its actions returned for the caller to
 * apply (backoff mode, skip-mx, bounce-rcpt, ...): they act on queues and sources, not on this reply.
 * The operator's `<bounce-category-patterns>` come before the built-in rules for the category of a
 * failure (first match wins). A line matches the "CODE ENHANCED TEXT" line the pattern list sees, or
 * the same line without the basic code ("ENHANCED TEXT"): PowerMTA's shipped patterns are anchored on
 * the enhanced status code (`/^[45]\.1\.1/ bad-mailbox`). A `success` line is passed over (a failure is
 * never a success); an empty `//` line is the catch-all: a failure no line above it matched gets its
 * category, and the built-in rules are not consulted (as PowerMTA's own defaults are not).
 */
import type { BounceCategoryPattern, ReplyAction, ReplyPattern } from '../values/index.js';
import { SUCCESS_CATEGORY, toRegExp } from '../values/index.js';
import type { BounceCategory } from '../values/index.js';
import { REPLY_RULES, type ReplyRule, type SmtpPhase } from './reply-rules.js';

export type Outcome = 'delivered' | 'deferred' | 'bounced';

export interface SmtpReply {
  /** Basic reply code, e.g. 550 (0 or anything outside 200–599 when there was no usable reply). */
  code: number;
  /** e.g. "5.1.1"; read from the text when absent. */
  enhancedCode?: string;
  /** Reply text; may still carry the codes and several lines ("550-5.1.1 ...\r\n550 5.1.1 ..."). */
  text: string;
  phase: SmtpPhase;
}

export interface ReplyClassification {
  action: Outcome;
  category: BounceCategory;
  /** Actions of the first matching `reply` pattern of the domain's smtp-pattern-list. */
  patternActions?: ReplyAction[];
  /** Where that pattern is written (file:line), when the list says (config's replyPatternsOf). */
  patternRule?: string;
  /** Which rule gave the category (for logs and tests). */
  rule: string;
}

const LINE_CODE = /^\d{3}[ -]?/;
const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?:\s+|$)/;

/** Text without codes, lines joined by a space; the enhanced code of the first line. */
export function normalizeReplyText(text: string): { text: string; enhancedCode?: string } {
  let enhancedCode: string | undefined;
  const lines = text
    .split(/\r?\n/)
    .map((line) => {
      const rest = line.trim().replace(LINE_CODE, '');
      const m = ENHANCED.exec(rest);
      if (m === null) return rest.trim();
      enhancedCode ??= m[1];
      return rest.slice(m[0].length).trim();
    })
    .filter((l) => l !== '');
  return enhancedCode === undefined ? { text: lines.join(' ') } : { text: lines.join(' '), enhancedCode };
}

function matches(rule: ReplyRule, code: string, enhanced: string | undefined, text: string, phase: SmtpPhase): boolean {
  if (rule.phases !== undefined && !rule.phases.includes(phase)) return false;
  if (rule.code !== undefined && !rule.code.test(code)) return false;
  if (rule.enhanced !== undefined && (enhanced === undefined || !rule.enhanced.test(enhanced))) return false;
  if (rule.text !== undefined && !rule.text.test(text)) return false;
  return true;
}

function actionOfCode(code: number, phase: SmtpPhase): Outcome | undefined {
  if (code >= 200 && code < 300) return 'delivered';
  if (code >= 300 && code < 400 && phase === 'data') return 'delivered'; // 354 go ahead
  if (code >= 400 && code < 500) return 'deferred';
  if (code >= 500 && code < 600) return 'bounced';
  return undefined;
}

export type CategoryPatterns = ReadonlyArray<BounceCategoryPattern & { rule?: string }>;

export function classifyReply(
  reply: SmtpReply,
  patternList?: ReadonlyArray<ReplyPattern & { rule?: string }>,
  categories?: CategoryPatterns,
): ReplyClassification {
  const norm = normalizeReplyText(reply.text);
  const enhanced = reply.enhancedCode ?? norm.enhancedCode;
  const line = `${reply.code} ${enhanced === undefined ? '' : `${enhanced} `}${norm.text}`;
  const pattern = patternList?.find((p) => toRegExp(p.regex).test(line));
  const withPattern = (c: Omit<ReplyClassification, 'patternActions'>): ReplyClassification =>
    pattern === undefined
      ? c
      : { ...c, patternActions: [...pattern.actions], ...(pattern.rule !== undefined ? { patternRule: pattern.rule } : {}) };

  const byCode = actionOfCode(reply.code, reply.phase);
  // No reply, or a reply that makes no sense here (e.g. 3xx to RCPT): try again later.
  if (byCode === undefined) {
    const rule = REPLY_RULES.find((r) => matches(r, String(reply.code), enhanced, norm.text, reply.phase));
    return withPattern({ action: 'deferred', category: rule?.category ?? 'protocol-errors', rule: rule?.id ?? 'no-valid-code' });
  }
  if (byCode === 'delivered') return withPattern({ action: 'delivered', category: 'other', rule: 'success' });
  const statusLine = enhanced === undefined ? undefined : `${enhanced} ${norm.text}`;
  const own = categories?.find(
    (c): c is CategoryPatterns[number] & { category: BounceCategory } =>
      c.category !== SUCCESS_CATEGORY && (toRegExp(c.regex).test(line) || (statusLine !== undefined && toRegExp(c.regex).test(statusLine))),
  );
  if (own !== undefined) return withPattern({ action: byCode, category: own.category, rule: own.rule ?? 'bounce-category-patterns' });
  const rule = REPLY_RULES.find((r) => matches(r, String(reply.code), enhanced, norm.text, reply.phase));
  if (rule === undefined) return withPattern({ action: byCode, category: 'other', rule: 'default' });
  return withPattern({ action: rule.action ?? byCode, category: rule.category, rule: rule.id });
}

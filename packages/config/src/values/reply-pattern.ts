import { fail } from './common.js';
import { ValueError } from './errors.js';
import { catchAllRegexSchema, parseRegex, type RegexValue } from './regex.js';
import { parseTimeInterval } from './time-interval.js';
import type { ValueType } from './value-type.js';

export type ReplyFlagAction = 'skip-mx' | 'bounce-queue' | 'bounce-rcpt' | 'disable-source-ip' | 'defer-queue';
export type ReplyAction =
  | { action: 'mode'; value: 'backoff' | 'normal' }
  /** Milliseconds. */
  | { action: 'reenable-after'; value: number }
  | { action: ReplyFlagAction };

export interface ReplyPattern {
  regex: RegexValue;
  actions: ReplyAction[];
}

const FLAG_ACTIONS: readonly ReplyFlagAction[] = [
  'skip-mx',
  'bounce-queue',
  'bounce-rcpt',
  'disable-source-ip',
  'defer-queue',
];
const VALID_ACTIONS =
  'mode=backoff, mode=normal, skip-mx, bounce-queue, bounce-rcpt, disable-source-ip, reenable-after=INTERVAL, defer-queue';
export const REPLY_PATTERN_EXPECTED = `/REGEX/ followed by actions separated by spaces or commas: ${VALID_ACTIONS}`;

function parseAction(token: string, whole: string): ReplyAction {
  const bad = (reason: string): Error => fail('reply-pattern', REPLY_PATTERN_EXPECTED, whole, reason);
  const lower = token.toLowerCase();
  const eq = lower.indexOf('=');
  const name = eq < 0 ? lower : lower.slice(0, eq);
  const value = eq < 0 ? undefined : lower.slice(eq + 1);
  if (name === 'mode') {
    if (value === 'backoff' || value === 'normal') return { action: 'mode', value };
    throw bad(`"${token}": mode must be backoff or normal`);
  }
  if (name === 'reenable-after') {
    if (value === undefined || value === '') throw bad(`"${token}": reenable-after needs =INTERVAL, e.g. reenable-after=1h`);
    try {
      return { action: 'reenable-after', value: parseTimeInterval(value) };
    } catch (e) {
      if (e instanceof ValueError) throw bad(`"${token}": "${value}" is not a time interval like 30m or 1h`);
      throw e;
    }
  }
  const flag = FLAG_ACTIONS.find((a) => a === name);
  if (flag === undefined) throw bad(`unknown action "${token}"`);
  if (value !== undefined) throw bad(`"${token}": ${flag} takes no value`);
  return { action: flag };
}

/** `/REGEX/ ACTION...`; the regex ends at the last "/" of the value. */
export function parseReplyPattern(raw: string): ReplyPattern {
  const bad = (reason: string): Error => fail('reply-pattern', REPLY_PATTERN_EXPECTED, raw, reason);
  if (!raw.startsWith('/')) throw bad('it must start with a /REGEX/');
  const end = raw.lastIndexOf('/');
  if (end === 0) throw bad('the regex has no closing "/"');
  const rest = raw.slice(end + 1);
  if (rest !== '' && !/^[\s,]/.test(rest)) throw bad(`unexpected "${rest.split(/[\s,]/)[0] ?? ''}" right after the closing "/"`);
  const regex = parseRegex(raw.slice(0, end + 1), { allowEmpty: true });
  const tokens = rest.split(/[\s,]+/).filter((t) => t !== '');
  if (tokens.length === 0) throw bad('no action given');
  const actions = tokens.map((t) => parseAction(t, raw));
  const forbidden = forbiddenCombination(actions);
  if (forbidden !== undefined) throw bad(forbidden);
  return { regex, actions };
}

/** PowerMTA §3.3.15: the combinations one rule may not hold; undefined when the rule is fine. */
export function forbiddenCombination(actions: readonly ReplyAction[]): string | undefined {
  const has = (name: ReplyAction['action']) => actions.some((a) => a.action === name);
  const modes = new Set(actions.flatMap((a) => (a.action === 'mode' ? [a.value] : [])));
  if (modes.has('backoff') && modes.has('normal')) return 'mode=backoff and mode=normal cannot be in one rule';
  if (has('skip-mx') && has('bounce-queue')) return 'skip-mx and bounce-queue cannot be in one rule';
  const reenable = actions.filter((a) => a.action === 'reenable-after').length;
  if (reenable > 1) return 'reenable-after is given twice';
  if (reenable === 1 && !has('disable-source-ip')) return 'reenable-after needs disable-source-ip in the same rule';
  return undefined;
}

export const replyPatternType: ValueType<ReplyPattern> = {
  name: 'reply-pattern',
  expected: REPLY_PATTERN_EXPECTED,
  parse: (raw) => parseReplyPattern(raw),
  schema: {
    type: 'object',
    properties: {
      regex: catchAllRegexSchema,
      actions: {
        type: 'array',
        minItems: 1,
        items: {
          anyOf: [
            {
              type: 'object',
              properties: { action: { type: 'string', const: 'mode' }, value: { type: 'string', enum: ['backoff', 'normal'] } },
              required: ['action', 'value'],
              additionalProperties: false,
            },
            {
              type: 'object',
              properties: { action: { type: 'string', const: 'reenable-after' }, value: { type: 'integer', minimum: 0 } },
              required: ['action', 'value'],
              additionalProperties: false,
            },
            {
              type: 'object',
              properties: { action: { type: 'string', enum: [...FLAG_ACTIONS] } },
              required: ['action'],
              additionalProperties: false,
            },
          ],
        },
      },
    },
    required: ['regex', 'actions'],
    additionalProperties: false,
  },
};

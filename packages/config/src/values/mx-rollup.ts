/**
 * `mx HOST NAME` in <mx-rollup-list> (PowerMTA 10.17): domains whose lowest-preference MX hosts
 * match HOST share the queue NAME (which must end in `.rollup`). HOST is an MX host name, or a
 * wildcard `*.suffix` matching any host under suffix.
 */
import { fail, isHostName, normalizeHostName } from './common.js';
import type { ValueType } from './value-type.js';

export interface MxRollupEntry {
  /** Lower case, no trailing dot; for a wildcard the suffix after `*.`. */
  host: string;
  wildcard: boolean;
  /** The rolled-up queue's domain part, lower case (`hotmail.rollup`). */
  name: string;
  /**
   * `rollup-by-ip` (PowerMTA 10.17: roll up by the addresses the MX hosts resolve to). Not supported
   * yet: such an entry rolls nothing up, and the builder warns with file:line.
   */
  byIp?: true;
}

export const MX_ROLLUP_EXPECTED = 'an MX host name or *.suffix, then the rollup name ending in .rollup, optionally rollup-by-ip (mx mx1.example.com example.rollup)';

export function parseMxRollup(raw: string, words: string[]): MxRollupEntry {
  const bad = (reason: string): Error => fail('mx-rollup', MX_ROLLUP_EXPECTED, raw, reason);
  const byIp = words.length === 3 && words[2]!.toLowerCase() === 'rollup-by-ip';
  if (words.length === 3 && !byIp) throw bad(`"${words[2]}": the only option is rollup-by-ip`);
  if (words.length !== 2 && !byIp) throw bad(`expected 2 words, found ${words.length}`);
  const [hostText, nameText] = words as [string, string];
  const wildcard = hostText.startsWith('*.');
  const host = normalizeHostName(wildcard ? hostText.slice(2) : hostText);
  if (!isHostName(host)) throw bad(`"${hostText}" is not a host name or *.suffix`);
  const name = normalizeHostName(nameText);
  if (!name.endsWith('.rollup') || !isHostName(name)) throw bad(`"${nameText}" must be a name ending in .rollup`);
  return byIp ? { host, wildcard, name, byIp } : { host, wildcard, name };
}

export const mxRollupType: ValueType<MxRollupEntry> = {
  name: 'mx-rollup',
  expected: MX_ROLLUP_EXPECTED,
  parse: parseMxRollup,
  schema: {
    type: 'object',
    required: ['host', 'wildcard', 'name'],
    additionalProperties: false,
    properties: { host: { type: 'string' }, wildcard: { type: 'boolean' }, name: { type: 'string' }, byIp: { type: 'boolean', const: true } },
  },
};

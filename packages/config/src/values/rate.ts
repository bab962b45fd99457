import { fail, singleWord } from './common.js';
import type { ValueType } from './value-type.js';

export interface RateLimit {
  count: number;
  perMs: number;
}
export type RateValue = 'unlimited' | RateLimit;

export const RATE_EXPECTED = 'unlimited, 0 or N/[M]{s|sec|m|min|h|hr|d|day}, e.g. 83/10m';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3600_000,
  hr: 3600_000,
  d: 86_400_000,
  day: 86_400_000,
};

/** `unlimited` | `0` | `N/[M]unit` (`83/10m`, `100/h`, `1/s`, `10/2hr`). `0` is `{ count: 0, perMs: 1000 }`. */
export function parseRate(text: string): RateValue {
  const lower = text.toLowerCase();
  if (lower === 'unlimited') return 'unlimited';
  if (/^0+$/.test(lower)) return { count: 0, perMs: 1000 };
  const m = /^(\d+)\/(\d*)([a-z]+)$/.exec(lower);
  const unitMs = m === null ? undefined : UNIT_MS[m[3] ?? ''];
  if (m === null || unitMs === undefined) throw fail('rate', RATE_EXPECTED, text);
  const count = Number(m[1]);
  const periods = m[2] === '' || m[2] === undefined ? 1 : Number(m[2]);
  if (periods === 0) throw fail('rate', RATE_EXPECTED, text, 'the period must not be 0');
  const perMs = periods * unitMs;
  if (!Number.isSafeInteger(count) || !Number.isSafeInteger(perMs)) throw fail('rate', RATE_EXPECTED, text, 'too large');
  return { count, perMs };
}

export const rateType: ValueType<RateValue> = {
  name: 'rate',
  expected: RATE_EXPECTED,
  parse: (raw, words) => parseRate(singleWord('rate', RATE_EXPECTED, raw, words)),
  schema: {
    anyOf: [
      { type: 'string', const: 'unlimited' },
      {
        type: 'object',
        properties: { count: { type: 'integer', minimum: 0 }, perMs: { type: 'integer', minimum: 1 } },
        required: ['count', 'perMs'],
        additionalProperties: false,
      },
    ],
  },
};

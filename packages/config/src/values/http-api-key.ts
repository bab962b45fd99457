import { fail } from './common.js';
import type { HttpAccessLevel } from './directives.js';
import type { ValueType } from './value-type.js';

/** `http-api-key KEY [monitor|operator|admin]`: a secret scripts send as `Authorization: Bearer KEY`. */
export interface HttpApiKey {
  key: string;
  level: Exclude<HttpAccessLevel, 'none'>;
}

const LEVELS = ['monitor', 'operator', 'admin'] as const;
const HTTP_API_KEY_EXPECTED = 'a key of at least 20 characters (letters, digits, - . _ ~ + / =) and an optional access level (monitor, operator or admin; default admin)';
const KEY_RE = /^[A-Za-z0-9\-._~+/=]{20,}$/;

export const httpApiKeyType: ValueType<HttpApiKey> = {
  name: 'http-api-key',
  expected: HTTP_API_KEY_EXPECTED,
  parse(raw, words) {
    const [key, levelText, ...rest] = words;
    // The key itself never goes into an error message (it is a secret).
    const shown = key === undefined ? raw : raw.replace(key, '(key hidden)');
    if (key === undefined || rest.length > 0) throw fail('http-api-key', HTTP_API_KEY_EXPECTED, shown, 'expected a key and an optional access level');
    if (!KEY_RE.test(key)) throw fail('http-api-key', HTTP_API_KEY_EXPECTED, shown, key.length < 20 ? 'too short' : 'a character that is not allowed');
    const level = levelText === undefined ? 'admin' : LEVELS.find((l) => l === levelText.toLowerCase());
    if (level === undefined) throw fail('http-api-key', HTTP_API_KEY_EXPECTED, shown, `unknown access level "${levelText}"`);
    return { key, level };
  },
  schema: {
    type: 'object',
    properties: { key: { type: 'string', minLength: 20 }, level: { type: 'string', enum: [...LEVELS] } },
    required: ['key', 'level'],
    additionalProperties: false,
  },
};

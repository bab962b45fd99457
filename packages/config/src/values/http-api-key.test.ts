import { describe, expect, it } from 'vitest';
import { parseValue } from './index.js';

describe('http-api-key', () => {
  const key = 'k3y-0123456789abcdefXYZ';
  it.each([
    [key, { key, level: 'admin' }],
    [`${key} monitor`, { key, level: 'monitor' }],
    [`${key} OPERATOR`, { key, level: 'operator' }],
  ])('reads %j', (text, expected) => {
    expect(parseValue('http-api-key', text)).toEqual(expected);
  });

  it.each([
    ['short', /too short/],
    [`${key} root`, /unknown access level "root"/],
    [`${key} admin extra`, /expected a key and an optional access level/],
    ['bad<key>0123456789abcdef', /not allowed/],
  ])('refuses %j without showing the key', (text, reason) => {
    let message = '';
    try {
      parseValue('http-api-key', text);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(reason);
    expect(message).not.toContain('0123456789abcdef');
  });
});

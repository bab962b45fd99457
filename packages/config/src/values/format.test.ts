import { describe, expect, it } from 'vitest';
import { formatValue } from './format.js';
import { parseValue, type ValueTypeName } from './index.js';

describe('formatValue writes a parsed value back the way an operator writes it', () => {
  it.each<[ValueTypeName, string, string]>([
    ['boolean', 'true', 'yes'],
    ['boolean', 'no', 'no'],
    ['time-interval', '4d12h', '4d12h'],
    ['time-interval', '90m', '1h30m'],
    ['time-interval', '0', '0'],
    ['time-interval', '300', '5m'],
    ['time-interval-list', '10m, 10m,1h', '10m,10m,1h'],
    ['size', '20M', '20M'],
    ['size', '1536', '1536'],
    ['size', 'unlimited', 'unlimited'],
    ['rate', '83/10m', '83/10m'],
    ['rate', '100/h', '100/h'],
    ['rate', 'unlimited', 'unlimited'],
    ['rate', '0', '0'],
    ['host-list', 'a.example, b.example; [10.0.0.1]:2525; lookup-mx:other.example', 'a.example, b.example; [10.0.0.1]:2525; lookup-mx:other.example'],
    ['domain-pattern', '[*.]example.com', '[*.]example.com'],
    ['regex', '/@foo(bar)?\\.com$/', '/@foo(bar)?\\.com$/'],
    ['regex', '/(?-i)Exact/', '/(?-i)Exact/'],
    ['string', '"two words"', '"two words"'],
  ])('%s %s is shown as %s', (type, raw, shown) => {
    expect(formatValue(type, parseValue(type, raw))).toBe(shown);
  });
});

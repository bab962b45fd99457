import { loadConfigText } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { accessLevel, allows } from './access.js';

const rules =
  loadConfigText(['host-name mta.example.com', 'http-access 10.1.0.0/16 none', 'http-access 10.0.0.0/8 operator', 'http-access 127.0.0.1 admin', 'http-access ::1 monitor'].join('\n')).global
    .settings['http-access'] ?? [];

describe('http access levels', () => {
  it.each([
    ['10.1.2.3', 'none'],
    ['10.2.0.1', 'operator'],
    ['127.0.0.1', 'admin'],
    ['::ffff:127.0.0.1', 'admin'],
    ['::1', 'monitor'],
    ['192.0.2.1', 'none'],
    ['', 'none'],
  ] as const)('gives %s the level %s (first matching line from the top, default none)', (ip, level) => {
    expect(accessLevel(rules, ip)).toBe(level);
  });

  it('orders levels none < monitor < operator < admin', () => {
    expect(allows('admin', 'operator')).toBe(true);
    expect(allows('operator', 'operator')).toBe(true);
    expect(allows('monitor', 'operator')).toBe(false);
    expect(allows('none', 'monitor')).toBe(false);
  });
});

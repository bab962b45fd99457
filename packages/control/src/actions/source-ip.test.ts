import { describe, expect, it } from 'vitest';
import { sourceTarget } from './source-ip.js';

describe('the IP and queue of vmta disable|enable source', () => {
  it.each<[string, string | undefined, { ip: string; queue: string } | string]>([
    ['192.0.2.7', undefined, { ip: '192.0.2.7', queue: '*' }],
    [' 192.0.2.7 ', 'gmail.com/mta1', { ip: '192.0.2.7', queue: 'gmail.com/mta1' }],
    ['2001:DB8::1', '', { ip: '2001:db8::1', queue: '*' }],
    ['192.0.2.7', '*', { ip: '192.0.2.7', queue: '*' }],
    ['mx.example', undefined, 'not an IP address'],
    ['192.0.2.7', '*/mta1', 'give the queue as DOMAIN/VMTA'],
    ['192.0.2.7', 'gmail.com', 'give the queue as DOMAIN/VMTA'],
    ['192.0.2.7', 'gmail.com/', 'give the queue as DOMAIN/VMTA'],
  ])('%j %j', (ip, queue, expected) => {
    if (typeof expected === 'string') expect(() => sourceTarget(ip, queue)).toThrow(expect.objectContaining({ code: 'SOURCE_ARGUMENT', message: expect.stringContaining(expected) }));
    else expect(sourceTarget(ip, queue)).toEqual(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { queueNameProblem } from './queue-arg.js';

describe('queueNameProblem', () => {
  it.each([
    ['example.com/mta1', {}],
    ['*/mta1', {}],
    ['later.example/{default}', {}],
    ['[192.0.2.1]/mta1', {}],
    ['example.com', { domainAlone: true }],
  ])('takes %j', (arg, o) => {
    expect(queueNameProblem(arg, o)).toBeUndefined();
  });

  it.each([
    ['a/b/c', {}, 'a/b/c is not a queue name: give DOMAIN/VMTA, e.g. example.com/mta1'],
    ['example.com/', {}, 'example.com/ is not a queue name: give DOMAIN/VMTA, e.g. example.com/mta1'],
    ['/mta1', { domainAlone: true }, '/mta1 is not a queue name: give DOMAIN/VMTA or a DOMAIN, e.g. example.com/mta1'],
    ['example.com', {}, 'example.com is not a queue name: give DOMAIN/VMTA, e.g. example.com/mta1'],
    ['bad name/mta1', {}, '"bad name/mta1" is not a queue name: it holds white space or a control character'],
    ['bob@example.com/mta1', {}, 'bob@example.com/mta1 is not a queue name: bob@example.com is an address, a queue names a domain (give DOMAIN/VMTA, e.g. example.com/mta1)'],
  ])('refuses %j', (arg, o, why) => {
    expect(queueNameProblem(arg, o)).toBe(why);
  });
});

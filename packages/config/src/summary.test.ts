import { describe, expect, it } from 'vitest';
import { loadConfigText } from './load.js';
import { summarize } from './summary.js';

describe('summarize', () => {
  it('lists every warning with its file:line, not only the first 20', () => {
    const text = Array.from({ length: 25 }, (_, i) => `<domain d${i + 1}.example>\n  dk-sign yes\n</domain>`).join('\n');
    const lines = summarize(loadConfigText(text, 'many.conf')).split('\n');
    expect(lines).toContain('  warnings         25');
    const listed = lines.filter((l) => /^ {4}many\.conf:\d+: warning: dk-sign in <domain d\d+\.example>/.test(l));
    expect(listed.map((l) => /<domain (d\d+)\./.exec(l)![1])).toEqual(Array.from({ length: 25 }, (_, i) => `d${i + 1}`));
    expect(lines.some((l) => /more$/.test(l))).toBe(false);
  });

  it('counts routing <pattern-list>s and <smtp-pattern-list>s each (a routing list was not counted)', () => {
    const config = loadConfigText(
      ['<virtual-mta mta1>', '</virtual-mta>', '<pattern-list bulk>', '  mail-from /@bulk\\.example$/ virtual-mta=mta1', '</pattern-list>', '<pattern-list other>', '  rcpt-to /x/ virtual-mta=mta1', '</pattern-list>', '<smtp-pattern-list replies>', '  reply /greylist/ mode=backoff', '</smtp-pattern-list>'].join('\n'),
    );
    expect(summarize(config)).toMatch(/^ {2}pattern lists {4}2 <pattern-list>, 1 <smtp-pattern-list>, accounting files 0$/m);
  });
});

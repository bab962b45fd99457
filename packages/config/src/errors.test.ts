import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConfigText, ConfigError, formatDiagnostic, loadConfigFile, loadConfigText } from './index.js';

function errorsOf(text: string): string[] {
  return checkConfigText(text, 'vmta.conf').errors.map(formatDiagnostic);
}
function warningsOf(text: string): string[] {
  return checkConfigText(text, 'vmta.conf').warnings.map(formatDiagnostic);
}

describe('configuration errors name file, line and directive', () => {
  it.each([
    [
      'a misspelt directive, with a suggestion',
      '# comment\nhost-name mta.example.com\n\n\n<domain *>\n  max-smpt-out 10\n</domain>\n',
      ['vmta.conf:6: unknown directive "max-smpt-out" in <domain *> (did you mean "max-smtp-out"?)'],
    ],
    [
      'an unknown directive at the top level without a close match',
      'frobnicate yes\n',
      ['vmta.conf:1: unknown directive "frobnicate" at top level'],
    ],
    [
      'a directive in the wrong scope',
      '<source 0/0>\n  max-smtp-out 3\n</source>\n',
      ['vmta.conf:2: "max-smtp-out" is not allowed in <source 0/0> (it belongs in <virtual-mta> or <domain>)'],
    ],
    [
      'a directive of the top level and <virtual-mta> inside <domain>',
      '<domain *>\n  smtp-source-host 1.2.3.4 a.example\n</domain>\n',
      ['vmta.conf:2: "smtp-source-host" is not allowed in <domain *> (it belongs in the top level or <virtual-mta>)'],
    ],
    [
      'a directive of <source> inside <domain>',
      '<domain *>\n  smtp-data-timeout 1m\n</domain>\n',
      ['vmta.conf:2: "smtp-data-timeout" is not allowed in <domain *> (it belongs in <source>)'],
    ],
    [
      'a misspelt directive of another stanza: the suggestion says where it belongs',
      '<source 0/0>\n  max-smpt-out 3\n</source>\n',
      ['vmta.conf:2: unknown directive "max-smpt-out" in <source 0/0> (did you mean "max-smtp-out"? it belongs in <virtual-mta> or <domain>)'],
    ],
    [
      'a misspelt directive of the top level inside a stanza',
      '<domain *>\n  smtp-source-hots 1.2.3.4 a.example\n</domain>\n',
      ['vmta.conf:2: unknown directive "smtp-source-hots" in <domain *> (did you mean "smtp-source-host"? it belongs in the top level or <virtual-mta>)'],
    ],
    [
      'a bad RATE',
      '<domain *>\n  max-msg-rate 10/fortnight\n</domain>\n',
      ['vmta.conf:2: max-msg-rate: "10/fortnight" is not a RATE (expected unlimited, 0 or N/[M]{s|sec|m|min|h|hr|d|day}, e.g. 83/10m)'],
    ],
    [
      'an unclosed stanza, at the line that opened it',
      'host-name a.example\n<virtual-mta mta1>\n  smtp-source-host 1.2.3.4 mta1.example.com\n',
      ['vmta.conf:2: <virtual-mta mta1> is not closed (missing </virtual-mta>)'],
    ],
    [
      'a closing tag that closes nothing',
      '</domain>\n',
      ['vmta.conf:1: </domain> without a matching <domain>'],
    ],
    [
      'a stanza where it may not nest',
      '<source 0/0>\n<domain *>\n</domain>\n</source>\n',
      ['vmta.conf:2: <domain> is not allowed in <source 0/0>'],
    ],
    [
      'a default-virtual-mta that names nothing',
      '<virtual-mta mta1>\n</virtual-mta>\n<source 0/0>\n  default-virtual-mta mta9\n</source>\n',
      ['vmta.conf:4: default-virtual-mta "mta9" names no <virtual-mta> or <virtual-mta-pool>'],
    ],
    [
      'a pool member that names nothing',
      '<virtual-mta mta1>\n</virtual-mta>\n<virtual-mta-pool p>\n  virtual-mta mta1\n  virtual-mta mta2\n</virtual-mta-pool>\n',
      ['vmta.conf:5: virtual-mta "mta2" names no <virtual-mta>'],
    ],
    [
      'a listener source= that names nothing',
      'smtp-listener 0/0:25 source=feeder\n',
      ['vmta.conf:1: smtp-listener "feeder" names no named <source>'],
    ],
    [
      'a listener source= that names {auth} (it would hand authenticated clients\' settings to everyone)',
      'smtp-listener 0/0:25 source={auth}\n<source {auth}>\n  always-allow-relaying yes\n</source>\n',
      ['vmta.conf:1: smtp-listener "{auth}": <source {auth}> applies to authenticated clients only; name a source of its own'],
    ],
    [
      'an smtp-pattern-list that names nothing',
      '<domain *>\n  smtp-pattern-list blocks\n</domain>\n',
      ['vmta.conf:2: smtp-pattern-list "blocks" names no <smtp-pattern-list>'],
    ],
    [
      'a value out of range',
      '<domain *>\n  queue-priority 101\n</domain>\n',
      ['vmta.conf:2: queue-priority: must be <= 100'],
    ],
  ])('reports %s', (_what, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });

  it('reports every error of a file at once, in line order', () => {
    const text = [
      '<domain *>', // 1
      '  max-smpt-out 10', // 2
      '  bounce-after soon', // 3
      '</domain>', // 4
      'use-starttls maybe', // 5
      '<source 10.0.0.300>', // 6
      '</source>', // 7
      '<virtual-mta mta1>', // 8
    ].join('\n');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.split(':').slice(0, 2).join(':'))).toEqual([
      'vmta.conf:2',
      'vmta.conf:3',
      'vmta.conf:5',
      'vmta.conf:6',
      'vmta.conf:8',
    ]);
    expect(() => loadConfigText(text)).toThrowError(ConfigError);
    try {
      loadConfigText(text);
    } catch (err) {
      expect((err as ConfigError).code).toBe('CONFIG_INVALID');
      expect((err as ConfigError).message.split('\n')).toEqual(errors);
    }
  });

  it('warns, never fails, on PowerMTA features that are not supported yet', () => {
    const text = [
      '<spool /var/spool/pmta>', // 1
      '  delete-file-holders yes', // 2
      '</spool>', // 3
      '<domain *>', // 4
      '  use-dane yes', // 5
      '  route [10.0.0.1]:25', // 6
      '</domain>', // 7
      '<smtp-user u>', // 8
      '  authentication-method system', // 9
      '</smtp-user>', // 10
      '<rewrite-list p>', // 11
      '  mail-from *@foo.com *@bar.com', // 12
      '</rewrite-list>', // 13
    ].join('\n');
    expect(errorsOf(text)).toEqual([]);
    const w = warningsOf(text);
    expect(w).toHaveLength(5);
    expect(w[0]).toMatch(/^vmta\.conf:1: warning: <spool> .*ignored$/);
    expect(w[1]).toMatch(/^vmta\.conf:5: warning: use-dane in <domain \*>: .*; ignored$/);
    expect(w[2]).toBe('vmta.conf:6: warning: route is deprecated; use smtp-hosts');
    expect(w[3]).toBe('vmta.conf:9: warning: authentication-method system is not supported yet');
    expect(w[4]).toMatch(/^vmta\.conf:11: warning: <rewrite-list> .*ignored$/);
  });

  it('names the included file and its own line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-conf-'));
    writeFileSync(path.join(dir, 'main.conf'), 'host-name a.example\ninclude conf.d/*.conf\n');
    const sub = path.join(dir, 'conf.d');
    mkdirSync(sub);
    writeFileSync(path.join(sub, 'a.conf'), '<domain a.example>\n  max-smtp-out 2\n</domain>\n');
    writeFileSync(path.join(sub, 'b.conf'), '\n<domain b.example>\n  retry-after 5x\n</domain>\n');
    const main = path.join(dir, 'main.conf');
    try {
      loadConfigFile(main);
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).errors.map(formatDiagnostic)).toEqual([
        `${path.join(sub, 'b.conf')}:3: retry-after: "5x" is not a TIME-INTERVAL-LIST: unknown unit "x" (expected comma-separated TIME-INTERVALs like 10m,10m,1h)`,
      ]);
    }
  });

  it('reports an include of a missing file at the include line', () => {
    expect(errorsOf('\ninclude /nonexistent/vmta-extra.conf\n')).toEqual([
      'vmta.conf:2: cannot read /nonexistent/vmta-extra.conf: no such file',
    ]);
  });

  it('refuses an include of a device (reading /dev/zero never ended) at the include line', () => {
    expect(errorsOf('\ninclude /dev/zero\n')).toEqual(['vmta.conf:2: include /dev/zero: /dev/zero is not a regular file (a device, FIFO or socket)']);
  });
});

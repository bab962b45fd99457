/**
 * Configs written the way PowerMTA's shipped default config and ESP set-up scripts write them load:
 * domain macros (lists continued on the next line), the catch-all and `success` lines of
 * <bounce-category-patterns>, {special} queues, long record type names, obsolete directives. What
 * loads is applied or warned about with file:line; a typo stays an error.
 */
import { describe, expect, it } from 'vitest';
import { checkConfigText } from './load.js';
import { domainPolicy } from './policy/domain-policy.js';
import { classifyReply } from './policy/classify-reply.js';
import { bounceCategoryPatternsOf } from './policy/reply-patterns.js';
import { mxRollupEntries } from './policy/mx-rollup.js';

const CONFIG = [
  /*  1 */ 'postmaster ops@example.test',
  /*  2 */ '<domain aol.com>',
  /*  3 */ '    max-smtp-out 100',
  /*  4 */ '</domain>',
  /*  5 */ 'domain-macro AOLTop co.il, co.jp, com,',
  /*  6 */ 'co.uk, de',
  /*  7 */ 'domain-macro HotTop $AOLTop, com.br,',
  /*  8 */ '   nl',
  /*  9 */ '<domain aol.$AOLTop>',
  /* 10 */ '    max-smtp-out 2',
  /* 11 */ '    max-msg-rate 1500/h',
  /* 12 */ '</domain>',
  /* 13 */ '<domain hotmail.$HotTop>',
  /* 14 */ '    max-msg-rate 250/min',
  /* 15 */ '</domain>',
  /* 16 */ '<domain aol.de>',
  /* 17 */ '    max-smtp-out 7',
  /* 18 */ '</domain>',
  /* 19 */ '<domain {gmImprinter}>',
  /* 20 */ '    retry-after 15s',
  /* 21 */ '</domain>',
  /* 22 */ '<domain verifier.example.test>',
  /* 23 */ '    dk-sign yes',
  /* 24 */ '    dkim-sign yes',
  /* 25 */ '</domain>',
  /* 26 */ 'sync-msg-create false',
  /* 27 */ 'sync-msg-update false',
  /* 28 */ '<bounce-category-patterns>',
  /* 29 */ '    /spam/ spam-related',
  /* 30 */ '    /^2.\\d.\\d/ success',
  /* 31 */ '    /accepted/ success',
  /* 32 */ '    /^[45]\\.1\\.1/ bad-mailbox',
  /* 33 */ '    // other    # catch-all',
  /* 34 */ '</bounce-category-patterns>',
  /* 35 */ '<acct-file /tmp/vmta-compat-acct.csv>',
  /* 36 */ '    records delivery, bounce',
  /* 37 */ '    record-fields delivery *,envId,jobId,bounceCat',
  /* 38 */ '</acct-file>',
  /* 39 */ '<smtp-pattern-list catch>',
  /* 40 */ '    reply /too many errors/ mode=backoff',
  /* 41 */ '    reply // mode=normal',
  /* 42 */ '</smtp-pattern-list>',
].join('\n');

describe('a PowerMTA-style config with macros, catch-alls, special queues and obsolete directives', () => {
  const r = checkConfigText(CONFIG, 'pmta.conf');

  it('loads without an error', () => {
    expect(r.errors).toEqual([]);
    expect(r.config).toBeDefined();
  });

  it('warns with file:line about each thing it ignores, and only about those', () => {
    expect(r.warnings.map((w) => `${w.file}:${w.line}`)).toEqual(['pmta.conf:19', 'pmta.conf:23', 'pmta.conf:26', 'pmta.conf:27']);
    expect(r.warnings[0]!.message).toContain("{gmImprinter} is one of PowerMTA's internal queues");
    expect(r.warnings[1]!.message).toMatch(/^dk-sign in <domain verifier\.example\.test>: DomainKeys .* dkim-sign\); ignored$/);
    expect(r.warnings[2]!.message).toMatch(/^sync-msg-create at top level: .*; ignored$/);
  });

  it.each<[string, number | undefined, unknown]>([
    ['aol.co.uk', 2, { count: 1500, perMs: 3_600_000 }],
    ['aol.co.il', 2, { count: 1500, perMs: 3_600_000 }],
    // written out: wins over the expansion, before it in the file (aol.com) or after it (aol.de)
    ['aol.com', 100, { count: 1500, perMs: 3_600_000 }],
    ['aol.de', 7, { count: 1500, perMs: 3_600_000 }],
    // 20: the default
    ['hotmail.co.jp', 20, { count: 250, perMs: 60_000 }],
    ['hotmail.nl', 20, { count: 250, perMs: 60_000 }],
    ['hotmail.com.br', 20, { count: 250, perMs: 60_000 }],
    ['aol.nl', 20, undefined],
    ['mail.aol.co.uk', 20, undefined],
  ])('applies the expanded <domain> stanzas to %s', (domain, maxSmtpOut, rate) => {
    const policy = domainPolicy(r.config!, domain).settings;
    expect(policy['max-smtp-out']).toBe(maxSmtpOut);
    if (rate === undefined) expect(policy['max-msg-rate']).toEqual(domainPolicy(r.config!, 'unrelated.test').settings['max-msg-rate']);
    else expect(policy['max-msg-rate']).toEqual(expect.objectContaining(rate as object));
  });

  it('does not make {gmImprinter} a domain of its own', () => {
    expect(r.config!.domains.some((d) => d.pattern.text.includes('gmImprinter'))).toBe(false);
    expect(domainPolicy(r.config!, 'gmimprinter').settings['retry-after']).toEqual(domainPolicy(r.config!, 'unrelated.test').settings['retry-after']);
  });

  it('reads the long record type names of the accounting file', () => {
    const acct = r.config!.acctFiles[0]!.settings;
    expect(acct.records).toEqual(['d', 'b']);
    expect(acct['record-fields']).toEqual([{ type: 'd', fields: ['*', 'envId', 'jobId', 'bounceCat'] }]);
  });

  const categories = () => bounceCategoryPatternsOf(r.config!);
  it.each<[number, string, string, string]>([
    [550, '5.7.1 looks like spam to us', 'spam-related', 'pmta.conf:29'],
    // anchored on the enhanced status code, as PowerMTA's shipped patterns are
    [550, '5.1.1 <a@b.test>: Recipient address rejected', 'bad-mailbox', 'pmta.conf:32'],
    // a success line never names a failure: the catch-all does
    [550, '5.0.0 not accepted here', 'other', 'pmta.conf:33'],
    // the catch-all is the fall-back: the built-in rules (bad-connection for 4.4.2) are not consulted
    [421, '4.4.2 connection dropped', 'other', 'pmta.conf:33'],
  ])('classifies %d %s as %s (%s)', (code, text, category, rule) => {
    const c = classifyReply({ code, text, phase: 'rcpt' }, undefined, categories());
    expect({ category: c.category, rule: c.rule }).toEqual({ category, rule });
  });

  it('still calls a 2xx reply delivered', () => {
    expect(classifyReply({ code: 250, text: '2.0.0 ok accepted', phase: 'data' }, undefined, categories()).action).toBe('delivered');
  });
});

describe('what must stay an error', () => {
  it.each<[string, string[], RegExp]>([
    ['a typo of an obsolete directive', ['<domain x.test>', 'dk-sgn yes', '</domain>'], /unknown directive "dk-sgn" in <domain x\.test>/],
    ['a typo of sync-msg-create', ['sync-msg-creat false'], /unknown directive "sync-msg-creat" at top level/],
    ['an obsolete directive where PowerMTA never took it', ['dk-sign yes'], /unknown directive "dk-sign" at top level/],
    ['an empty relay-address', ['relay-address //'], /relay-address: .*would make an open relay/],
    ['a misspelt category', ['<bounce-category-patterns>', '/x/ sucess', '</bounce-category-patterns>'], /unknown category "sucess" \(did you mean "success"\?\)/],
    ['a conditional <pattern-list>, once, without its content as more errors', ['<pattern-list p>', 'mail-from /n/ <pattern-list>', '  rcpt-to /a/ virtual-mta=x', '  * virtual-mta=y', '</pattern-list>', '</pattern-list>'], /^x\.conf:2 mail-from: .*nested inside a rule is not supported yet[^\n]*$/],
    ['a <domain> using an undefined macro', ['<domain aol.$Nope>', '</domain>'], /<domain>: "aol\.\$Nope" uses \$Nope, which no domain-macro defines/],
    ['a macro loop', ['domain-macro a $b', 'domain-macro b $a'], /domain-macro b: the macros form a loop/],
    ['a macro that expands to a bad name', ['domain-macro t com, a..b', '<domain aol.$t>', '</domain>'], /x\.conf:2 <domain aol\.\$t> \(expanded to aol\.a\.\.b\)/],
    ['a misspelled record type name', ['<acct-file /tmp/x.csv>', 'record-fields deliverys *', '</acct-file>'], /unknown record type "deliverys"/],
    ['a bad value inside a special queue', ['<domain {gmImprinter}>', 'retry-after 15x', '</domain>'], /retry-after/],
    ['a PowerMTA <source> directive in <domain>', ['<domain *>', 'dsn-return-default headers', '</domain>'], /"dsn-return-default" is not allowed in <domain \*> \(PowerMTA takes it in <source> only\)/],
    ['a list ending in a comma before a directive', ['domain-macro t com,', 'host-name a.example.test'], /^(?!)/],
  ])('%s', (_what, lines, message) => {
    const r = checkConfigText(lines.join('\n'), 'x.conf');
    if (message.source === '^(?!)') {
      // the trailing comma is not taken as a continuation: host-name keeps its line and value
      expect(r.config?.global.settings['host-name']).toBe('a.example.test');
      return;
    }
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.map((e) => `${e.file}:${e.line} ${e.message}`).join('\n')).toMatch(message);
    for (const e of r.errors) expect(e.line).toBeGreaterThan(0);
  });
});

describe("more of the guide's own examples", () => {
  it('takes http-access CIDR monitor,deny-logs (§3.3.1.36.3)', () => {
    const r = checkConfigText('http-access 10.0.0.0/8 monitor,deny-logs\n');
    expect(r.errors).toEqual([]);
    expect(r.config!.global.settings['http-access']).toEqual([expect.objectContaining({ level: 'monitor', denyLogs: true })]);
  });

  it('takes a piped <acct-file |program> with its records, and warns that rotation settings mean nothing for it', () => {
    const r = checkConfigText(['<acct-file |/usr/bin/php /opt/pmta/bounce.php>', '  records b', '  max-size 50M', '</acct-file>', '<acct-file acct.csv>', '  max-size 50M', '</acct-file>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.config!.acctFiles.map((f) => f.name)).toEqual(['|/usr/bin/php /opt/pmta/bounce.php', 'acct.csv']);
    expect(r.warnings).toEqual([
      expect.objectContaining({ line: 3, message: "max-size in <acct-file |/usr/bin/php /opt/pmta/bounce.php>: a piped accounting file is a program's input, nothing is rotated or deleted; ignored" }),
    ]);
  });

  it('warns at require-auth when no <smtp-user> has a password (every client would get 530)', () => {
    const source = ['<source 0/0>', '  require-auth yes', '</source>'];
    expect(checkConfigText(source.join('\n')).warnings).toEqual([
      expect.objectContaining({ line: 2, message: 'require-auth yes in <source 0/0>, but no <smtp-user> has a password: every client of this source is refused (530) and no AUTH is offered' }),
    ]);
    expect(checkConfigText([...source, '<smtp-user a>', '  password x', '</smtp-user>'].join('\n')).warnings).toEqual([]);
  });

  it('takes a piped <acct-file> whose command holds a shell redirection (the tag ends at the last ">")', () => {
    const r = checkConfigText(['<acct-file |cat >> /var/log/acct-pipe.csv>', '  records d', '</acct-file>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.config!.acctFiles.map((f) => f.name)).toEqual(['|cat >> /var/log/acct-pipe.csv']);
  });

  it('takes a closing tag that repeats the name, as the guide writes </domain-key-list NAME> (§3.3.19)', () => {
    const r = checkConfigText(['<virtual-mta mta1>', '</virtual-mta mta1>', '<domain x.test>', 'max-smtp-out 3', '</domain  X.TEST>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(domainPolicy(r.config!, 'x.test').settings['max-smtp-out']).toBe(3);
  });

  it('refuses a closing tag whose name differs from the opening one, with file:line', () => {
    const r = checkConfigText(['<virtual-mta mta1>', '</virtual-mta mta2>'].join('\n'));
    expect(r.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ line: 2, message: '</virtual-mta mta2> closes <virtual-mta mta1> (line 1): the names differ' })]),
    );
  });

  it('takes mx ... rollup-by-ip (§10.17) with a warning: such an entry rolls nothing up yet', () => {
    const r = checkConfigText(['<mx-rollup-list>', 'mx *.mail.protection.outlook.com outlook.rollup rollup-by-ip', 'mx mx1.hotmail.test hotmail.rollup', '</mx-rollup-list>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ line: 2, message: 'rollup-by-ip in <mx-rollup-list>: not supported yet; this entry rolls no domain up' })]);
    expect(mxRollupEntries(r.config!).map((e) => e.name)).toEqual(['hotmail.rollup']);
  });

  it('refuses another third word in an mx rollup entry', () => {
    const r = checkConfigText(['<mx-rollup-list>', 'mx *.hotmail.test hotmail.rollup by-ip', '</mx-rollup-list>'].join('\n'));
    expect(r.errors).toEqual([expect.objectContaining({ line: 2, message: expect.stringContaining('"by-ip": the only option is rollup-by-ip') })]);
  });
});

describe('the catch-all line of <bounce-category-patterns>', () => {
  it('warns at every line after it (they never match), not at success or custom lines', () => {
    const r = checkConfigText(['<bounce-category-patterns>', '/a/ spam-related', '// other', '/b/ bad-mailbox', '/^2/ success', '/c/ quota-issues', '</bounce-category-patterns>'].join('\n'));
    expect(r.errors).toEqual([]);
    expect(r.warnings.map((w) => [w.line, w.message])).toEqual([
      [4, 'this <bounce-category-patterns> line never matches: the catch-all // at vmta.conf:3 comes before it (first match wins)'],
      [6, 'this <bounce-category-patterns> line never matches: the catch-all // at vmta.conf:3 comes before it (first match wins)'],
    ]);
  });
});

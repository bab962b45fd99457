import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vmta = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8' });
const vmtaStdin = (input: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root, encoding: 'utf8', input });

describe('vmta check', () => {
  it('accepts the example configuration and prints a one-screen summary', () => {
    const r = vmta('check', 'config/vmta.conf');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('config/vmta.conf: OK');
    expect(r.stdout).toMatch(/virtual MTAs\s+2: mta1 \(127\.0\.0\.1 mta1\.example\.test\), mta2/);
    expect(r.stdout.split('\n').length).toBeLessThan(25);
  });

  it('accepts the PowerMTA seed configuration given with --config', () => {
    const r = vmta('check', '--config', 'test/fixtures/powermta-seed.conf');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('listeners        2: 0/0:25, 10.0.1.22:25');
  });

  it('exits 1 and prints every error with file:line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-check-'));
    const file = path.join(dir, 'vmta.conf');
    writeFileSync(file, '<domain *>\n  max-smpt-out 10\n  max-msg-rate 10/fortnight\n</domain>\n<source 0/0>\n');
    const r = vmta('check', file);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${file}:2: unknown directive "max-smpt-out" in <domain *> (did you mean "max-smtp-out"?)`,
      `${file}:3: max-msg-rate: "10/fortnight" is not a RATE (expected unlimited, 0 or N/[M]{s|sec|m|min|h|hr|d|day}, e.g. 83/10m)`,
      `${file}:5: <source 0/0> is not closed (missing </source>)`,
      `${file}: 3 errors`,
    ]);
  });

  it('accepts a directive that is not applied yet, with a warning naming file:line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-check-'));
    const file = path.join(dir, 'vmta.conf');
    writeFileSync(file, '<domain q.example>\n  dkim-query-method dns/txt\n</domain>\n');
    const r = vmta('check', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${file}:2: warning: dkim-query-method in <domain q.example>: not applied yet (`);
  });

  it('reads the configuration from standard input for "-", naming it <stdin>:LINE', () => {
    const bad = vmtaStdin('<domain *>\n  max-smpt-out 10\n</domain>\n', 'check', '-');
    expect(bad.status).toBe(1);
    expect(bad.stdout.trim().split('\n')).toEqual([
      '<stdin>:2: unknown directive "max-smpt-out" in <domain *> (did you mean "max-smtp-out"?)',
      '<stdin>: 1 error',
    ]);
    const good = vmtaStdin(readFileSync(path.join(root, 'config/vmta.conf'), 'utf8'), 'check', '-');
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('<stdin>: OK');
  });

  it('exits 1 for a missing file and 2 for a bad command line', () => {
    const missing = vmta('check', 'no/such/file.conf');
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('cannot read no/such/file.conf: no such file');
    expect(vmta('check', 'a', 'b').status).toBe(2);
    expect(vmta('frobnicate').status).toBe(2);
  });
});

describe('vmta show settings', () => {
  it('prints the effective policy of a queue and where each value came from', () => {
    const r = vmta('show', 'settings', 'example.test/mta2', '--config', 'config/vmta.conf');
    expect(r.status).toBe(0);
    const line = (name: string) => r.stdout.split('\n').find((l) => l.trim().startsWith(`${name} `))?.trim().split(/\s+/);
    expect(line('max-smtp-out')).toEqual(['max-smtp-out', '5', 'config/vmta.conf:54']);
    expect(line('smtp-hosts')).toEqual(['smtp-hosts', '[127.0.0.1]:2526', 'config/vmta.conf:74']);
    expect(line('retry-recipients-after')).toEqual(['retry-recipients-after', '10m', 'default']);
  });

  it('answers JSON and refuses a pool or an unknown VMTA', () => {
    const r = vmta('show', 'settings', 'gmail.com/mta1', '--json', '--config', 'config/vmta.conf');
    expect(r.status).toBe(0);
    const json = JSON.parse(r.stdout) as { queue: string; settings: Array<{ directive: string; value: string; from: string }> };
    expect(json.queue).toBe('gmail.com/mta1');
    expect(json.settings.find((s) => s.directive === 'max-smtp-out')).toEqual({ directive: 'max-smtp-out', value: '10', from: 'config/vmta.conf:70' });
    expect(vmta('show', 'settings', 'gmail.com/pool1', '--config', 'config/vmta.conf').status).toBe(1);
    expect(vmta('show', 'settings', 'gmail.com/nope', '--config', 'config/vmta.conf').status).toBe(1);
    expect(vmta('show', 'settings', 'gmail.com', '--config', 'config/vmta.conf').status).toBe(2);
  });
});

describe('a config written like PowerMTA-generated ones', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vmta-pmta-'));
  const file = path.join(dir, 'pmta.conf');
  writeFileSync(
    file,
    [
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.2 mta1.example.test',
      '</virtual-mta>',
      'domain-macro YahooTop com, co.uk,',
      'de, com.br',
      '<domain yahoo.$YahooTop>',
      '  max-smtp-out 3',
      '</domain>',
      '<domain yahoo.de>',
      '  max-smtp-out 9',
      '</domain>',
      '<domain {gmImprinter}>',
      '  retry-after 15s',
      '</domain>',
      'sync-msg-create false',
      '<bounce-category-patterns>',
      '  /^2.\\d.\\d/ success',
      '  // other    # catch-all',
      '</bounce-category-patterns>',
      '',
    ].join('\n'),
  );

  it('loads, with a warning naming file:line for what it ignores', () => {
    const r = vmta('check', file);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${file}:12: warning: <domain {gmImprinter}>`);
    expect(r.stdout).toContain(`${file}:15: warning: sync-msg-create at top level:`);
  });

  it('shows the expanded <domain> in the effective settings of yahoo.co.uk/mta1, and the one written out for yahoo.de', () => {
    const uk = vmta('show', 'settings', 'yahoo.co.uk/mta1', '--config', file);
    expect(uk.status).toBe(0);
    expect(uk.stdout).toContain('(stanzas applied: <domain yahoo.$YahooTop> as yahoo.co.uk)');
    expect(uk.stdout).toMatch(new RegExp(`max-smtp-out\\s+3\\s+${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7`));
    const de = vmta('show', 'settings', 'yahoo.de/mta1', '--config', file);
    expect(de.stdout).toContain('(stanzas applied: <domain yahoo.$YahooTop> as yahoo.de, <domain yahoo.de>)');
    expect(de.stdout).toMatch(/max-smtp-out\s+9\s/);
  });
});

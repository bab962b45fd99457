/**
 * `vmta check --dns` end to end: the CLI process asks the loopback test DNS server (through the
 * config's name-server) about keys generated here, and reports PTR, DKIM, SPF and DMARC.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestDnsServer, writeTestKey, type TestDnsServer, type TestZone } from '@vmta/delivery/testing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Runs the CLI without blocking this process: the DNS server it asks lives here. */
function vmta(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'packages/cli/dist/main.js'), ...args], { cwd: root }, (err, stdout, stderr) => {
      resolve({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let dns: TestDnsServer;
let dir: string;
let good: TestZone;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vmta-check-dns-'));
  const rsa = writeTestKey(dir, 'rsa', 'rsa');
  const ed = writeTestKey(dir, 'ed', 'ed25519');
  good = {
    '9.0.0.127.in-addr.arpa': { PTR: ['mta1.example.test'] },
    'mta1.example.test': { A: ['127.0.0.9'] },
    '10.0.0.127.in-addr.arpa': { PTR: ['mta2.example.test'] },
    'mta2.example.test': { A: ['127.0.0.10'] },
    'rsa1._domainkey.example.test': { TXT: [rsa.txt] },
    'ed1._domainkey.example.test': { TXT: [ed.txt] },
    'example.test': { TXT: ['v=spf1 include:_spf.example.test -all'] },
    '_spf.example.test': { TXT: ['v=spf1 ip4:127.0.0.8/30 -all'] },
    '_dmarc.example.test': { TXT: ['v=DMARC1; p=quarantine; rua=mailto:dmarc@example.test'] },
  };
  dns = await startTestDnsServer({ zone: good, address: '127.0.0.1' });
  writeFileSync(
    path.join(dir, 'vmta.conf'),
    [
      `name-server ${dns.server.ip}:${dns.server.port}`,
      '<virtual-mta mta1>',
      '  smtp-source-host 127.0.0.9 mta1.example.test',
      '  domain-key rsa1,example.test,rsa.pem',
      '  domain-key ed1,example.test,ed.pem',
      '</virtual-mta>',
      '<virtual-mta mta2>',
      '  smtp-source-host 127.0.0.10 mta2.example.test',
      '  domain-key rsa1,example.test,rsa.pem',
      '</virtual-mta>',
      '<virtual-mta-pool any>',
      '  virtual-mta mta2',
      '  domain-key wild,*,ed.pem',
      '</virtual-mta-pool>',
    ].join('\n'),
  );
});
afterAll(async () => dns.close());

const conf = (): string => path.join(dir, 'vmta.conf');

describe('vmta check --dns', () => {
  it('exits 0 when every record is published, with a table of what was checked', async () => {
    dns.setZone(good);
    const r = await vmta('check', '--dns', conf());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^CHECK\s+SUBJECT\s+STATUS\s+DETAIL$/);
    expect(r.stdout).toMatch(/ptr\s+127\.0\.0\.9 \(mta1\)\s+PASS\s+127\.0\.0\.9 → mta1\.example\.test → 127\.0\.0\.9/);
    expect(r.stdout).toMatch(/dkim\s+rsa1\._domainkey\.example\.test\s+PASS\s+matches .*rsa\.pem \(rsa\)/);
    expect(r.stdout).toMatch(/dkim\s+ed1\._domainkey\.example\.test\s+PASS\s+matches .*ed\.pem \(ed25519\)/);
    expect(r.stdout).toMatch(/spf\s+example\.test\s+PASS\s+authorises 127\.0\.0\.9 \(include:_spf\.example\.test > ip4:127\.0\.0\.8\/30\), 127\.0\.0\.10/);
    expect(r.stdout).toMatch(/dmarc\s+_dmarc\.example\.test\s+PASS\s+p=quarantine/);
    expect(r.stdout).toMatch(/dkim\s+wild\._domainkey\.\*\s+SKIPPED\s+a \* key signs for any sender domain/);
    expect(r.stdout).not.toContain('publish');
    expect(r.stdout).toContain('7 checks: 6 pass, 0 fail, 0 error, 1 skipped');
  });

  it('exits 1 for a missing PTR, a wrong key, an SPF that does not cover an address and no DMARC, naming each record to publish', async () => {
    const other = writeTestKey(dir, 'other', 'rsa');
    const zone: TestZone = { ...good, 'rsa1._domainkey.example.test': { TXT: [other.txt] }, '_spf.example.test': { TXT: ['v=spf1 ip4:127.0.0.9 -all'] } };
    delete zone['10.0.0.127.in-addr.arpa'];
    delete zone['_dmarc.example.test'];
    dns.setZone(zone);
    const r = await vmta('check', '--dns', conf());
    expect(r.status).toBe(1);
    const rsa = (good['rsa1._domainkey.example.test'] as { TXT: string[] }).TXT[0]!;
    expect(r.stdout).toMatch(/ptr\s+127\.0\.0\.10 \(mta2\)\s+FAIL\s+no PTR record for 127\.0\.0\.10/);
    expect(r.stdout).toMatch(/dkim\s+rsa1\._domainkey\.example\.test\s+FAIL\s+the published key is not the key of .*rsa\.pem/);
    expect(r.stdout).toMatch(/spf\s+example\.test\s+FAIL\s+127\.0\.0\.10: fail \(-all\)/);
    expect(r.stdout).toMatch(/dmarc\s+_dmarc\.example\.test\s+FAIL\s+no DMARC record/);
    const publish = r.stdout.split('publish (zone file lines):\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(publish).toEqual([
      '  10.0.0.127.in-addr.arpa. IN PTR mta2.example.test.',
      `  rsa1._domainkey.example.test. IN TXT "${rsa.slice(0, 255)}" "${rsa.slice(255)}"`,
      '  example.test. IN TXT "v=spf1 ip4:127.0.0.10 include:_spf.example.test -all"',
      '  _dmarc.example.test. IN TXT "v=DMARC1; p=none"',
    ]);
    expect(r.stdout).toContain('7 checks: 2 pass, 4 fail, 0 error, 1 skipped');
  });

  it('prints the rows as JSON with --json, and exits as without', async () => {
    const zone: TestZone = { ...good };
    delete zone['_dmarc.example.test'];
    dns.setZone(zone);
    const r = await vmta('check', '--dns', '--json', conf());
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { ok: boolean; rows: Array<Record<string, unknown>> };
    expect(out.ok).toBe(false);
    expect(out.rows).toHaveLength(7);
    expect(out.rows.find((x) => x.check === 'dmarc')).toEqual({
      check: 'dmarc',
      subject: '_dmarc.example.test',
      status: 'fail',
      detail: 'no DMARC record',
      publish: ['_dmarc.example.test. IN TXT "v=DMARC1; p=none"'],
    });
    expect(out.rows.find((x) => x.check === 'ptr')).toEqual({
      check: 'ptr',
      subject: '127.0.0.9 (mta1)',
      status: 'pass',
      detail: '127.0.0.9 → mta1.example.test → 127.0.0.9',
      publish: [],
    });
    expect((await vmta('check', '--json', conf())).status).toBe(2);
  });
});

/**
 * The `vmta` command line as operators use it from a shell: wrong arguments get a usage line and exit 2
 * (never a stack trace), and a pipe closed early (`vmta schema | head`) ends the command quietly.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'packages/cli/dist/main.js');
// No Redis is needed: every case is refused before a command would talk to the cluster.
const env = { ...process.env, REDIS_URL: 'redis://127.0.0.1:1' };

describe('vmta command-line arguments', { timeout: 60_000 }, () => {
  it('refuses arguments a command does not take, and an unknown event type, with exit 2 and a usage line', () => {
    for (const args of [
      ['schema', '--x'],
      ['events', 'tail', '--type', 'z,d'],
    ]) {
      const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/usage: vmta /);
    }
    expect(spawnSync(process.execPath, [main, 'events', 'tail', '--type', 'z'], { cwd: root, encoding: 'utf8', env }).stderr).toContain('unknown record type "z"');
  });

  it('refuses a malformed queue name, a bad /re/ or a bad --limit with exit 2 and the reason, before asking Redis (was exit 1, or a change recorded for a queue that cannot exist)', () => {
    const notQueue = (q: string) => `${q} is not a queue name: give DOMAIN/VMTA, e.g. example.com/mta1`;
    for (const [args, why] of [
      [['pause', 'queue', 'a/b/c'], 'vmta pause: a/b/c is not a queue name: give DOMAIN/VMTA or a DOMAIN, e.g. example.com/mta1'],
      [['retry', 'queue', 'bad name/mta1'], 'vmta retry: "bad name/mta1" is not a queue name: it holds white space or a control character'],
      [['set', 'queue', '--mode=backoff', 'example.com/'], `vmta set: ${notQueue('example.com/')}`],
      [['show', 'settings', 'a/b/c'], `vmta show settings: ${notQueue('a/b/c')}`],
      [['show', 'messages', '--queue', 'bob@example.com/mta1'], 'vmta show messages: bob@example.com/mta1 is not a queue name: bob@example.com is an address'],
      [['show', 'queues', '/mta1'], 'vmta show queues: /mta1 is not a queue name'],
      [['disable', 'source', '192.0.2.1', 'a/b/c'], `vmta disable source: ${notQueue('a/b/c')}`],
      [['delete', '--queue', 'example.com'], `vmta delete: ${notQueue('example.com')}`],
      [['delete', '--rcpt', '/(/'], 'vmta delete: not a regular expression: /(/ (Invalid regular expression: /(/: Unterminated group)'],
      [['delete', '--queue', '*/mta1', '--orig', '/[a-/i'], 'vmta delete: not a regular expression: /[a-/i'],
      [['suppress', 'show', '--tenant', 'user:a', '--limit', 'x'], 'vmta suppress: --limit: a positive whole number, not "x"'],
      [['suppress', 'show', '--limit', '0'], 'vmta suppress: --limit: a positive whole number, not "0"'],
    ] as const) {
      const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env });
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toContain(why);
      expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('prints its version for vmta version, --version and -V (PowerMTA: pmta version), exit 0', () => {
    const version = (JSON.parse(readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    for (const args of [['version'], ['--version'], ['-V']]) {
      const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env });
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toMatch(new RegExp(`^vmta ${version.replace(/\./g, '\\.')} \\(node `));
    }
    expect(spawnSync(process.execPath, [main, 'version', 'x'], { cwd: root, encoding: 'utf8', env }).status).toBe(2);
  });

  it('ends quietly with exit 0 when the reader of its output goes away (vmta schema | head -c 10)', () => {
    // head takes 10 bytes and exits; the 98 KB of the schema are more than a pipe holds, so vmta writes into a closed pipe
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${main}" schema | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}`], { cwd: root, encoding: 'utf8', env });
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.status).toBe(0);
  });

  it('says which command could not be loaded, with exit 70, when a command module is missing from the install, and runs the other commands', () => {
    // A copy of the built CLI (its dependencies through a link) without the code of `vmta schema`.
    const dir = mkdtempSync(path.join(tmpdir(), 'vmta-cli-'));
    try {
      cpSync(path.join(root, 'packages/cli/dist'), path.join(dir, 'dist'), { recursive: true });
      cpSync(path.join(root, 'packages/cli/package.json'), path.join(dir, 'package.json'));
      symlinkSync(path.join(root, 'packages/cli/node_modules'), path.join(dir, 'node_modules'), 'dir');
      rmSync(path.join(dir, 'dist/commands/schema.js'));
      const copy = path.join(dir, 'dist/main.js');
      const broken = spawnSync(process.execPath, [copy, 'schema'], { cwd: root, encoding: 'utf8', env });
      expect(broken.status).toBe(70);
      expect(broken.stdout).toBe('');
      expect(broken.stderr).toMatch(/^vmta schema: cannot load the code of this command: .*commands\/schema\.js/);
      expect(broken.stderr).not.toMatch(/\n\s+at /);
      const other = spawnSync(process.execPath, [copy, 'version'], { cwd: root, encoding: 'utf8', env });
      expect(other.status).toBe(0);
      expect(other.stdout).toMatch(/^vmta /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

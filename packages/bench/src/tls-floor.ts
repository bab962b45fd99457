#!/usr/bin/env node
/**
 * The floor of a submission connection (issue 13): what a bare Node server costs per connection for the
 * exchange the bench's submission load makes (220, EHLO, STARTTLS with `new tls.TLSSocket(socket,
 * {isServer, secureContext})`, EHLO, AUTH PLAIN, MAIL, RCPT, DATA of 10 KB, QUIT) with the bench's
 * certificates (RSA 2048 + ECDSA P-256 in one context), and the same without STARTTLS and AUTH. No
 * queue, no log, no policy: the server answers every command with a fixed reply and throws the message
 * away. The server runs in a child process; its CPU per connection is read from the scheduler's run time
 * of its threads, as listener-ab reads ours.
 *
 *   node packages/bench/dist/tls-floor.js [--rounds 6] [--messages 1000] [--warmup 2000] [--sessions 20] \
 *     [--loads submission,per-connection] [--context bare|smtp-server] [--secure-options N] [--secure-options-b N] \
 *     [--smtp-server] [--compare packages/cli/dist/main.js] [--cpu-prof-dir DIR]
 *
 * `--secure-options-b N`: a second bare server with these OpenSSL options (e.g. 16384, SSL_OP_NO_TICKET)
 * in the same rounds, for a paired comparison. `--context smtp-server`: the secure context with smtp-server's defaults (honorCipherOrder,
 * sessionIdContext) and our listener's versions, as our listener makes it. `--smtp-server`: npm smtp-server
 * (our patched build) with fixed answers and no hooks of ours as a third server. `--compare CLI`: a listener of
 * that build (`vmta start --role listener`, the bench's configuration, a private Redis) driven with the
 * same loads in the same rounds, alternating which goes first. `--cpu-prof-dir`: the floor and smtp-server
 * children and our listeners run under `--cpu-prof` (the whole run, warm-up included; read with profile-inclusive.js).
 * Run it under `flock /tmp/bench.lock`.
 */
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createSecureContext, TLSSocket, type SecureContextOptions } from 'node:tls';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { getFreePort } from '@vmta/redis-server';
import { startBenchRedis } from './bench-redis.js';
import { messageWithHeaders, sourceLikePayload } from './bodies.js';
import { readRuntime } from './proc-stat.js';
import { median } from './runs.js';
import { runSenders, type SenderLoad } from './sender-client.js';
import { FROM, TO, tempDir } from './scenarios/common.js';
import { SUBMISSION_USERS } from './scenarios/senders-env.js';
import { makeCert } from './tls-cert.js';
import { benchConfig, spawnVmta, type VmtaProcess } from './vmta.js';

const HOST = '127.0.0.5';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const log = (line: string) => process.stderr.write(`[tls-floor ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface ServeOptions {
  port: number;
  certFiles: { rsa: { key: string; cert: string }; ec: { key: string; cert: string } };
  context: 'bare' | 'smtp-server';
  secureOptions?: number;
  /** `smtp-server`: npm smtp-server (our patched build) with no hooks of ours instead of the bare server. */
  kind?: 'bare' | 'smtp-server';
}

/** npm smtp-server as the listener package has it, with fixed answers: what smtp-server alone adds to the floor. */
async function serveSmtpServer(o: ServeOptions): Promise<void> {
  const require = createRequire(path.join(root, 'packages/listener/package.json'));
  const { SMTPServer } = require('smtp-server') as { SMTPServer: new (o: object) => { listen(port: number, host: string, cb: () => void): void } };
  const server = new SMTPServer({
    name: 'mta.floor.test',
    key: [o.certFiles.rsa.key, o.certFiles.ec.key],
    cert: [o.certFiles.rsa.cert, o.certFiles.ec.cert],
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onAuth: (auth: { username: string }, _s: unknown, cb: (e: null, r: { user: string }) => void) => cb(null, { user: auth.username }),
    onData: (stream: NodeJS.ReadableStream, _s: unknown, cb: () => void) => {
      stream.on('end', () => cb());
      stream.resume();
    },
  });
  server.listen(o.port, HOST, () => process.send?.('ready'));
}

/** The bare server (in the child): one line parser per connection, a fixed reply per command. */
function serve(o: ServeOptions): void {
  if (o.kind === 'smtp-server') return void serveSmtpServer(o);
  const ctxOptions: SecureContextOptions = {
    key: [o.certFiles.rsa.key, o.certFiles.ec.key],
    cert: [o.certFiles.rsa.cert, o.certFiles.ec.cert],
    ...(o.context === 'smtp-server'
      ? { honorCipherOrder: true, sessionIdContext: createHash('sha1').update(process.argv.join(' ')).digest('hex').slice(0, 32), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }
      : {}),
    ...(o.secureOptions !== undefined ? { secureOptions: o.secureOptions } : {}),
  };
  const secureContext = createSecureContext(ctxOptions);
  const server = createServer((raw: Socket) => {
    let sock: Socket = raw;
    let buf = '';
    let inData = false;
    const onData = (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          if (end < 0) {
            if (buf.length > 8) buf = buf.slice(-4);
            return;
          }
          buf = buf.slice(end + 5);
          inData = false;
          sock.write('250 2.0.0 queued\r\n');
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') sock.write('250-mta.floor.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 20971520\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n');
        else if (verb === 'STAR') {
          sock.write('220 2.0.0 ready\r\n');
          sock.removeListener('data', onData);
          const tls = new TLSSocket(raw, { isServer: true, secureContext });
          tls.on('error', () => tls.destroy());
          tls.on('data', onData);
          sock = tls;
          buf = '';
        } else if (verb === 'AUTH') sock.write('235 2.7.0 ok\r\n');
        else if (verb === 'DATA') {
          inData = true;
          sock.write('354 go on\r\n');
        } else if (verb === 'QUIT') {
          sock.end('221 2.0.0 bye\r\n');
          return;
        } else sock.write('250 2.1.0 ok\r\n');
      }
    };
    raw.setNoDelay(true);
    raw.on('error', () => raw.destroy());
    raw.on('data', onData);
    raw.write('220 mta.floor.test ESMTP\r\n');
  });
  server.listen(o.port, HOST, () => process.send?.('ready'));
}

type LoadName = 'submission' | 'per-connection';

function loadOf(name: LoadName, port: number, messages: number, sessions: number): SenderLoad {
  const plain = Buffer.from(messageWithHeaders(sourceLikePayload(10240), FROM, TO, 'floor'));
  const user = Object.keys(SUBMISSION_USERS)[0]!;
  return {
    host: HOST,
    port,
    sessions,
    messages,
    connectionPerMessage: true,
    ...(name === 'submission' ? { submission: { user, password: SUBMISSION_USERS[user]!, serverKey: 'ec' } } : {}),
    from: FROM,
    recipients: () => [TO],
    body: () => plain,
  };
}

interface Target {
  name: string;
  pid: number;
  port: (load: LoadName) => number;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      serve: { type: 'string' },
      rounds: { type: 'string', default: '6' },
      messages: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '2000' },
      sessions: { type: 'string', default: '20' },
      loads: { type: 'string', default: 'submission,per-connection' },
      context: { type: 'string', default: 'smtp-server' },
      'secure-options': { type: 'string' },
      'secure-options-b': { type: 'string' },
      compare: { type: 'string' },
      'smtp-server': { type: 'boolean', default: false },
      'cpu-prof-dir': { type: 'string' },
    },
  });
  if (v.serve) {
    process.on('SIGTERM', () => process.exit(0)); // an orderly exit writes --cpu-prof's profile
    return serve(JSON.parse(v.serve) as ServeOptions);
  }
  const loads = v.loads.split(',') as LoadName[];
  for (const l of loads) if (l !== 'submission' && l !== 'per-connection') throw new Error(`unknown load ${l} (submission, per-connection)`);
  if (v.context !== 'bare' && v.context !== 'smtp-server') throw new Error(`--context bare|smtp-server, not ${v.context}`);
  const rounds = Number(v.rounds);
  const messages = Number(v.messages);
  const sessions = Number(v.sessions);

  const tmp = tempDir('tls-floor');
  const cert = makeCert(tmp.dir, 'rsa+ecdsa');
  const targets: Target[] = [];
  let redis: Awaited<ReturnType<typeof startBenchRedis>> | undefined;
  try {
    const startChild = async (name: string, kind: 'bare' | 'smtp-server', secureOptions = v['secure-options']): Promise<void> => {
      const port = await getFreePort(HOST);
      const opts: ServeOptions = {
        port,
        kind,
        certFiles: { rsa: { key: cert.keyPem, cert: cert.certPem }, ec: { key: cert.ecdsa!.keyPem, cert: cert.ecdsa!.certPem } },
        context: v.context as ServeOptions['context'],
        ...(secureOptions !== undefined ? { secureOptions: Number(secureOptions) } : {}),
      };
      const child = fork(fileURLToPath(import.meta.url), ['--serve', JSON.stringify(opts)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: v['cpu-prof-dir'] ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(v['cpu-prof-dir']), '--cpu-prof-name', `${name}.cpuprofile`] : [],
      });
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`${name} server exited (${code})`)));
      });
      targets.push({
        name,
        pid: child.pid!,
        port: () => port,
        stop: async () => {
          child.kill('SIGTERM');
          await new Promise((r) => child.once('exit', r));
        },
      });
    };
    await startChild('floor', 'bare');
    if (v['secure-options-b'] !== undefined) await startChild('floor-b', 'bare', v['secure-options-b']);
    if (v['smtp-server']) await startChild('smtp-server', 'smtp-server');
    if (v.compare) {
      redis = await startBenchRedis(path.join(tmp.dir, 'redis'), 'always');
      // Two listeners of the build: one with submission's configuration, one plain (loopback relays).
      const procs: Partial<Record<LoadName, { proc: VmtaProcess; port: number }>> = {};
      for (const load of loads) {
        const lport = await getFreePort(HOST);
        const dir = path.join(tmp.dir, load);
        mkdirSync(dir, { recursive: true });
        const config = path.join(tmp.dir, `${load}.conf`);
        const submission = load === 'submission' ? { certificateFile: cert.bothFile, users: SUBMISSION_USERS } : undefined;
        writeFileSync(config, benchConfig({ listener: { host: HOST, port: lport }, sink: { host: '127.0.0.4', port: 9 }, maxSmtpOut: 20, ...(submission ? { submission } : {}) }));
        const proc = await spawnVmta({ cli: path.resolve(v.compare), config, role: 'listener', redisUrl: redis.url, prefix: `floor-${load}`, dir, args: ['--http', 'off'],
          ...(v['cpu-prof-dir'] ? { nodeFlags: ['--cpu-prof', '--cpu-prof-dir', path.resolve(v['cpu-prof-dir']), '--cpu-prof-name', `ours-${load}.cpuprofile`] } : {}),
        });
        procs[load] = { proc, port: lport };
      }
      for (const load of loads) {
        const p = procs[load]!;
        targets.push({ name: `ours ${load}`, pid: p.proc.pid, port: () => p.port, stop: () => p.proc.stop(10_000) });
      }
    }
    const targetsFor = (load: LoadName) => targets.filter((t) => !t.name.startsWith('ours ') || t.name === `ours ${load}`);
    const measure = async (t: Target, load: LoadName, n: number): Promise<number> => {
      const before = readRuntime(t.pid)!;
      const r = await runSenders(loadOf(load, t.port(load), n, sessions));
      const after = readRuntime(t.pid)!;
      if (r.failures > 0) throw new Error(`${t.name} ${load}: ${r.failures} of ${n} not accepted (${r.firstError})`);
      return ((after - before) * 1000) / n; // ms per connection
    };
    for (const load of loads) for (const t of targetsFor(load)) await measure(t, load, Number(v.warmup));
    log(`warmed up (${v.warmup} connections per load and server)`);
    const results = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const load of loads) {
        const order = r % 2 === 0 ? targetsFor(load) : [...targetsFor(load)].reverse();
        for (const t of order) {
          const ms = await measure(t, load, messages);
          const key = `${load} ${t.name}`;
          results.set(key, [...(results.get(key) ?? []), ms]);
        }
        log(`round ${r + 1} ${load}: ${targetsFor(load).map((t) => `${t.name} ${results.get(`${load} ${t.name}`)!.at(-1)!.toFixed(3)}`).join(', ')} ms/connection`);
      }
    }
    const lines = [`server CPU ms per connection (one 10 KB message each), ${rounds} rounds of ${messages}, ${sessions} sessions, context ${v.context}${v['secure-options'] ? `, secureOptions ${v['secure-options']}` : ''}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`];
    for (const [key, xs] of results) lines.push(`${key}: median ${median(xs).toFixed(3)} (${xs.map((x) => x.toFixed(3)).join(' ')})`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const t of targets) await t.stop().catch(() => undefined);
    await redis?.stop();
    tmp.remove();
  }
}

main().then(
  () => undefined,
  (err: unknown) => {
    process.stderr.write(`tls-floor: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

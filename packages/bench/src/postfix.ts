/**
 * A private Postfix instance for the baseline: its own main.cf/master.cf,
 * queue and data directories under a temp dir (`postfix -c DIR`), smtpd on a
 * loopback address, everything relayed to the sink. The system's /etc/postfix
 * is never touched. Postfix is left at its defaults otherwise (fsync before
 * 250, in_flow_delay, connection cache on demand).
 */
import { execFileSync } from 'node:child_process';
import { atExit } from './children.js';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostfixOptions {
  postfix: string;
  dir: string;
  smtpd: { host: string; port: number };
  relay: { host: string; port: number };
  /** default_destination_concurrency_limit: matched to our max-smtp-out. */
  concurrency: number;
  /**
   * Submission: smtpd offers STARTTLS with this key and certificate (and the ECDSA pair as
   * smtpd_tls_eccert_file / smtpd_tls_eckey_file when given), SASL (Cyrus, a private sasldb) after TLS
   * only, relaying only for clients that authenticated.
   */
  submission?: { keyFile: string; certFile: string; ecdsa?: { keyFile: string; certFile: string }; users: Record<string, string> };
  /** Recipient domains routed to their own sink (transport_maps) instead of the relayhost. */
  routes?: Record<string, { host: string; port: number }>;
}

/** The realm of the sasldb users (smtpd_sasl_local_domain). */
const SASL_REALM = 'bench.test';

export interface PostfixInstance {
  configDir: string;
  masterPid(): number;
  stop(): Promise<void>;
  logTail(lines?: number): string;
  /** status=sent/deferred/bounced lines in its maillog so far (take differences around a run). */
  statusCounts(): DeliveryStatusCounts;
}

export interface DeliveryStatusCounts {
  sent: number;
  deferred: number;
  bounced: number;
}

/** Counts the delivery agents' status= lines of a Postfix maillog. */
export function countDeliveryStatuses(maillog: string): DeliveryStatusCounts {
  const counts: DeliveryStatusCounts = { sent: 0, deferred: 0, bounced: 0 };
  for (const m of maillog.matchAll(/ status=(sent|deferred|bounced)\b/g)) counts[m[1] as keyof DeliveryStatusCounts]++;
  return counts;
}

export function postfixMainCf(o: PostfixOptions): string {
  return [
    'compatibility_level = 3.6',
    `queue_directory = ${o.dir}/spool`,
    `data_directory = ${o.dir}/data`,
    'myhostname = postfix.bench.test',
    'mydestination =',
    // inet_interfaces must name an address of an interface; smtpd's own address is in master.cf.
    'inet_interfaces = loopback-only',
    'inet_protocols = ipv4',
    'mynetworks = 127.0.0.0/8',
    `relayhost = [${o.relay.host}]:${o.relay.port}`,
    'smtpd_peername_lookup = no',
    'smtp_tls_security_level = none',
    'alias_maps =',
    'alias_database =',
    `default_destination_concurrency_limit = ${o.concurrency}`,
    `default_process_limit = ${Math.max(100, o.concurrency * 3)}`,
    `maillog_file = ${o.dir}/maillog`,
    `maillog_file_prefixes = ${o.dir}`,
    ...(o.routes ? [`transport_maps = texthash:${o.dir}/conf/transport`] : []),
    ...(o.submission
      ? [
          `smtpd_tls_cert_file = ${o.submission.certFile}`,
          `smtpd_tls_key_file = ${o.submission.keyFile}`,
          ...(o.submission.ecdsa ? [`smtpd_tls_eccert_file = ${o.submission.ecdsa.certFile}`, `smtpd_tls_eckey_file = ${o.submission.ecdsa.keyFile}`] : []),
          'smtpd_tls_security_level = may',
          'smtpd_tls_auth_only = yes',
          'smtpd_sasl_auth_enable = yes',
          'smtpd_sasl_type = cyrus',
          'smtpd_sasl_path = smtpd',
          // Debian's smtpd reads $config_directory/sasl/smtpd.conf whatever cyrus_sasl_config_path says; both point there.
          `cyrus_sasl_config_path = ${o.dir}/conf/sasl`,
          `smtpd_sasl_local_domain = ${SASL_REALM}`,
          'smtpd_relay_restrictions = permit_sasl_authenticated, reject',
        ]
      : []),
    '',
  ].join('\n');
}

/** transport_maps lines: each routed domain to its own sink. */
export function postfixTransport(routes: Record<string, { host: string; port: number }>): string {
  return Object.entries(routes)
    .map(([domain, t]) => `${domain} smtp:[${t.host}]:${t.port}\n`)
    .join('');
}

/** Cyrus SASL's smtpd.conf: passwords from a sasldb file, PLAIN and LOGIN. */
export function saslSmtpdConf(dir: string): string {
  return `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: ${dir}/conf/sasl/sasldb2\nmech_list: PLAIN LOGIN\n`;
}

export function postfixMasterCf(o: PostfixOptions): string {
  const services = [
    `${o.smtpd.host}:${o.smtpd.port} inet n - n - - smtpd`,
    'pickup unix n - n 60 1 pickup',
    'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr',
    'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce',
    'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce',
    'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush',
    'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp',
    'relay unix - - n - - smtp',
    'showq unix n - n - - showq',
    'error unix - - n - - error',
    'retry unix - - n - - error',
    'discard unix - - n - - discard',
    'anvil unix - - n - 1 anvil',
    'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd',
    ...(o.submission ? ['tlsmgr unix - - n 1000? 1 tlsmgr'] : []),
  ];
  return `${services.join('\n')}\n`;
}

/** postfix logs to stderr only on a terminal: on failure the log file says why. */
export async function startPostfix(o: PostfixOptions): Promise<PostfixInstance> {
  const configDir = path.join(o.dir, 'conf');
  for (const d of ['conf', 'spool', 'data']) mkdirSync(path.join(o.dir, d), { recursive: true });
  // mkdtemp makes 0700 directories; the postfix user must reach its queue.
  chmodSync(o.dir, 0o755);
  const postfixUid = Number(execFileSync('id', ['-u', 'postfix'], { encoding: 'utf8' }).trim());
  chownSync(path.join(o.dir, 'data'), postfixUid, -1);
  writeFileSync(path.join(configDir, 'main.cf'), postfixMainCf(o));
  writeFileSync(path.join(configDir, 'master.cf'), postfixMasterCf(o));
  if (o.routes) writeFileSync(path.join(configDir, 'transport'), postfixTransport(o.routes));
  if (o.submission) {
    const sasl = path.join(configDir, 'sasl');
    mkdirSync(sasl, { recursive: true });
    writeFileSync(path.join(sasl, 'smtpd.conf'), saslSmtpdConf(o.dir));
    const db = path.join(sasl, 'sasldb2');
    for (const [user, password] of Object.entries(o.submission.users)) {
      execFileSync('saslpasswd2', ['-f', db, '-p', '-c', '-u', SASL_REALM, user], { input: password, stdio: ['pipe', 'ignore', 'inherit'] });
    }
    // smtpd runs as the postfix user.
    chownSync(db, postfixUid, -1);
  }
  const logTail = (lines = 20) => {
    const file = path.join(o.dir, 'maillog');
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no maillog)';
  };
  const abortAtExit = atExit(() => execFileSync(o.postfix, ['-c', configDir, 'abort'], { stdio: 'ignore' }));
  try {
    await run(o.postfix, ['-c', configDir, 'start']);
  } catch (err) {
    throw new Error(`postfix -c ${configDir} start failed: ${(err as Error).message}\n${logTail()}`);
  }
  const pidFile = path.join(o.dir, 'spool', 'pid', 'master.pid');
  const masterPid = () => Number(readFileSync(pidFile, 'utf8').trim());
  // Wait until smtpd's socket is there (master binds it at start).
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidFile)) {
    if (Date.now() > deadline) throw new Error(`postfix did not write ${pidFile}\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const statusCounts = () => {
    const file = path.join(o.dir, 'maillog');
    return countDeliveryStatuses(existsSync(file) ? readFileSync(file, 'utf8') : '');
  };
  return {
    configDir,
    masterPid,
    logTail,
    statusCounts,
    async stop() {
      abortAtExit();
      await run(o.postfix, ['-c', configDir, 'stop']).catch(() => undefined);
      const pid = (() => {
        try {
          return masterPid();
        } catch {
          return 0;
        }
      })();
      const until = Date.now() + 10_000;
      while (pid && existsSync(`/proc/${pid}`) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (pid && existsSync(`/proc/${pid}`)) await run(o.postfix, ['-c', configDir, 'abort']).catch(() => undefined);
    },
  };
}

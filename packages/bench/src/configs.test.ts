import { checkConfigText, domainPolicy, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { harakaConfigFiles } from './haraka.js';
import { countDeliveryStatuses, postfixMainCf, postfixMasterCf, postfixTransport, saslSmtpdConf } from './postfix.js';
import { domainPlan } from './scenarios/queues.js';
import { benchConfig } from './vmta.js';

describe('the configurations the bench writes', () => {
  it('our bench config loads, relays for loopback only, and routes every domain to the sink', () => {
    const text = benchConfig({
      listener: { host: '127.0.0.5', port: 2525 },
      sink: { host: '127.0.0.4', port: 2526 },
      maxSmtpOut: 20,
      extra: ['<domain *.throttle.bench.test>', '  max-msg-rate 1/h', '</domain>'],
    });
    const { config, errors } = checkConfigText(text);
    expect(errors).toEqual([]);
    expect(sourcePolicy(config!, '127.0.0.1').settings['always-allow-relaying']).toBe(true);
    expect(sourcePolicy(config!, '10.0.0.1').settings['always-allow-relaying']).toBe(false);
    const open = domainPolicy(config!, 'sink.bench.test', 'bench').settings;
    expect(open['smtp-hosts']).toEqual([[expect.objectContaining({ ip: '127.0.0.4', port: 2526 })]]);
    expect(open['max-smtp-out']).toBe(20);
    expect(open['max-msg-rate']).toBe('unlimited');
    expect(domainPolicy(config!, 'd1.throttle.bench.test', 'bench').settings['max-msg-rate']).not.toBe('unlimited');
  });

  it('Postfix listens and relays on loopback only, with its queue in the run directory', () => {
    const o = { postfix: 'postfix', dir: '/tmp/run', smtpd: { host: '127.0.0.3', port: 2525 }, relay: { host: '127.0.0.4', port: 2526 }, concurrency: 20 };
    const main = postfixMainCf(o);
    expect(main).toContain('relayhost = [127.0.0.4]:2526');
    expect(main).toContain('queue_directory = /tmp/run/spool');
    expect(main).toContain('mydestination =\n');
    expect(main).toContain('default_destination_concurrency_limit = 20');
    expect(postfixMasterCf(o).split('\n')[0]).toBe('127.0.0.3:2525 inet n - n - - smtpd');
  });

  it('our submission config requires STARTTLS and AUTH from loopback clients and routes a domain to its own sink', () => {
    const text = benchConfig({
      listener: { host: '127.0.0.5', port: 2525 },
      sink: { host: '127.0.0.4', port: 2526 },
      maxSmtpOut: 20,
      submission: { certificateFile: '/tmp/run/both.pem', users: { bench: 'bench-secret' } },
      routes: { 'd1.fan.bench.test': { host: '127.0.0.4', port: 2600 } },
    });
    const { config, errors } = checkConfigText(text);
    expect(errors).toEqual([]);
    const src = sourcePolicy(config!, '127.0.0.1').settings;
    expect(src).toMatchObject({ 'always-allow-relaying': false, 'require-auth': true, 'allow-starttls': true, 'require-starttls-before-auth': true });
    expect(config!.users.bench?.settings.password).toBe('bench-secret');
    expect(domainPolicy(config!, 'd1.fan.bench.test', 'bench').settings['smtp-hosts']).toEqual([[expect.objectContaining({ ip: '127.0.0.4', port: 2600 })]]);
    expect(domainPolicy(config!, 'd2.fan.bench.test', 'bench').settings['smtp-hosts']).toEqual([[expect.objectContaining({ ip: '127.0.0.4', port: 2526 })]]);
  });

  it('Postfix as a submission server: STARTTLS, Cyrus SASL from a private sasldb after TLS only, relaying only when authenticated', () => {
    const o = {
      postfix: 'postfix',
      dir: '/tmp/run',
      smtpd: { host: '127.0.0.3', port: 2525 },
      relay: { host: '127.0.0.4', port: 2526 },
      concurrency: 20,
      submission: { keyFile: '/tmp/run/key.pem', certFile: '/tmp/run/cert.pem', users: { bench: 'x' } },
      routes: { 'd0.fan.bench.test': { host: '127.0.0.4', port: 2600 } },
    };
    const main = postfixMainCf(o);
    for (const line of ['smtpd_tls_auth_only = yes', 'smtpd_sasl_auth_enable = yes', 'smtpd_relay_restrictions = permit_sasl_authenticated, reject', 'transport_maps = texthash:/tmp/run/conf/transport', 'smtpd_tls_cert_file = /tmp/run/cert.pem']) expect(main).toContain(line);
    expect(postfixMasterCf(o)).toContain('tlsmgr unix');
    expect(postfixTransport(o.routes)).toBe('d0.fan.bench.test smtp:[127.0.0.4]:2600\n');
    expect(saslSmtpdConf('/tmp/run')).toContain('sasldb_path: /tmp/run/conf/sasl/sasldb2');
    expect(postfixMainCf({ ...o, submission: undefined, routes: undefined })).not.toMatch(/sasl|transport_maps/);
    expect(main).not.toContain('smtpd_tls_eccert_file');
    const dual = postfixMainCf({ ...o, submission: { ...o.submission, ecdsa: { keyFile: '/tmp/run/ec-key.pem', certFile: '/tmp/run/ec-cert.pem' } } });
    for (const line of ['smtpd_tls_cert_file = /tmp/run/cert.pem', 'smtpd_tls_eccert_file = /tmp/run/ec-cert.pem', 'smtpd_tls_eckey_file = /tmp/run/ec-key.pem']) expect(dual).toContain(line);
  });

  it('Haraka relays for loopback clients (or, for submission, after TLS and AUTH) to the sink the bench plugin names', () => {
    const base = { dir: '/tmp/h', listen: { host: '127.0.0.6', port: 2525 }, routes: { default: { host: '127.0.0.4', port: 2526 } }, concurrency: 20 };
    const plain = harakaConfigFiles(base);
    expect(plain['config/smtp.ini']).toBe('listen=127.0.0.6:2525\n');
    expect(plain['config/plugins']).toBe('bench_route\n');
    expect(plain['config/outbound.ini']).toContain('concurrency_max=20');
    expect(JSON.parse(plain['config/bench_route.json']!)).toMatchObject({ relayLoopback: true, default: { host: '127.0.0.4', port: 2526 } });
    expect(plain['plugins/bench_route.js']).toContain('hook_lookup_rdns');
    const sub = harakaConfigFiles({ ...base, submission: { keyPem: 'KEY', certPem: 'CERT', users: { bench: 'pw' } } });
    expect(sub['config/plugins']).toBe('tls\nauth/flat_file\nbench_route\n');
    expect(sub['config/auth_flat_file.ini']).toContain('bench=pw');
    expect(JSON.parse(sub['config/bench_route.json']!).relayLoopback).toBe(false);
    expect(sub['config/tls.ini']).toBe('key[]=tls_key.pem\ncert[]=tls_cert.pem\n');
    const dual = harakaConfigFiles({ ...base, submission: { keyPem: 'KEY', certPem: 'CERT', ecdsa: { keyPem: 'ECKEY', certPem: 'ECCERT' }, users: { bench: 'pw' } } });
    expect(dual['config/tls.ini']).toBe('key[]=tls_key.pem\ncert[]=tls_cert.pem\nkey[]=tls_eckey.pem\ncert[]=tls_eccert.pem\n');
    expect([dual['config/tls_eckey.pem'], dual['config/tls_eccert.pem']]).toEqual(['ECKEY', 'ECCERT']);
  });

  it('blocks the first domains in turn: paused, retry, throttled (two messages)', () => {
    const plan = domainPlan(10, 4);
    expect(plan.map((p) => p.kind)).toEqual(['paused', 'retry', 'throttle', 'paused', 'open', 'open', 'open', 'open', 'open', 'open']);
    expect(plan[2]).toEqual({ domain: 'd2.throttle.bench.test', kind: 'throttle', messages: 2 });
    expect(new Set(plan.map((p) => p.domain)).size).toBe(10);
  });

  it('counts the delivery outcomes of a Postfix maillog', () => {
    const log = [
      'Nov 23 13:00:01 h postfix/smtp[1]: 4Xa: to=<to@sink.bench.test>, relay=127.0.0.4[127.0.0.4]:2526, delay=0.1, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
      'Nov 23 13:00:01 h postfix/smtp[1]: 4Xb: to=<to@sink.bench.test>, relay=none, delay=30, dsn=4.4.1, status=deferred (connect to 127.0.0.4[127.0.0.4]:2526: Connection refused)',
      'Nov 23 13:00:02 h postfix/smtp[2]: 4Xc: to=<x@sink.bench.test>, dsn=5.1.1, status=bounced (host said: 550 no)',
      'Nov 23 13:00:02 h postfix/smtp[2]: 4Xd: to=<to@sink.bench.test>, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
      'Nov 23 13:00:02 h postfix/qmgr[3]: 4Xd: removed',
    ].join('\n');
    expect(countDeliveryStatuses(log)).toEqual({ sent: 2, deferred: 1, bounced: 1 });
    expect(countDeliveryStatuses('')).toEqual({ sent: 0, deferred: 0, bounced: 0 });
  });
});

import { checkConfigText, domainPolicy, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { countDeliveryStatuses, postfixMainCf, postfixMasterCf } from './postfix.js';
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

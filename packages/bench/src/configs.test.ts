import { checkConfigText, domainPolicy, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { postfixMainCf, postfixMasterCf } from './postfix.js';
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
});

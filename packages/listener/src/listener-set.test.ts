import { loadConfigText } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { listenerIdentity, planListeners } from './listener-set.js';

const listeners = (text: string) => loadConfigText(`${text}\nsmtp-server-tls-certificate /dev/null\n<source feeder>\n</source>\n`).listeners;
const running = (text: string) => listeners(text).map((l) => ({ identity: listenerIdentity(l), name: l.name }));

describe('planListeners', () => {
  const cases: Array<[string, string, string, { keep: string[]; add: string[]; remove: string[] }]> = [
    ['nothing changed', 'smtp-listener 127.0.0.1:25', 'smtp-listener 127.0.0.1:25', { keep: ['127.0.0.1:25'], add: [], remove: [] }],
    ['a listener added', 'smtp-listener 127.0.0.1:25', 'smtp-listener 127.0.0.1:25\nsmtp-listener 127.0.0.2:25', { keep: ['127.0.0.1:25'], add: ['127.0.0.2:25'], remove: [] }],
    ['a listener removed', 'smtp-listener 127.0.0.1:25\nsmtp-listener 127.0.0.2:25', 'smtp-listener 127.0.0.2:25', { keep: ['127.0.0.2:25'], add: [], remove: ['127.0.0.1:25'] }],
    ['another port is another listener', 'smtp-listener 127.0.0.1:25', 'smtp-listener 127.0.0.1:587', { keep: [], add: ['127.0.0.1:587'], remove: ['127.0.0.1:25'] }],
    ['source= changed: remove + add', 'smtp-listener 127.0.0.1:25', 'smtp-listener 127.0.0.1:25 source=feeder', { keep: [], add: ['127.0.0.1:25'], remove: ['127.0.0.1:25'] }],
    [
      'immediate-tls changed: remove + add',
      'smtp-listener 127.0.0.1:465',
      '<smtp-listener 127.0.0.1:465>\n immediate-tls yes\n</smtp-listener>',
      { keep: [], add: ['127.0.0.1:465'], remove: ['127.0.0.1:465'] },
    ],
    [
      'another certificate file: kept (the certificate is swapped, not the socket)',
      'smtp-listener 127.0.0.1:25',
      '<smtp-listener 127.0.0.1:25>\n tls-certificate /dev/zero\n</smtp-listener>',
      { keep: ['127.0.0.1:25'], add: [], remove: [] },
    ],
    ['the same listener written as a stanza: kept', 'smtp-listener 127.0.0.1:25', '<smtp-listener 127.0.0.1:25>\n</smtp-listener>', { keep: ['127.0.0.1:25'], add: [], remove: [] }],
    ['order changed: all kept, in the new order', 'smtp-listener 127.0.0.1:25\nsmtp-listener 127.0.0.2:25', 'smtp-listener 127.0.0.2:25\nsmtp-listener 127.0.0.1:25', { keep: ['127.0.0.2:25', '127.0.0.1:25'], add: [], remove: [] }],
  ];
  it.each(cases)('%s', (_name, before, after, expected) => {
    const plan = planListeners(running(before), listeners(after));
    expect({ keep: plan.keep.map((k) => k.next.name), add: plan.add.map((l) => l.name), remove: plan.remove.map((r) => r.name) }).toEqual(expected);
  });

  it('a listener without a certificate that gets one is rebound (STARTTLS cannot be added to a running server)', () => {
    const before = loadConfigText('smtp-listener 127.0.0.1:25\n').listeners.map((l) => ({ identity: listenerIdentity(l), name: l.name }));
    const plan = planListeners(before, listeners('smtp-listener 127.0.0.1:25'));
    expect(plan.keep).toEqual([]);
    expect(plan.add.map((l) => l.name)).toEqual(['127.0.0.1:25']);
    expect(plan.remove.map((r) => r.name)).toEqual(['127.0.0.1:25']);
  });
});

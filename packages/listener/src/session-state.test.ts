import { loadConfigText, sourcePolicy, type ListenerConfig } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { sessionPolicy } from './session-state.js';

const TEXT = `
smtp-listener 127.0.0.1:2525
smtp-listener 127.0.0.2:2525 source=feeder
<smtp-user alice>
  password secret
  source relayers
</smtp-user>
<source 0/0>
  max-message-size 10M
</source>
<source 192.0.2.0/24>
  max-message-size 5M
</source>
<source feeder>
  max-message-size 7M
</source>
<source {auth}>
  max-message-size 3M
</source>
<source relayers>
  max-message-size 2M
</source>
`;

const config = loadConfigText(TEXT);
const plain = config.listeners.find((l) => l.source === undefined)!;
const feeder = config.listeners.find((l) => l.source === 'feeder')!;

describe('sessionPolicy', () => {
  it.each<[string, string, ListenerConfig, string | undefined]>([
    ['any client', '198.51.100.7', plain, undefined],
    ['a client of a CIDR source', '192.0.2.9', plain, undefined],
    ['a listener with a named source', '198.51.100.7', feeder, undefined],
    ['an authenticated user with a named source', '192.0.2.9', plain, 'alice'],
    ['an authenticated user on a sourced listener', '192.0.2.9', feeder, 'alice'],
    ['an unknown user ({auth} only)', '198.51.100.7', plain, 'bob'],
  ])('is the merged source policy for %s', (_name, ip, listener, user) => {
    const merged = sourcePolicy(config, ip, { listener, ...(user !== undefined ? { authUser: user } : {}) }).settings;
    expect(sessionPolicy(config, ip, listener, user)).toEqual(merged);
  });

  it('merges once per client, listener source and user, and again after a reload', () => {
    const first = sessionPolicy(config, '192.0.2.9', plain);
    expect(sessionPolicy(config, '192.0.2.9', plain)).toBe(first);
    expect(sessionPolicy(config, '192.0.2.10', plain)).not.toBe(first);
    expect(sessionPolicy(config, '192.0.2.9', feeder)).not.toBe(first);
    expect(sessionPolicy(config, '192.0.2.9', plain, 'alice')).not.toBe(first);
    const reloaded = loadConfigText(TEXT.replace('max-message-size 5M', 'max-message-size 6M'));
    const after = sessionPolicy(reloaded, '192.0.2.9', reloaded.listeners.find((l) => l.source === undefined)!);
    expect(after['max-message-size']).toBe(6 * 1024 * 1024);
    expect(first['max-message-size']).toBe(5 * 1024 * 1024);
  });

  it('is frozen: a session cannot change what other sessions share', () => {
    expect(Object.isFrozen(sessionPolicy(config, '198.51.100.7', plain))).toBe(true);
  });
});

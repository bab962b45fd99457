import { loadConfigText, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { relayDecision, type RelayReason } from './relay.js';

const config = loadConfigText(`
relay-domain ours.example
relay-domain [*.]partner.example
relay-domain bücher.example
relay-domain [192.0.2.0/24]
relay-domain [IPv6:2001:db8::/32]
relay-address /@foo(bar)?\\.com$/
relay-address Exact.User@Lists.Example
<source 10.0.0.0/8>
  always-allow-relaying yes
</source>
<source 198.51.100.0/24>
  relay-debug yes
</source>
`);
const stranger = sourcePolicy(config, '203.0.113.9').settings;
const feeder = sourcePolicy(config, '10.1.2.3').settings;
const debugging = sourcePolicy(config, '198.51.100.7').settings;

const noRelayAnywhere = loadConfigText('relay-domain *\n');

function decide(address: string, who: 'stranger' | 'user' | 'feeder' = 'stranger') {
  return relayDecision(config, {
    address,
    authenticated: who === 'user',
    source: who === 'feeder' ? feeder : stranger,
  });
}

describe('relayDecision for clients that may not relay', () => {
  it.each<[string, RelayReason]>([
    ['user@ours.example', 'relay-domain'],
    ['USER@OURS.EXAMPLE', 'relay-domain'],
    ['user@ours.example.', 'relay-domain'],
    ['user@partner.example', 'relay-domain'],
    ['user@mx.partner.example', 'relay-domain'],
    ['user@bücher.example', 'relay-domain'],
    ['user@xn--bcher-kva.example', 'relay-domain'],
    ['user@[192.0.2.10]', 'relay-domain'],
    ['user@[IPv6:2001:db8::25]', 'relay-domain'],
    ['anyone@foo.com', 'relay-address'],
    ['anyone@FooBar.com', 'relay-address'],
    ['anyone@foobar.com.', 'relay-address'],
    ['Exact.User@lists.example', 'relay-address'],
    ['Exact.User@LISTS.EXAMPLE', 'relay-address'],
  ])('lets anyone send to %j (%s)', (address, reason) => {
    expect(decide(address)).toMatchObject({ allowed: true, reason });
  });

  it.each([
    ['a foreign domain', 'user@elsewhere.example'],
    ['a domain that only ends like ours', 'user@notours.example'],
    ['a subdomain of an exact relay-domain', 'user@sub.ours.example'],
    ['a percent hack to a foreign domain', 'a%evil.com@ours.example'],
    ['a percent hack even to our own domain', 'a%ours.example@ours.example'],
    ['a bang path', 'evil.com!a@ours.example'],
    ['a quoted local part holding @', '"a@evil.com"@ours.example'],
    ['a source route through our domain', '@ours.example:a@elsewhere.example'],
    ['a source route to our domain', '@elsewhere.example:a@ours.example'],
    ['a trailing dot on a foreign domain', 'user@elsewhere.example.'],
    ['an address literal outside the relay CIDR', 'user@[198.51.100.1]'],
    ['a relay-address regex match hidden in a percent hack', 'a%evil.com@foo.com'],
    ['a relay-address regex match on a longer domain', 'anyone@foo.com.evil.example'],
    ['the exact relay-address with another local-part case', 'exact.user@lists.example'],
    ['another user at the exact relay-address domain', 'other@lists.example'],
  ])('refuses %s with 550 5.7.1', (_what, address) => {
    const d = decide(address);
    expect(d.allowed).toBe(false);
    if (!d.allowed) {
      expect(d.error.code).toBe('RELAY_DENIED');
      expect(d.error.response).toMatch(/^550 5\.7\.1 Relaying denied/);
    }
  });

  it('says why an address trick is refused', () => {
    const d = decide('a%evil.com@ours.example');
    expect(!d.allowed && d.error.text).toBe('Relaying denied ("%" in the local part is not accepted)');
  });

  it('answers 451 4.7.1 instead when the source has relay-debug', () => {
    const d = relayDecision(config, { address: 'user@elsewhere.example', authenticated: false, source: debugging });
    expect(!d.allowed && d.error.response).toBe('451 4.7.1 Relaying denied');
  });

  it.each([
    ['a space in the local part', 'a b@ours.example'],
    ['a bare IP address as domain', 'user@192.0.2.10'],
  ])('refuses a recipient with %s as unparseable, 553 5.1.3', (_what, address) => {
    const d = decide(address);
    expect(!d.allowed && d.error.response).toBe('553 5.1.3 Bad destination mailbox address syntax');
  });

  it('never lets relay-domain * admit an address literal', () => {
    const open = (address: string) =>
      relayDecision(noRelayAnywhere, { address, authenticated: false, source: sourcePolicy(noRelayAnywhere, '203.0.113.9').settings });
    expect(open('user@anything.example')).toMatchObject({ allowed: true, reason: 'relay-domain' });
    expect(open('user@[192.0.2.1]')).toMatchObject({ allowed: false });
  });
});

describe('relayDecision for clients that may relay', () => {
  it.each([
    ['user', 'user@elsewhere.example', 'authenticated'],
    ['user', 'a%evil.com@elsewhere.example', 'authenticated'],
    ['user', 'user@[198.51.100.1]', 'authenticated'],
    ['feeder', 'user@elsewhere.example', 'always-allow-relaying'],
    ['feeder', 'evil.com!a@elsewhere.example', 'always-allow-relaying'],
  ] as const)('lets a %s send to %j (%s)', (who, address, reason) => {
    expect(decide(address, who)).toMatchObject({ allowed: true, reason });
  });

  it('reports the normalized domain the message is queued for', () => {
    const d = decide('User@Elsewhere.Example.', 'user');
    expect(d.allowed && d.address).toMatchObject({ domain: 'elsewhere.example', local: 'User' });
  });

  it('still refuses an unparseable recipient', () => {
    expect(decide('a@b@elsewhere.example', 'user')).toMatchObject({ allowed: false });
  });
});

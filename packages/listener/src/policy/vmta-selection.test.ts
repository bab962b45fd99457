import { DEFAULT_VMTA, loadConfigText, sourcePolicy, VmtaSelector } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { selectVirtualMta, type VmtaSelection } from './vmta-selection.js';

const config = loadConfigText(`
<virtual-mta mta1>
  smtp-source-host 192.0.2.1 mta1.example
</virtual-mta>
<virtual-mta mta2>
  smtp-source-host 192.0.2.2 mta2.example
</virtual-mta>
<virtual-mta MTA3>
  smtp-source-host 2001:db8::3 mta3.example
</virtual-mta>
<virtual-mta-pool pool1>
  virtual-mta mta1
  virtual-mta mta2
</virtual-mta-pool>
<source 0/0>
  process-x-virtual-mta yes
</source>
<source 10.0.0.0/8>
  default-virtual-mta pool1
</source>
<source 10.1.0.0/16>
  default-virtual-mta by-smtp-source-ip
</source>
<source 172.16.0.0/12>
  reject-invalid-virtual-mta no
  default-virtual-mta mta2
</source>
<source 192.168.0.0/16>
  process-x-virtual-mta no
  default-virtual-mta mta1
</source>
<source feeder>
  default-virtual-mta MTA3
</source>
`);

interface Case {
  client: string;
  header?: string;
  localAddress?: string;
  listenerSource?: string;
}

function select(c: Case, selector = new VmtaSelector(config)) {
  const ctx = c.listenerSource === undefined ? {} : { listener: { source: c.listenerSource } };
  return selectVirtualMta(config, {
    ...(c.header === undefined ? {} : { header: c.header }),
    source: sourcePolicy(config, c.client, ctx).settings,
    localAddress: c.localAddress ?? '192.0.2.99',
    selector,
  });
}

describe('selectVirtualMta', () => {
  it.each<[string, Case, VmtaSelection]>([
    ['an X-Virtual-MTA header naming a VMTA', { client: '203.0.113.1', header: 'mta2' }, { vmta: 'mta2', via: 'header' }],
    ['the header in another case', { client: '203.0.113.1', header: 'MTA2' }, { vmta: 'mta2', via: 'header' }],
    ['the header with white space around the name', { client: '203.0.113.1', header: '  mta3 ' }, { vmta: 'MTA3', via: 'header' }],
    ['the header naming a pool', { client: '203.0.113.1', header: 'POOL1' }, { vmta: 'mta1', pool: 'pool1', via: 'header' }],
    ['the header over the source default', { client: '10.2.0.1', header: 'mta2' }, { vmta: 'mta2', via: 'header' }],
    ['no header and no default', { client: '203.0.113.1' }, { vmta: DEFAULT_VMTA, via: 'default' }],
    ['an empty header', { client: '203.0.113.1', header: '  ' }, { vmta: DEFAULT_VMTA, via: 'default' }],
    ['a source default naming a pool', { client: '10.2.0.1' }, { vmta: 'mta1', pool: 'pool1', via: 'source' }],
    ['a header the source does not process', { client: '192.168.1.1', header: 'mta2' }, { vmta: 'mta1', via: 'source' }],
    ['an unknown header the source does not process', { client: '192.168.1.1', header: 'nope' }, { vmta: 'mta1', via: 'source' }],
    [
      'an unknown header under reject-invalid-virtual-mta no',
      { client: '172.16.0.1', header: 'nope' },
      { vmta: 'mta2', via: 'source' },
    ],
    [
      'by-smtp-source-ip on the address of mta2',
      { client: '10.1.0.1', localAddress: '192.0.2.2' },
      { vmta: 'mta2', via: 'by-smtp-source-ip' },
    ],
    [
      'by-smtp-source-ip on an IPv4-mapped IPv6 local address',
      { client: '10.1.0.1', localAddress: '::ffff:192.0.2.1' },
      { vmta: 'mta1', via: 'by-smtp-source-ip' },
    ],
    [
      'by-smtp-source-ip on an IPv6 local address',
      { client: '10.1.0.1', localAddress: '2001:db8::3' },
      { vmta: 'MTA3', via: 'by-smtp-source-ip' },
    ],
    [
      'by-smtp-source-ip on an address no VMTA uses',
      { client: '10.1.0.1', localAddress: '203.0.113.50' },
      { vmta: DEFAULT_VMTA, via: 'default' },
    ],
    [
      "the listener's named source over the client IP's source",
      { client: '10.2.0.1', listenerSource: 'feeder' },
      { vmta: 'MTA3', via: 'source' },
    ],
  ])('chooses by %s', (_what, c, expected) => {
    expect(select(c)).toEqual(expected);
  });

  it.each([
    ['an unknown name', 'nope', '550 5.7.1 Invalid virtual MTA nope'],
    ['the built-in default name', DEFAULT_VMTA, '550 5.7.1 Invalid virtual MTA {default}'],
    ['the by-smtp-source-ip keyword', 'by-smtp-source-ip', '550 5.7.1 Invalid virtual MTA by-smtp-source-ip'],
  ])('rejects a header naming %s when reject-invalid-virtual-mta is on', (_what, header, response) => {
    const r = select({ client: '203.0.113.1', header });
    expect('error' in r && r.error.code).toBe('VMTA_INVALID');
    expect('error' in r && r.error.response).toBe(response);
  });

  it('takes pool members round robin across messages', () => {
    const selector = new VmtaSelector(config);
    const picks = [1, 2, 3, 4].map(() => select({ client: '10.2.0.1' }, selector));
    expect(picks.map((p) => ('vmta' in p ? p.vmta : p.error.code))).toEqual(['mta1', 'mta2', 'mta1', 'mta2']);
  });
});

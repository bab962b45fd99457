import { describe, expect, it } from 'vitest';
import { loadConfigText } from './index.js';

describe('a <domain> written more than once', () => {
  it('adds to its first stanza (whatever the case), in each scope apart, and a macro expansion of the same name stays its own', () => {
    const c = loadConfigText(`
domain-macro tops com, net
<domain Example.COM>
  max-smtp-out 3
</domain>
<domain other.example>
  max-smtp-out 4
</domain>
<domain example.com>
  max-msg-rate 10/m
</domain>
<domain example.$tops>
  max-smtp-out 7
</domain>
<virtual-mta mta1>
  smtp-source-host 127.0.0.1 mta1.example
  <domain example.com>
    max-smtp-out 1
  </domain>
  <domain EXAMPLE.com>
    max-msg-rate 5/m
  </domain>
</virtual-mta>
`);
    const written = c.domains.filter((d) => d.macro === undefined);
    expect(written.map((d) => d.pattern.text.toLowerCase())).toEqual(['example.com', 'other.example']);
    expect(written[0]!.settings).toMatchObject({ 'max-smtp-out': 3, 'max-msg-rate': expect.anything() });
    expect(c.domains.filter((d) => d.macro !== undefined).map((d) => d.name)).toEqual(['example.com', 'example.net']);
    const inVmta = c.vmtas['mta1']!.domains;
    expect(inVmta).toHaveLength(1);
    expect(inVmta[0]!.settings).toMatchObject({ 'max-smtp-out': 1, 'max-msg-rate': expect.anything() });
  });

  it('keeps one stanza per name over 20,000 <domain>s each written twice', () => {
    const lines: string[] = [];
    for (const round of [1, 2]) for (let i = 0; i < 10_000; i++) lines.push(`<domain d${i}.example>`, round === 1 ? '  max-smtp-out 2' : '  max-msg-rate 1/s', '</domain>');
    const c = loadConfigText(lines.join('\n'));
    expect(c.domains).toHaveLength(10_000);
    expect(c.domains[9_999]!.settings).toMatchObject({ 'max-smtp-out': 2, 'max-msg-rate': expect.anything() });
  });
});

import { describe, expect, it } from 'vitest';
import { checkConfigText, loadConfigText } from '../load.js';
import { complaintsSuppress, processorFor, processorSources, recordHeaderNames, reportForwardTo, reportTenant, type ProcessorKind, type ReportOutcome } from './processors.js';

const PROCESSORS = `
<feedback-loop-processor>
  deliver-unmatched-email no
  forward-errors-to postmaster@ours.example
  <address-list>
    address /^abuse@fbl\\.ours\\.example$/
    address fbl
  </address-list>
</feedback-loop-processor>
<bounce-processor>
  domain bounce.ours.example
  address bounces@ours.example
</bounce-processor>
<smtp-user alice>
  password a
  source tenants
</smtp-user>
<source tenants>
</source>
<acct-file a.csv>
  records f,rb
  record-fields f *,header_X-Campaign,header_X-Job
  record-fields rb *,header_X-Campaign
</acct-file>
`;

describe('processors', () => {
  const config = loadConfigText(PROCESSORS);

  it.each([
    ['abuse@fbl.ours.example', 'fbl'],
    ['ABUSE@FBL.ours.example', 'fbl'],
    ['fbl@anything.example', 'fbl'],
    ['x@bounce.ours.example', 'bounce'],
    ['bounces@ours.example', 'bounce'],
    ['user@ours.example', undefined],
    ['abuse@ours.example', undefined],
  ])('%s goes to %s', (address, kind) => {
    expect(processorFor(config, address)).toBe(kind);
  });

  it('sends nothing to a processor when the config has none', () => {
    expect(processorFor(loadConfigText('host-name a.example'), 'fbl@x.example')).toBeUndefined();
  });

  it.each([
    ['smtp-user', 'alice', 'user:alice'],
    ['source', 'alice', 'source:tenants'],
    ['global', 'alice', '*'],
    ['smtp-user', undefined, '*'],
  ])('suppression-tenant %s, AUTH user %s in the original: the store %s', (mode, user, tenant) => {
    expect(reportTenant(loadConfigText(`suppression-tenant ${mode}\n${PROCESSORS}`), user)).toBe(tenant);
  });

  it('suppresses complaints unless told not to', () => {
    expect(complaintsSuppress(config)).toBe(true);
    expect(complaintsSuppress(loadConfigText('<feedback-loop-processor>\n  suppress-complaints no\n</feedback-loop-processor>'))).toBe(false);
  });

  it('names the header columns the acct-files ask for', () => {
    expect(recordHeaderNames(config, 'f')).toEqual(['X-Campaign', 'X-Job']);
    expect(recordHeaderNames(config, 'rb')).toEqual(['X-Campaign']);
  });

  it('loads with its delivery options, without warnings', () => {
    const r = checkConfigText(PROCESSORS, 'pmta.conf');
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('accepts address-file in a processor list and refuses bad values, with file:line', () => {
    const r = checkConfigText('<bounce-processor>\n  <address-list>\n    address-file /tmp/x\n  </address-list>\n  deliver-matched-email maybe\n</bounce-processor>', 'pmta.conf');
    expect(r.errors.map((e) => `${e.file}:${e.line}`)).toEqual(['pmta.conf:5']);
  });

  it('lists the address-files of the processors, feedback loop first', () => {
    const config = loadConfigText('<bounce-processor>\n  <address-list>\n    address-file b.txt\n  </address-list>\n</bounce-processor>\n<feedback-loop-processor>\n  address abuse@x.example\n  <address-list>\n    address-file f1.txt\n    address-file f2.txt\n  </address-list>\n</feedback-loop-processor>');
    expect(processorSources(config).map((p) => [p.kind, p.files])).toEqual([['fbl', ['f1.txt', 'f2.txt']], ['bounce', ['b.txt']]]);
  });
});

describe('reportForwardTo', () => {
  const config = loadConfigText(`
<feedback-loop-processor>
  address abuse@fbl.example
  deliver-matched-email yes
  forward-unmatched-to Postmaster@ours.example
  forward-errors-to errors@ours.example
</feedback-loop-processor>
<bounce-processor>
  address bounces@ours.example
  deliver-unmatched-email yes
  forward-unmatched-to bounces@ours.example
</bounce-processor>
`);
  const plain = loadConfigText('<bounce-processor>\n  address b@x.example\n</bounce-processor>');
  const rcpts = ['abuse@fbl.example'];
  it.each<[string, ProcessorKind, ReportOutcome, string[]]>([
    ['fbl', 'fbl', 'matched', ['abuse@fbl.example']],
    ['fbl', 'fbl', 'unmatched', ['Postmaster@ours.example']],
    ['fbl', 'fbl', 'error', ['errors@ours.example']],
    // deliver-unmatched-email and forward-unmatched-to name the same address: once.
    ['bounce', 'bounce', 'unmatched', ['bounces@ours.example']],
    ['bounce', 'bounce', 'matched', []],
    ['bounce', 'bounce', 'error', []],
    ['plain', 'bounce', 'unmatched', []],
    ['plain', 'fbl', 'matched', []],
  ])('config %s, %s processor, %s mail: %j', (which, kind, outcome, expected) => {
    const recipients = kind === 'bounce' ? ['bounces@ours.example'] : rcpts;
    expect(reportForwardTo(which === 'plain' ? plain : config, kind, outcome, recipients)).toEqual(expected);
  });
});

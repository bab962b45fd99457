import { loadConfigText, VmtaSelector } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { MessageCollector } from './message-collector.js';
import { buildMessage, type BuildInput } from './message-builder.js';
import { sessionPolicy } from './session-state.js';

const config = loadConfigText(`
smtp-listener 127.0.0.1:0
<virtual-mta acme>
  smtp-source-host 127.0.0.4 acme.example
</virtual-mta>
<source 0/0>
  process-x-virtual-mta yes
  process-x-job yes
  max-message-hops 3
</source>
`);
const policy = sessionPolicy(config, '192.0.2.1', config.listeners[0]!);

function input(message: Buffer, headerBytes?: number): BuildInput {
  return {
    message,
    ...(headerBytes !== undefined ? { headerBytes } : {}),
    queueId: 'q1',
    policy,
    selector: new VmtaSelector(config),
    localIp: '127.0.0.1',
    hostName: 'mx.example',
    envelope: { mailFrom: 'a@example.com', recipients: ['b@example.net'] },
    received: { heloName: 'client.example', clientIp: '192.0.2.1', protocol: 'ESMTP' },
    now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  };
}

function collected(text: string): { message: Buffer; headerBytes: number } {
  const c = new MessageCollector({ maxHeaderBytes: 10_000 });
  c.push(Buffer.from(text, 'latin1'));
  const r = c.end();
  if (!r.ok) throw r.error;
  return r;
}

describe('buildMessage from the collector\'s header end', () => {
  it.each([
    ['X-Virtual-MTA and X-Job removed in one pass', 'X-Job: j1\r\nSubject: s\r\nX-Virtual-MTA: acme\r\n\r\nX-Virtual-MTA: body\r\n'],
    ['no header block', '\r\nbody only\r\n'],
    ['no body', 'Subject: s\r\nMessage-ID: <a@b>\r\n'],
  ])('builds the same message as a search for the header end: %s', (_what, text) => {
    const { message, headerBytes } = collected(text);
    const searched = buildMessage(config, input(message));
    const given = buildMessage(config, input(message, headerBytes));
    expect(given).toEqual(searched);
  });

  it('routes by X-Virtual-MTA, takes the job from X-Job and removes both, the body untouched', () => {
    const { message, headerBytes } = collected('X-Job: j1\r\nSubject: s\r\nX-Virtual-MTA: acme\r\n\r\nX-Virtual-MTA: body\r\n');
    const r = buildMessage(config, input(message, headerBytes));
    expect(r.ok && { vmta: r.selection.vmta, job: r.job }).toEqual({ vmta: 'acme', job: 'j1' });
    const text = r.ok ? r.body.toString('latin1') : '';
    expect(text).toMatch(/\r\nSubject: s\r\n\r\nX-Virtual-MTA: body\r\n$/);
    expect(text).not.toMatch(/^X-Job:/m);
  });

  it('refuses a message with max-message-hops Received fields as a loop', () => {
    const { message, headerBytes } = collected('Received: a\r\nreceived : b\r\nRECEIVED:c\r\n\r\nbody\r\n');
    const r = buildMessage(config, input(message, headerBytes));
    expect(r.ok ? undefined : r.error.code).toBe('MAIL_LOOP');
  });
});

import { loadConfigText, VmtaSelector } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { MessageCollector } from './message-collector.js';
import { joinMessage, type MessageParts } from './message-parts.js';
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

function input(message: Buffer | MessageParts, headerBytes?: number): BuildInput {
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
  return { message: joinMessage(r.message), headerBytes: r.headerBytes };
}

/** The collector's result for `text` pushed in pieces cut at `cuts`. */
function collectedInPieces(text: string, cuts: number[]): { message: MessageParts; headerBytes: number } {
  const c = new MessageCollector({ maxHeaderBytes: 10_000 });
  const bytes = Buffer.from(text, 'latin1');
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    c.push(bytes.subarray(at, cut));
    at = cut;
  }
  const r = c.end();
  if (!r.ok) throw r.error;
  return r;
}

describe('buildMessage from the collector\'s chunks', () => {
  it.each([
    ['header kept (our fields in front)', 'Subject: s\r\nFrom: <a@b>\r\n\r\nline one\r\nline two\r\n'],
    ['X-Virtual-MTA and X-Job removed', 'X-Job: j1\r\nSubject: s\r\nX-Virtual-MTA: acme\r\n\r\nX-Virtual-MTA: body\r\n'],
    ['no header block', '\r\nbody only\r\n'],
    ['no body', 'Subject: s\r\nMessage-ID: <a@b>\r\n'],
  ])('builds the same bytes as from one buffer, for a cut at every byte and for three pieces: %s', (_what, text) => {
    const whole = collected(text);
    const expected = buildMessage(config, input(whole.message, whole.headerBytes));
    expect(expected.ok).toBe(true);
    const n = whole.message.length;
    const cuts = [...Array.from({ length: n + 1 }, (_, i) => [i]), [1, n - 1], [3, Math.floor(n / 2)], [0, 0, n]];
    for (const cut of cuts) {
      const { message, headerBytes } = collectedInPieces(text, cut);
      expect(buildMessage(config, input(message, headerBytes))).toEqual(expected);
    }
  });
});

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

  it.each([
    ['no', 2],
    ['yes', 0],
  ])('remove-received-headers %s: the Received fields the message came with (folded ones whole) are kept or removed, ours is added', (setting, kept) => {
    const c = loadConfigText(`smtp-listener 127.0.0.1:0\n<source 0/0>\n  remove-received-headers ${setting}\n</source>\n`);
    const p = sessionPolicy(c, '192.0.2.1', c.listeners[0]!);
    const { message, headerBytes } = collected('Received: from a\r\n\tby b; Mon, 1 Jan 2026 00:00:00 +0000\r\nSubject: s\r\nreceived: from c\r\n\r\nReceived: in the body\r\n');
    const r = buildMessage(c, { ...input(message, headerBytes), policy: p, selector: new VmtaSelector(c) });
    const text = r.ok ? r.body.toString('latin1') : '';
    const header = text.slice(0, text.indexOf('\r\n\r\n') + 2);
    expect(header.match(/^Received: from /gim)?.length).toBe(kept + 1);
    expect(header).toMatch(/^Received: from client\.example \(\[192\.0\.2\.1\]\) by mx\.example with ESMTP id q1;/);
    // The folded line goes with its field.
    expect(header.includes('\tby b;')).toBe(kept > 0);
    expect(text).toMatch(/\r\n\r\nReceived: in the body\r\n$/);
  });

  it('refuses a message with max-message-hops Received fields as a loop', () => {
    const { message, headerBytes } = collected('Received: a\r\nreceived : b\r\nRECEIVED:c\r\n\r\nbody\r\n');
    const r = buildMessage(config, input(message, headerBytes));
    expect(r.ok ? undefined : r.error.code).toBe('MAIL_LOOP');
  });
});

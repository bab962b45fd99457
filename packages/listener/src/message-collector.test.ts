import { describe, expect, it } from 'vitest';
import { MessageCollector } from './message-collector.js';

function collect(chunks: string[], limits = { maxHeaderBytes: 100 }) {
  const c = new MessageCollector(limits);
  for (const ch of chunks) c.push(Buffer.from(ch, 'latin1'));
  return c.finish();
}

describe('MessageCollector', () => {
  it('returns the message unchanged when every line ends with CRLF, whatever the chunking', () => {
    const r = collect(['Subject: a\r', '\n\r', '\nbody\r\n']);
    expect(r).toEqual({ ok: true, message: Buffer.from('Subject: a\r\n\r\nbody\r\n') });
  });

  it.each([
    ['a bare LF', ['a\nb\r\n'], 'BARE_LINE_ENDING'],
    ['a bare CR', ['a\rb\r\n'], 'BARE_LINE_ENDING'],
    ['a bare CR at a chunk end followed by text', ['a\r', 'b\r\n'], 'BARE_LINE_ENDING'],
    ['a CR at the very end', ['a\r'], 'BARE_LINE_ENDING'],
    ['a header block over the limit', [`X: ${'y'.repeat(120)}\r\n\r\nbody\r\n`], 'MESSAGE_TOO_BIG'],
  ])('rejects %s', (_name, chunks, code) => {
    const r = collect(chunks);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe(code);
  });

  it('rejects a message over maxBytes with 552 5.3.4 and keeps counting the bytes', () => {
    const r = collect(['a'.repeat(60), 'b'.repeat(60)], { maxHeaderBytes: 1000, maxBytes: 100 } as never);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.response).toBe('552 5.3.4 Message size exceeds fixed maximum message size of 100 bytes');
      expect(r.bytes).toBe(120);
    }
  });
});

/**
 * patches/smtp-server@3.21.6.patch changes how smtp-server's SMTPStream finds the end of DATA
 * (`_feedDataStream`): it jumps from one "\n." to the next with Buffer#indexOf instead of looking at every
 * byte in JavaScript, and it no longer copies each chunk to put the four bytes held back from the last
 * chunk in front of it, unless a line starting with a dot could begin within them. This is the code that
 * decides where a message ends (SMTP smuggling), so these tests hold the patched stream, ESM and CommonJS
 * builds, to `reference` below: our byte-by-byte statement of where the published stream ends DATA, which
 * escape dots it removes and what it hands back to command mode, over random streams of dots, CR, LF and
 * other bytes cut into random chunks (the published stream gave the same answers on these seeds).
 */
import type { PassThrough, Writable } from 'node:stream';
import { seededRandom } from '@vmta/testing';
import { describe, expect, it } from 'vitest';
import { smtpStreamBuilds } from './testing/smtp-stream-builds.js';

interface SmtpStream extends Writable {
  oncommand: (line: Buffer, next?: () => void) => void;
  startDataMode(maxBytes?: number): PassThrough & { byteLength: number };
  continue(): void;
  dataBytes: number;
}
type SmtpStreamClass = new () => SmtpStream;

const builds = await smtpStreamBuilds<SmtpStreamClass>();

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/**
 * Where the published stream ends DATA in `s` (every byte the client sent after the DATA command), one
 * byte at a time: a first line of "." ends it at once and ".." at the start loses its first dot; after
 * that, a dot right after an LF (from the third byte on) ends DATA when it stands between CRLF and CRLF
 * and is removed when another dot follows it (the dot kept is content, never a line start). The CRLF in
 * front of the ending dot is content. `end`: the index after the ending CRLF, or undefined.
 */
function reference(s: Buffer): { content: Buffer; end: number | undefined } {
  if (s.length >= 3 && s[0] === DOT && s[1] === CR && s[2] === LF) return { content: Buffer.alloc(0), end: 3 };
  const parts: Buffer[] = [];
  let start = 0;
  let from = 2;
  if (s.length >= 2 && s[0] === DOT && s[1] === DOT) {
    start = 1;
    from = 3;
  }
  for (let i = from; i + 2 < s.length; i++) {
    if (s[i] !== DOT || s[i - 1] !== LF) continue;
    if (s[i - 2] === CR && s[i + 1] === CR && s[i + 2] === LF) {
      parts.push(s.subarray(start, i));
      return { content: Buffer.concat(parts), end: i + 3 };
    }
    if (s[i + 1] === DOT) {
      parts.push(s.subarray(start, i));
      start = i + 1;
      i += 2;
    }
  }
  return { content: Buffer.concat(parts), end: undefined };
}

/** What command mode gets from the bytes after DATA: its lines, the last one flushed at the end. */
function commandsOf(rest: Buffer): string[] {
  const lines = rest.toString('latin1').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

interface Outcome {
  content: Buffer;
  dataBytes: number;
  ended: boolean;
  commands: string[];
  /** Every buffer the data stream emitted. */
  emitted: Buffer[];
}

/** Writes `chunks` into a stream in data mode, waiting for each write's callback, then ends it. */
async function feed(Stream: SmtpStreamClass, chunks: Buffer[]): Promise<Outcome> {
  const stream = new Stream();
  const commands: string[] = [];
  stream.oncommand = (line, next) => {
    commands.push(line.toString('latin1'));
    next?.();
  };
  const data = stream.startDataMode();
  const emitted: Buffer[] = [];
  let ended = false;
  data.on('data', (b: Buffer) => emitted.push(b));
  data.on('end', () => {
    ended = true;
    stream.continue();
  });
  for (const chunk of chunks) {
    await new Promise<void>((resolve, reject) => stream.write(chunk, (err) => (err ? reject(err) : resolve())));
  }
  await new Promise<void>((resolve) => stream.end(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  return { content: Buffer.concat(emitted), dataBytes: ended ? data.byteLength : stream.dataBytes, ended, commands, emitted };
}

/** Streams where what matters is frequent: dots, CR, LF, CRLF, and now and then a line of text. */
function denseStream(r: (n: number) => number, size: number): Buffer {
  const bytes = [CR, LF, DOT, DOT, 0x41];
  const out: number[] = [];
  while (out.length < size) {
    const k = r(12);
    if (k === 0) out.push(CR, LF, DOT, CR, LF);
    else if (k === 1) out.push(CR, LF, DOT, DOT);
    else if (k === 2) out.push(...Buffer.from('text line'));
    else out.push(bytes[r(bytes.length)]!);
  }
  return Buffer.from(out);
}

/** Mail-like streams: CRLF lines of text, some starting with one or two dots, some with a bare LF or CR. */
function mailStream(r: (n: number) => number, lines: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < lines; i++) {
    const lead = ['', '', '', '', '.', '..', '...'][r(7)]!;
    const text = 'x'.repeat(r(90));
    const end = ['\r\n', '\r\n', '\r\n', '\r\n', '\r\n', '\n', '\r'][r(7)]!;
    parts.push(lead + text + end);
  }
  return Buffer.from(`${parts.join('')}.\r\nQUIT\r\n`, 'latin1');
}

function cut(r: (n: number) => number, s: Buffer, maxChunk: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < s.length; ) {
    const n = 1 + r(maxChunk);
    chunks.push(s.subarray(at, at + n));
    at += n;
  }
  return chunks;
}

async function expectLikeReference(Stream: SmtpStreamClass, s: Buffer, chunks: Buffer[]): Promise<void> {
  const want = reference(s);
  const got = await feed(Stream, chunks);
  const context = `stream ${JSON.stringify(s.toString('latin1'))}, chunks ${chunks.map((c) => c.length).join(',')}`;
  expect(got.ended, context).toBe(want.end !== undefined);
  if (want.end === undefined) return;
  expect(got.content.toString('latin1'), context).toBe(want.content.toString('latin1'));
  expect(got.dataBytes, context).toBe(want.content.length);
  expect(got.commands, context).toEqual(commandsOf(s.subarray(want.end)));
}

describe.each(Object.entries(builds))('the patched SMTPStream (%s build)', (_build, Stream) => {
  it('ends DATA, removes escape dots and hands the rest to command mode as the byte-by-byte statement says', async () => {
    const r = seededRandom(20261205);
    for (let round = 0; round < 600; round++) {
      const s = Buffer.concat([denseStream(r, 1 + r(200)), Buffer.from('\r\n.\r\nQUIT\r\n')]);
      await expectLikeReference(Stream, s, cut(r, s, 1 + r(24)));
    }
  });

  it('does the same on mail-like streams in chunks of up to 4 KB', async () => {
    const r = seededRandom(1305);
    for (let round = 0; round < 300; round++) {
      const s = mailStream(r, 1 + r(120));
      await expectLikeReference(Stream, s, cut(r, s, 1 + r(4096)));
    }
  });

  it.each([
    ['a lone dot after a bare LF', 'body\n.\nMAIL FROM:<x@evil>\r\n.\r\nQUIT\r\n'],
    ['a lone dot after a bare CR', 'body\r.\rMAIL FROM:<x@evil>\r\n.\r\nQUIT\r\n'],
    ['a dot line ended by a bare LF', 'body\r\n.\nMAIL FROM:<x@evil>\r\n.\r\nQUIT\r\n'],
    ['a dot line after a bare LF ended by CRLF', 'body\n.\r\nMAIL FROM:<x@evil>\r\n.\r\nQUIT\r\n'],
    ['an escaped dot line', 'body\r\n..\r\nstill body\r\n.\r\nQUIT\r\n'],
    ['a first line of one escaped dot', '..\r\nbody\r\n.\r\nQUIT\r\n'],
    ['an empty message', '.\r\nQUIT\r\n'],
    ['a message of one empty line', '\r\n.\r\nQUIT\r\n'],
  ])('treats %s as the statement says, however the bytes are cut', async (_what, text) => {
    const s = Buffer.from(text, 'latin1');
    // Every cut into two chunks, and every byte its own chunk.
    for (let at = 1; at < s.length; at++) await expectLikeReference(Stream, s, [s.subarray(0, at), s.subarray(at)]);
    await expectLikeReference(Stream, s, [...s].map((b) => Buffer.from([b])));
  });

  it('emits the bytes of a chunk as they came, without copying them to join the bytes held back from the last one', async () => {
    const line = Buffer.from(`${'y'.repeat(76)}\r\n`);
    const chunks = [Buffer.concat(Array(100).fill(line)), Buffer.concat(Array(100).fill(line)), Buffer.from('\r\n.\r\n')];
    const got = await feed(Stream, chunks);
    expect(got.ended).toBe(true);
    // The last line's CRLF and the empty line's CRLF before the dot are content.
    expect(got.content.equals(Buffer.concat([chunks[0]!, chunks[1]!, Buffer.from('\r\n')]))).toBe(true);
    // The second chunk's bytes reach the data stream in the memory they arrived in.
    expect(got.emitted.some((b) => b.length > 1000 && b.buffer === chunks[1]!.buffer && b.byteOffset === chunks[1]!.byteOffset)).toBe(true);
  });

  it('emits a chunk full of escape dots in one piece, not one piece per dot (a message of "..\\r\\n" lines)', async () => {
    const dots = Buffer.from('..\r\n'.repeat(10_000));
    const got = await feed(Stream, [dots, dots, Buffer.from('.\r\n')]);
    expect(got.ended).toBe(true);
    expect(got.content.toString('latin1')).toBe('.\r\n'.repeat(20_000));
    expect(got.emitted.length).toBeLessThanOrEqual(4);
  });
});

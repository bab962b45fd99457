/**
 * patches/smtp-server@3.21.6.patch: a command line over maxCommandLength is answered (`onlinetoolong`) as
 * soon as that many bytes of it have come, and the rest of it is dropped as it arrives: what the parser
 * holds does not grow with the line. ESM and CommonJS builds.
 */
import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { smtpStreamBuilds } from './testing/smtp-stream-builds.js';

interface SmtpStream extends Writable {
  oncommand: (line: Buffer, next: () => void) => void;
  onlinetoolong: (next: () => void, head?: string) => void;
  _remainder: string;
}
type SmtpStreamClass = new (options?: { maxCommandLength?: number }) => SmtpStream;

const builds = await smtpStreamBuilds<SmtpStreamClass>();

function write(s: Writable, data: string): Promise<void> {
  return new Promise((resolve, reject) => s.write(Buffer.from(data, 'latin1'), (err) => (err ? reject(err) : resolve())));
}

describe.each(Object.entries(builds))('the patched SMTPStream (%s build) on an endless command line', (_build, Stream) => {
  it('answers once the line passes the limit and holds nothing of it while megabytes more come', async () => {
    const s = new Stream({ maxCommandLength: 4096 });
    const commands: string[] = [];
    const tooLong: Array<string | undefined> = [];
    s.oncommand = (line, next) => {
      commands.push(line.toString());
      next();
    };
    s.onlinetoolong = (next, head) => {
      tooLong.push(head);
      next();
    };
    await write(s, 'MAIL FROM:<');
    const piece = 'x'.repeat(64 * 1024);
    await write(s, piece);
    expect(tooLong).toEqual(['MAIL FROM:<xxxxx']);
    let held = 0;
    for (let i = 0; i < 128; i++) {
      await write(s, piece);
      held = Math.max(held, s._remainder.length);
    }
    expect(held).toBe(0);
    await write(s, 'x>\r\nNOOP\r\n');
    expect(tooLong).toHaveLength(1);
    expect(commands).toEqual(['NOOP']);
  });

  it('answers a line that ends within the chunk that passed the limit once, when it is read', async () => {
    const s = new Stream({ maxCommandLength: 4096 });
    const seen: string[] = [];
    s.oncommand = (line, next) => {
      seen.push(line.toString());
      next();
    };
    s.onlinetoolong = (next, head) => {
      seen.push(`too long: ${head}`);
      next();
    };
    await write(s, `NOOP\r\nAUTH PLAIN ${'Q'.repeat(5000)}\r\nRSET\r\n`);
    expect(seen).toEqual(['NOOP', 'too long: AUTH PLAIN QQQQQ', 'RSET']);
  });
});

/**
 * Collects the DATA of one message (already dot-unstuffed by smtp-server) while checking it on the fly:
 * the size limit on the bytes actually sent, the size of the header block, and bare CR / bare LF (the
 * SMTP smuggling vector: only CRLF may end a line). Once a limit is hit nothing more is kept, but the
 * caller still drains the stream so the reply comes after the data and the connection stays usable.
 */
import { replies, SmtpReplyError } from './policy/index.js';

export interface CollectorLimits {
  /** max-message-size in bytes; undefined = unlimited. */
  maxBytes?: number;
  /** Largest header block accepted (bytes up to and including the empty line). */
  maxHeaderBytes: number;
}

export type CollectResult = { ok: true; message: Buffer } | { ok: false; error: SmtpReplyError; bytes: number };

const CR = 0x0d;
const LF = 0x0a;

export class MessageCollector {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  private error: SmtpReplyError | undefined;
  /** The previous byte was a CR whose LF has not been seen yet. */
  private pendingCr = false;
  /** Bytes of the current line so far (0 right after a CRLF), for finding the empty line. */
  private lineLength = 0;
  private headerDone = false;

  constructor(private readonly limits: CollectorLimits) {}

  push(chunk: Buffer): void {
    const start = this.bytes;
    this.bytes += chunk.length;
    if (this.error) return;
    if (this.limits.maxBytes !== undefined && this.bytes > this.limits.maxBytes) {
      this.fail(replies.messageTooBig(this.limits.maxBytes));
      return;
    }
    // Line by line with native byte searches (a JavaScript loop per byte cost a few % of the listener).
    let pos = 0;
    if (this.pendingCr) {
      if (chunk.length === 0) return void this.chunks.push(chunk);
      if (chunk[0] !== LF) return this.fail(replies.bareLineEnding('CR'));
      this.pendingCr = false;
      if (this.endLine(start + 1)) return;
      pos = 1;
    }
    while (pos < chunk.length) {
      const cr = chunk.indexOf(CR, pos);
      const lf = chunk.indexOf(LF, pos);
      // An LF before the next CR has no CR in front of it.
      if (lf !== -1 && (cr === -1 || lf < cr)) return this.fail(replies.bareLineEnding('LF'));
      if (cr === -1) {
        this.lineLength += chunk.length - pos;
        break;
      }
      this.lineLength += cr - pos;
      if (cr + 1 === chunk.length) {
        this.pendingCr = true;
        break;
      }
      if (chunk[cr + 1] !== LF) return this.fail(replies.bareLineEnding('CR'));
      if (this.endLine(start + cr + 2)) return;
      pos = cr + 2;
    }
    if (!this.headerDone && this.bytes > this.limits.maxHeaderBytes) return this.headerTooBig();
    this.chunks.push(chunk);
  }

  /** The end of the data: the whole message, or the first problem found. */
  end(): CollectResult {
    if (!this.error && this.pendingCr) this.fail(replies.bareLineEnding('CR'));
    if (this.error) return { ok: false, error: this.error, bytes: this.bytes };
    return { ok: true, message: Buffer.concat(this.chunks, this.bytes) };
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** A CRLF ended a line at `offset` (bytes so far, CRLF included); true when that broke a limit. */
  private endLine(offset: number): boolean {
    if (!this.headerDone && this.lineLength === 0) {
      this.headerDone = true;
      if (offset > this.limits.maxHeaderBytes) {
        this.headerTooBig();
        return true;
      }
    }
    this.lineLength = 0;
    return false;
  }

  private headerTooBig(): void {
    this.fail(new SmtpReplyError('MESSAGE_TOO_BIG', 552, '5.3.4', `Message header exceeds ${this.limits.maxHeaderBytes} bytes`, { command: 'DATA' }));
  }

  private fail(error: SmtpReplyError): void {
    this.error ??= error;
    this.chunks.length = 0;
  }
}

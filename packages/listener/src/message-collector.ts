/**
 * Collects the DATA of one message (already dot-unstuffed by smtp-server) while checking it on the fly:
 * the size limit on the bytes actually sent, the size of the header block, and bare CR / bare LF (the
 * SMTP smuggling vector: only CRLF may end a line). Once a limit is hit nothing more is kept, but the
 * caller still drains the stream so the reply comes after the data and the connection stays usable.
 */
import type { MessageParts } from './message-parts.js';
import { replies, SmtpReplyError } from './policy/index.js';

export interface CollectorLimits {
  /** max-message-size in bytes; undefined = unlimited. */
  maxBytes?: number;
  /** Largest header block accepted (bytes up to and including the empty line). */
  maxHeaderBytes: number;
  /** The memory every session of the process shares for DATA it holds; past it the message gets 452 4.3.1. */
  budget?: ByteBudget;
}

/** Bytes of DATA that all sessions of a process may hold at once. */
export class ByteBudget {
  private used = 0;
  constructor(readonly limitBytes: number) {}

  /** Takes `n` bytes; false (nothing taken) when that would pass the limit. */
  take(n: number): boolean {
    if (this.used + n > this.limitBytes) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }

  get usedBytes(): number {
    return this.used;
  }
}

/**
 * `message`: the chunks as pushed, not joined (buildMessage joins them once, into what is queued).
 * `headerBytes`: where the header block ends, its empty line included (the whole message when it has none).
 */
export type CollectResult = { ok: true; message: MessageParts; headerBytes: number } | { ok: false; error: SmtpReplyError; bytes: number };

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
  /** Bytes up to and including the empty line that ends the header block, once it was seen. */
  private headerBytes = 0;
  /** Bytes taken from the shared budget for the chunks kept. */
  private held = 0;

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
      if (chunk.length === 0) return;
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
    this.keep(chunk);
  }

  /** Gives the memory of the kept chunks back to the shared budget (once the message is queued or refused). */
  release(): void {
    this.limits.budget?.give(this.held);
    this.held = 0;
  }

  private keep(chunk: Buffer): void {
    const budget = this.limits.budget;
    if (budget) {
      if (!budget.take(chunk.length)) return this.fail(replies.insufficientStorage());
      this.held += chunk.length;
    }
    this.chunks.push(chunk);
  }

  /** The end of the data: the whole message, or the first problem found. */
  end(): CollectResult {
    if (!this.error && this.pendingCr) this.fail(replies.bareLineEnding('CR'));
    if (this.error) return { ok: false, error: this.error, bytes: this.bytes };
    return { ok: true, message: { chunks: this.chunks, bytes: this.bytes }, headerBytes: this.headerDone ? this.headerBytes : this.bytes };
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** A CRLF ended a line at `offset` (bytes so far, CRLF included); true when that broke a limit. */
  private endLine(offset: number): boolean {
    if (!this.headerDone && this.lineLength === 0) {
      this.headerDone = true;
      this.headerBytes = offset;
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
    this.release();
  }
}

/** SMTP replies read from a socket, for the bench's own clients. */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface Reply {
  code: number;
  text: string;
}

/** SMTP replies from a socket; a multi-line reply ("250-...") resolves at its last line. */
export class Replies {
  private buf = '';
  private waiting: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private ready: Reply[] = [];
  private failed: Error | undefined;
  private readonly onData = (chunk: string) => {
    this.buf += chunk;
    let i: number;
    while ((i = this.buf.indexOf('\r\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 2);
      if (line.length >= 4 && line[3] === '-') continue;
      const reply = { code: Number(line.slice(0, 3)), text: line };
      const w = this.waiting.shift();
      if (w) w.resolve(reply);
      else this.ready.push(reply);
    }
  };
  private readonly onEnd = (err?: Error) => {
    this.failed = err instanceof Error ? err : new Error('connection closed');
    for (const w of this.waiting.splice(0)) w.reject(this.failed);
  };
  constructor(private readonly socket: Socket | TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', this.onData);
    socket.on('error', this.onEnd);
    socket.on('close', () => this.onEnd());
  }
  /** Stops reading (before the socket is handed to TLS). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('error', this.onEnd);
    this.socket.removeAllListeners('close');
  }
  next(): Promise<Reply> {
    const r = this.ready.shift();
    if (r) return Promise.resolve(r);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}

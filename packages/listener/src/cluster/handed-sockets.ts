/**
 * A child of a multi-process listener gets its sockets from the primary (primary.ts), each with the
 * listener's connection counts at hand-off (connection-book.ts). onConnect takes them by the client's
 * address and port to decide total-max-smtp-in and max-smtp-in-per-ip over every child, not its own
 * sessions alone, and the session's end tells the primary (`closed`). The raw socket's own 'close' is not
 * enough: smtp-server removes every listener of the raw socket at STARTTLS; it still covers a socket that
 * never became a session (a failed implicit-TLS handshake).
 */
import type { Socket } from 'node:net';
import type { HandedCounts } from './connection-book.js';

interface Handed {
  counts: HandedCounts;
  closed: () => void;
}

export class HandedSockets {
  private readonly byAddress = new Map<string, Handed>();
  private readonly bySession = new Map<string, () => void>();

  /** `closed` is called once, when the session of this socket ends or the socket closes first. */
  put(socket: Socket, counts: HandedCounts, closed: () => void): void {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    let done = false;
    const once = () => {
      if (done) return;
      done = true;
      closed();
    };
    this.byAddress.set(key, { counts, closed: once });
    socket.once('close', () => {
      if (this.byAddress.get(key)?.closed === once) this.byAddress.delete(key);
      once();
    });
  }

  /** The counts handed with the session's socket (once), undefined for a socket this process accepted itself. */
  take(sessionId: string, remoteAddress: string | undefined, remotePort: number | undefined): HandedCounts | undefined {
    const key = keyOf(remoteAddress, remotePort);
    const h = this.byAddress.get(key);
    if (!h) return undefined;
    this.byAddress.delete(key);
    this.bySession.set(sessionId, h.closed);
    return h.counts;
  }

  /** The session ended (smtp-server's onClose). */
  sessionClosed(sessionId: string): void {
    const closed = this.bySession.get(sessionId);
    if (!closed) return;
    this.bySession.delete(sessionId);
    closed();
  }
}

function keyOf(address: string | undefined, port: number | undefined): string {
  return `${address ?? ''}|${port ?? 0}`;
}

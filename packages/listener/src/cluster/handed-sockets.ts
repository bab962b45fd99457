/**
 * A child of a multi-process listener gets its sockets from the primary (primary.ts), each with the
 * listener's connection counts at hand-off (connection-book.ts). onConnect takes them by the client's
 * address and port to decide total-max-smtp-in and max-smtp-in-per-ip over every child, not its own
 * sessions alone.
 */
import type { Socket } from 'node:net';
import type { HandedCounts } from './connection-book.js';

export class HandedSockets {
  private readonly counts = new Map<string, HandedCounts>();

  put(socket: Socket, counts: HandedCounts): void {
    const key = keyOf(socket.remoteAddress, socket.remotePort);
    this.counts.set(key, counts);
    // A socket that never reaches onConnect (a failed TLS handshake) leaves nothing behind.
    socket.once('close', () => this.counts.delete(key));
  }

  /** The counts handed with the session's socket (once), undefined for a socket this process accepted itself. */
  take(remoteAddress: string | undefined, remotePort: number | undefined): HandedCounts | undefined {
    const key = keyOf(remoteAddress, remotePort);
    const c = this.counts.get(key);
    if (c) this.counts.delete(key);
    return c;
  }
}

function keyOf(address: string | undefined, port: number | undefined): string {
  return `${address ?? ''}|${port ?? 0}`;
}

/**
 * Session ids without a random-number call per connection. smtp-server 3.21 makes each id from
 * `crypto.randomBytes(10)` and a BigInt (about 20 µs of the listener's CPU per connection on loads that
 * open a connection per message, pnpm bench senders). Ours are the same shape (16 base-32 characters,
 * 80 random bits: unique in practice, unguessable) cut from a pool of random bytes refilled once every
 * POOL_IDS ids.
 */
import { randomFillSync } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';

const ID_BYTES = 10;
const POOL_IDS = 512;
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const pool = Buffer.alloc(ID_BYTES * POOL_IDS);
let offset = pool.length;

/** 16 characters of [0-9a-v], 5 bits each from 10 random bytes: smtp-server's own id format. */
export function nextSessionId(): string {
  if (offset >= pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  let id = '';
  // Two groups of 40 bits (5 bytes), each exactly 8 characters.
  for (let group = 0; group < 2; group++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) bits = bits * 256 + pool[offset++]!;
    let chars = '';
    for (let i = 0; i < 8; i++) {
      chars = ALPHABET[bits % 32]! + chars;
      bits = Math.floor(bits / 32);
    }
    id += chars;
  }
  return id;
}

/**
 * Installs nextSessionId on one server: a socket without a PROXY header gets its id from the pool (and is
 * handed on after a setImmediate, as smtp-server does); a PROXY-protocol socket goes through smtp-server's
 * own code. Pinned to smtp-server 3.21.x (`_handleProxy`, `_expectsProxyHeader`).
 */
export function pooledSessionIds(server: SMTPServer): void {
  const handleProxy = server._handleProxy.bind(server);
  server._handleProxy = (socket: Socket, callback) => {
    if (server._expectsProxyHeader(socket)) return handleProxy(socket, callback);
    const ignore = server.options.ignoredHosts?.includes(socket.remoteAddress ?? '');
    setImmediate(() => callback(null, { id: nextSessionId(), ignore }));
  };
}

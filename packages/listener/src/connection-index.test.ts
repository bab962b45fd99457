import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { findConnection, indexConnections } from './connection-patches.js';

async function greeted(port: number): Promise<Socket> {
  const socket = createConnection(port, '127.0.0.1');
  await once(socket, 'data');
  return socket;
}

describe('indexConnections', () => {
  it('finds a session by id without walking every connection, and forgets it when it closes', async () => {
    const ids: string[] = [];
    const closed: string[] = [];
    const server = new SMTPServer({
      disableReverseLookup: true,
      logger: false,
      disabledCommands: ['STARTTLS'],
      onConnect: (s, cb) => (ids.push(s.id), cb()),
      onClose: (s) => closed.push(s.id),
    });
    indexConnections(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    const [a, b] = [await greeted(port), await greeted(port)];
    const walk = server.connections[Symbol.iterator];
    server.connections[Symbol.iterator] = () => {
      throw new Error('walked every connection');
    };
    expect(findConnection(server, ids[0]!)?.session.id).toBe(ids[0]);
    expect(findConnection(server, ids[1]!)?.session.id).toBe(ids[1]);
    expect(findConnection(server, 'no-such-session')).toBeUndefined();
    server.connections[Symbol.iterator] = walk;
    a.end('QUIT\r\n');
    await once(a, 'close');
    await expect.poll(() => closed).toEqual([ids[0]]);
    expect(findConnection(server, ids[0]!)).toBeUndefined();
    expect(findConnection(server, ids[1]!)?.session.id).toBe(ids[1]);
    b.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

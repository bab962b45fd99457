import { once } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { generate } from 'selfsigned';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { RawSmtp } from './testing/smtp-test-kit.js';
import { findConnection, greetAtOnce, indexConnections, patchConnection, type Connection, type ConnectionHooks } from './connection-patches.js';

async function greeted(port: number): Promise<Socket> {
  const socket = createConnection(port, '127.0.0.1');
  await once(socket, 'data');
  return socket;
}

/** An smtp-server whose connections greet at once and are patched with `hooks`; `onClose` hears each session end; `tls`: STARTTLS offered. */
async function patchedServer(hooks: ConnectionHooks, onClose?: (id: string) => void, tls?: { key: string; cert: string }): Promise<{ server: SMTPServer; port: number }> {
  const server: SMTPServer = new SMTPServer({
    disableReverseLookup: true,
    logger: false,
    ...(tls ? { ...tls, authOptional: true } : { disabledCommands: ['STARTTLS'] }),
    onConnect: (s, cb) => {
      patchConnection(findConnection(server, s.id)!, hooks);
      cb();
    },
    onClose: (s) => onClose?.(s.id),
  });
  indexConnections(server);
  greetAtOnce(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as { port: number }).port };
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

describe('patchConnection', () => {
  it('gives every connection the same functions, and tells each hook which connection asks', async () => {
    const asked: string[] = [];
    const hooks: ConnectionHooks = {
      features: (conn, features) => (asked.push(`features ${conn.session.id}`), [...features, 'X-TEST']),
      beforeAuth: async () => undefined,
      beforeCommand: (conn, line) => (asked.push(`${line} ${conn.session.id}`), undefined),
      failed: () => undefined,
    };
    const { server, port } = await patchedServer(hooks);
    const [a, b] = [await greeted(port), await greeted(port)];
    const [ca, cb] = [...server.connections] as Connection[];
    for (const name of ['_onCommand', 'send', 'handler_EHLO', 'handler_AUTH', 'handler_QUIT', 'init'] as const) {
      expect(Object.hasOwn(ca!, name), name).toBe(true);
      expect(ca![name], name).toBe(cb![name]);
    }
    a.write('EHLO a.example\r\n');
    let reply = '';
    a.on('data', (d: Buffer) => (reply += d.toString()));
    await expect.poll(() => reply).toMatch(/250 /);
    expect(reply).toMatch(/X-TEST/);
    expect(asked).toEqual([`EHLO a.example ${ca!.session.id}`, `features ${ca!.session.id}`]);
    a.destroy();
    b.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('ends the session once its 221 to QUIT is flushed, without waiting for the client to close its side', async () => {
    const closed: string[] = [];
    const hooks: ConnectionHooks = { features: (_c, f) => f, beforeAuth: async () => undefined, beforeCommand: () => undefined, failed: () => undefined };
    const { server, port } = await patchedServer(hooks, (id) => closed.push(id));
    // allowHalfOpen: the client reads the server's FIN and keeps its own side open, as a client that never closes.
    const client = createConnection({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(client, 'data');
    const id = [...server.connections][0]!.session.id;
    let reply = '';
    client.on('data', (d: Buffer) => (reply += d.toString()));
    const ended = once(client, 'end');
    client.write('QUIT\r\n');
    await ended;
    expect(reply).toMatch(/^221 /);
    // smtp-server alone keeps a half-closed session until the client closes its side or its 5 s deadline passes.
    await expect.poll(() => closed, { timeout: 2000 }).toEqual([id]);
    expect(client.destroyed).toBe(false);
    client.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('after STARTTLS as well: the client reads its 221 over TLS, then the session ends', async () => {
    const closed: string[] = [];
    const hooks: ConnectionHooks = { features: (_c, f) => f, beforeAuth: async () => undefined, beforeCommand: () => undefined, failed: () => undefined };
    const pem = await generate([{ name: 'commonName', value: 'mx.example' }], { keyType: 'ec', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 86_400_000) });
    const { server, port } = await patchedServer(hooks, (id) => closed.push(id), { key: pem.private, cert: pem.cert });
    const c = await RawSmtp.connect(port);
    expect((await c.read()).code).toBe(220);
    await c.command('EHLO client.example');
    expect((await c.command('STARTTLS')).code).toBe(220);
    await c.startTls();
    expect((await c.command('EHLO client.example')).code).toBe(250);
    expect((await c.command('QUIT')).code).toBe(221);
    await c.closedByServer();
    await expect.poll(() => closed.length).toBe(1);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

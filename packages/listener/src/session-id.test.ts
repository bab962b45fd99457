import { createConnection } from 'node:net';
import { once } from 'node:events';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { nextSessionId, pooledSessionIds } from './session-id.js';

describe('nextSessionId', () => {
  it('makes ids of 16 base-32 characters, as smtp-server does', () => {
    for (let i = 0; i < 2000; i++) expect(nextSessionId()).toMatch(/^[0-9a-v]{16}$/);
  });

  it('never repeats an id across refills of the random pool', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(nextSessionId());
    expect(ids.size).toBe(20_000);
  });

  it('uses every character of the alphabet in every position', () => {
    const seen = Array.from({ length: 16 }, () => new Set<string>());
    for (let i = 0; i < 5000; i++) [...nextSessionId()].forEach((c, k) => seen[k]!.add(c));
    for (const s of seen) expect(s.size).toBe(32);
  });
});

describe('pooledSessionIds', () => {
  it('gives a connection a pooled id and greets it as before', async () => {
    const ids: string[] = [];
    const server = new SMTPServer({ disableReverseLookup: true, logger: false, disabledCommands: ['STARTTLS'], onConnect: (s, cb) => (ids.push(s.id), cb()) });
    pooledSessionIds(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as { port: number }).port;
    const socket = createConnection(port, '127.0.0.1');
    const [greeting] = (await once(socket, 'data')) as [Buffer];
    expect(greeting.toString()).toMatch(/^220 /);
    socket.end('QUIT\r\n');
    await once(socket, 'close');
    await new Promise<void>((resolve) => server.close(() => resolve()));
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^[0-9a-v]{16}$/);
  });
});

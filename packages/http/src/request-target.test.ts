/** The request target over real sockets (absolute-form, `OPTIONS *`), the Host rules of RFC 9112 §3.2, a half-closed client. */
import { connect } from 'node:net';
import { loadConfigText } from '@vmta/config';
import { getTestRedis, type TestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpManagement, type RunningHttpManagement } from './index.js';
import { readTarget } from './request-target.js';

describe('readTarget', () => {
  it.each([
    ['/status', { path: '/status', query: '' }],
    ['/history?minutes=5', { path: '/history', query: 'minutes=5' }],
    ['http://127.0.0.1:8080/history?minutes=5', { path: '/history', query: 'minutes=5', authority: '127.0.0.1:8080' }],
    ['HTTP://localhost', { path: '/', query: '', authority: 'localhost' }],
    ['*', { path: '*', query: '' }],
    ['status', undefined],
    ['ftp://127.0.0.1/status', undefined],
    ['http://user@127.0.0.1/status', undefined],
    ['http:///status', undefined],
  ])('reads %j', (url, want) => {
    expect(readTarget(url)).toEqual(want);
  });
});

describe('the management HTTP server as a raw client sees it', () => {
  let t: TestRedis;
  let server: RunningHttpManagement;

  /** The status line and the headers asked for, of the answer to `head` (request line and headers, no body). */
  async function ask(head: string[], ...headers: string[]): Promise<string[]> {
    const socket = connect(server.port, '127.0.0.1');
    // Not half-closed: the server answers and closes (Connection: close); a FIN first may cut an answer that waits on Redis.
    socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
    let text = '';
    for await (const chunk of socket) text += String(chunk);
    const lines = text.split('\r\n\r\n')[0]!.split('\r\n');
    return [lines[0]!, ...headers.map((h) => lines.find((l) => l.toLowerCase().startsWith(`${h}:`)) ?? `(no ${h})`)];
  }

  beforeAll(async () => {
    t = await getTestRedis();
    server = await startHttpManagement({ config: loadConfigText('host-name mta.example.com\nhttp-access 127.0.0.1 admin'), redisUrl: t.url, prefix: t.prefix.slice(0, -1), port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await t.cleanup();
  });

  it('serves an absolute-form target (a client behind a proxy) and checks its authority as it checks Host', async () => {
    expect(await ask(['GET http://127.0.0.1/whoami HTTP/1.1', 'Host: 127.0.0.1'])).toEqual(['HTTP/1.1 200 OK']);
    expect(await ask(['GET http://mta.example.com:8080/history?minutes=2 HTTP/1.1', 'Host: mta.example.com'])).toEqual(['HTTP/1.1 200 OK']);
    // The authority stands for Host (RFC 9112 §3.2.2): a rebound name there is refused though Host is fine.
    expect(await ask(['GET http://rebind.attacker.example/whoami HTTP/1.1', 'Host: 127.0.0.1'])).toEqual(['HTTP/1.1 403 Forbidden']);
    expect(await ask(['GET ftp://127.0.0.1/whoami HTTP/1.1', 'Host: 127.0.0.1'])).toEqual(['HTTP/1.1 400 Bad Request']);
  });

  it('answers 400 to two Host fields or a port past 65535 in Host', async () => {
    expect(await ask(['GET /whoami HTTP/1.1', 'Host: 127.0.0.1', 'Host: rebind.attacker.example'])).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(await ask(['GET /whoami HTTP/1.1', 'Host: 127.0.0.1:99999'])).toEqual(['HTTP/1.1 400 Bad Request']);
    expect(await ask(['GET /whoami HTTP/1.1', 'Host: 127.0.0.1:65535'])).toEqual(['HTTP/1.1 200 OK']);
  });

  it('answers a client that shuts its side after the request (HTTP/1.0 through nc), also on a route that awaits Redis', async () => {
    for (const path of ['/whoami', '/status', '/queues']) {
      const socket = connect(server.port, '127.0.0.1');
      socket.end(`GET ${path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n`);
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      expect(text.split('\r\n')[0], path).toBe('HTTP/1.1 200 OK');
    }
  });

  it('answers OPTIONS 405 with the Allow of the path, and OPTIONS * with the methods of the server', async () => {
    expect(await ask(['OPTIONS /whoami HTTP/1.1', 'Host: 127.0.0.1'], 'allow')).toEqual(['HTTP/1.1 405 Method Not Allowed', 'allow: GET, HEAD']);
    expect(await ask(['OPTIONS /reload HTTP/1.1', 'Host: 127.0.0.1'], 'allow')).toEqual(['HTTP/1.1 405 Method Not Allowed', 'allow: POST']);
    expect(await ask(['OPTIONS * HTTP/1.1', 'Host: 127.0.0.1'], 'allow')).toEqual(['HTTP/1.1 405 Method Not Allowed', 'allow: GET, HEAD, POST']);
    expect(await ask(['GET * HTTP/1.1', 'Host: 127.0.0.1'])).toEqual(['HTTP/1.1 400 Bad Request']);
  });
});

/**
 * http-inject-tls-certificate and http-inject-max-request-rate over real HTTPS and real Redis: two
 * listeners of one cluster (same Redis, same prefix) serve injection over TLS with the configured
 * certificate, verified by the client against it; a user's request rate is counted across both
 * (429 with Retry-After once the window is used up, on either), another user is not limited, and
 * plain HTTP gets no answer from the TLS port.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { getTestRedis } from '@vmta/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, startTestListener, type TestCertificates, type TestListener } from '../testing/smtp-test-kit.js';

let certs: TestCertificates;
let a: TestListener;
let b: TestListener;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: { messages?: unknown[]; error?: { code: string } };
  protocol: string | undefined;
}

/** The certificate block of the test PEM: the client trusts it and nothing else. */
const caOf = (file: string): string => /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(readFileSync(file, 'utf8'))![0];

function inject(port: number, key: string): Promise<Answer> {
  const body = JSON.stringify({ from: 'news@sender.example', recipients: [{ email: 'x@dest.example' }], subject: 's', text: 't' });
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/api/inject', method: 'POST', ca: caOf(certs.plain), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } },
      (res) => {
        const protocol = (res.socket as TLSSocket).getProtocol() ?? undefined;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'], protocol });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  certs = await makeCertificates();
  const config = [
    'host-name mx.inject.example',
    'smtp-listener 127.0.0.1:0',
    'relay-domain dest.example',
    `http-inject-tls-certificate ${certs.encrypted} c3rt-pass`,
    '<smtp-user carol>',
    '  password c1',
    '  http-inject-api-key key-carol-1',
    '  http-inject-max-request-rate 3/1h',
    '</smtp-user>',
    '<smtp-user dave>',
    '  password d1',
    '  http-inject-api-key key-dave-1',
    '</smtp-user>',
  ].join('\n');
  const redis = await getTestRedis();
  a = await startTestListener(redis, config, { inject: { port: 0, host: '127.0.0.1' } });
  b = await startTestListener(redis, config, { inject: { port: 0, host: '127.0.0.1' } });
  // The listeners serve before their Redis connection is ready (503 until then): dave, who has no rate, waits for it.
  for (const t of [a, b]) {
    for (let i = 0; i < 100; i++) {
      if ((await inject(t.listener.injectPort!, 'key-dave-1')).status === 202) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  certs?.cleanup();
});

describe('HTTPS on the injection port', () => {
  it('serves injection over TLS with the configured certificate, which the client verifies', async () => {
    const r = await inject(a.listener.injectPort!, 'key-dave-1');
    expect(r.status).toBe(202);
    expect(r.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(r.body.messages).toHaveLength(1);
  });

  it('gives plain HTTP on the TLS port no HTTP answer', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: a.listener.injectPort!, path: '/api/inject', method: 'POST' }, (res) => resolve(`http ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.end('{}');
    });
    expect(outcome).toMatch(/^error /);
  });
});

describe('http-inject-max-request-rate', () => {
  it("counts a user's requests across listener processes and answers 429 with Retry-After beyond the rate", async () => {
    const pa = a.listener.injectPort!;
    const pb = b.listener.injectPort!;
    expect((await inject(pa, 'key-carol-1')).status).toBe(202);
    expect((await inject(pb, 'key-carol-1')).status).toBe(202);
    expect((await inject(pa, 'key-carol-1')).status).toBe(202);
    for (const port of [pb, pa]) {
      const r = await inject(port, 'key-carol-1');
      expect(r.status).toBe(429);
      expect(r.body.error?.code).toBe('rate-limited');
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(r.retryAfter)).toBeLessThanOrEqual(3600);
    }
    // Another user of the same listeners is not limited.
    expect((await inject(pb, 'key-dave-1')).status).toBe(202);
  });
});

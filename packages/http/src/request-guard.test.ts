import { describe, expect, it } from 'vitest';
import { guardRequest, hostOf, type GuardRequest } from './request-guard.js';

const KEY = 'script-key-0123456789abcdef';
const settings = { hostNames: new Set(['mta.example.net']), apiKeys: [{ key: KEY, level: 'operator' as const }] };
const get = (over: Partial<GuardRequest> = {}): GuardRequest => ({ method: 'GET', host: '127.0.0.1:8080', csrfHeader: false, ...over });
const post = (over: Partial<GuardRequest> = {}): GuardRequest => get({ method: 'POST', ...over });

describe('hostOf', () => {
  it.each([
    ['127.0.0.1:8080', '127.0.0.1'],
    ['[::1]:8080', '::1'],
    ['[::1]', '::1'],
    ['MTA.Example.NET', 'mta.example.net'],
    ['mta.example.net.:80', 'mta.example.net'],
    ['bad host', undefined],
    ['[nothex]:1', undefined],
    ['127.0.0.1:65535', '127.0.0.1'],
    ['127.0.0.1:65536', undefined],
    ['[::1]:99999', undefined],
    ['127.0.0.1:', '127.0.0.1'],
    ['[::1]:', '::1'],
    ['localhost:', 'localhost'],
    ['127.0.0.1:008080', '127.0.0.1'],
    ['127.0.0.1:0065536', undefined],
    [`127.0.0.1:${'9'.repeat(400)}`, undefined],
    ['127.0.0.1::80', undefined],
    ['127.0.0.1:80:', undefined],
    ['127.0.0.1:-1', undefined],
  ])('reads %j as %j', (header, host) => {
    expect(hostOf(header)).toBe(host);
  });
});

describe('guardRequest', () => {
  it.each<[string, GuardRequest, { ok: boolean; status?: number; error?: string; keyLevel?: string }]>([
    ['a GET by IP literal', get(), { ok: true }],
    ['a GET to localhost', get({ host: 'localhost:8080' }), { ok: true }],
    ['a GET to a name of this host', get({ host: 'mta.example.net:8080' }), { ok: true }],
    ['a rebound name (DNS rebinding)', get({ host: 'rebind.attacker.example' }), { ok: false, status: 403, error: 'host-not-allowed' }],
    ['no Host header', get({ host: undefined }), { ok: false, status: 400, error: 'host-required' }],
    ['a POST with a same-origin Origin', post({ origin: 'http://127.0.0.1:8080' }), { ok: true }],
    ['a POST from another origin', post({ origin: 'http://evil.example' }), { ok: false, status: 403, error: 'cross-origin' }],
    ['a POST with Origin null', post({ origin: 'null' }), { ok: false, status: 403, error: 'cross-origin' }],
    ['a POST marked cross-site by the browser', post({ origin: 'http://127.0.0.1:8080', secFetchSite: 'cross-site' }), { ok: false, status: 403, error: 'cross-origin' }],
    ['a POST without Origin or header (a form from nowhere)', post(), { ok: false, status: 403, error: 'csrf-header-required' }],
    ['a script POST with X-Vmta-Request', post({ csrfHeader: true }), { ok: true }],
    ['a script POST with an API key', post({ authorization: `Bearer ${KEY}` }), { ok: true, keyLevel: 'operator' }],
    ['a wrong API key', get({ authorization: 'Bearer wrong-key-0123456789abcdef' }), { ok: false, status: 401, error: 'bad-api-key' }],
    ['two Host fields (RFC 9112 §3.2)', get({ hostFields: 2 }), { ok: false, status: 400, error: 'duplicate-host' }],
    ['an absolute-form authority stands for Host', get({ authority: 'rebind.attacker.example' }), { ok: false, status: 403, error: 'host-not-allowed' }],
    ['a malformed absolute-form authority', get({ authority: 'a b' }), { ok: false, status: 400, error: 'bad-host' }],
    ['OPTIONS is safe: no CSRF header needed (the router answers 405)', get({ method: 'OPTIONS' }), { ok: true }],
    ['an API key does not make a foreign Host acceptable', get({ host: 'evil.example', authorization: `Bearer ${KEY}` }), { ok: false, status: 403, error: 'host-not-allowed' }],
  ])('%s', (_name, req, expected) => {
    expect(guardRequest(req, settings)).toMatchObject(expected);
  });
});

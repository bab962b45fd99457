import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '@vmta/config';
import { batchesOf, retryDelayMs, signature, webhookSettings } from './webhook-settings.js';

describe('retryDelayMs', () => {
  it.each([
    [1, 1000, 300_000, 1000],
    [2, 1000, 300_000, 2000],
    [3, 1000, 300_000, 4000],
    [9, 1000, 300_000, 256_000],
    [10, 1000, 300_000, 300_000],
    [500, 1000, 300_000, 300_000],
  ])('after %i failures (initial %i, max %i): %i ms', (failures, initial, max, want) => {
    expect(retryDelayMs(failures, initial, max)).toBe(want);
  });
});

describe('webhookSettings', () => {
  it('reads a stanza, with defaults', () => {
    const c = loadConfigText(['<webhook Platform>', '  url https://hooks.example/vmta', '</webhook>'].join('\n'));
    const s = webhookSettings(c.webhooks.platform!);
    expect({ ...s, types: [...s.types] }).toEqual({
      name: 'Platform',
      url: 'https://hooks.example/vmta',
      types: ['d', 'b', 'f', 'rb', 's'],
      timeoutMs: 10_000,
      concurrency: 4,
      retryInitialMs: 1000,
      retryMaxMs: 300_000,
      batchSize: 1,
      batchWaitMs: 1000,
    });
  });

  it('reads batch-size and batch-wait, and cuts events into batches of that size in order', () => {
    const c = loadConfigText(['<webhook p>', '  url https://hooks.example/vmta', '  batch-size 50', '  batch-wait 3s', '</webhook>'].join('\n'));
    expect(webhookSettings(c.webhooks.p!)).toMatchObject({ batchSize: 50, batchWaitMs: 3000 });
    expect(batchesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(batchesOf([1, 2], 1)).toEqual([[1], [2]]);
    expect(batchesOf([], 5)).toEqual([]);
  });

  it('refuses a stanza without an http(s) url, naming file:line', () => {
    const c = loadConfigText(['<webhook p>', '  url ftp://x', '</webhook>'].join('\n'));
    expect(() => webhookSettings(c.webhooks.p!)).toThrow(/<webhook p> needs url .*vmta\.conf:1/);
  });
});

describe('signature', () => {
  it('is the HMAC-SHA256 of "t.body" a receiver recomputes', () => {
    const body = '{"id":"1-0"}';
    const mac = createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
    expect(signature('k', body, 1_700_000_000)).toBe(`t=1700000000,v1=${mac}`);
    expect(signature('other', body, 1_700_000_000)).not.toBe(`t=1700000000,v1=${mac}`);
  });
});

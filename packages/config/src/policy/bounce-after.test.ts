import { describe, expect, it } from 'vitest';
import { bounceAfterLookup, loadConfigText } from '../index.js';

const text = (fast: string) => ['<virtual-mta mta1>', '  smtp-source-host 127.0.0.2 mta1.example.test', '</virtual-mta>', '<domain *>', '  bounce-after 2d', '</domain>', '<domain fast.example>', `  bounce-after ${fast}`, '</domain>'].join('\n');

describe('bounce-after of a queue, remembered per config (bounceAfterLookup)', () => {
  it.each([
    ['fast.example', 10 * 60_000],
    ['other.example', 2 * 86_400_000],
  ])('%s: %i ms', (domain, ms) => {
    const config = loadConfigText(text('10m'));
    expect(bounceAfterLookup(() => config)(domain, 'mta1')).toBe(ms);
  });

  it('answers from the new config after a reload', () => {
    let config = loadConfigText(text('10m'));
    const lookup = bounceAfterLookup(() => config);
    expect(lookup('fast.example', 'mta1')).toBe(10 * 60_000);
    config = loadConfigText(text('1m'));
    expect(lookup('fast.example', 'mta1')).toBe(60_000);
  });
});

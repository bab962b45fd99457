import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigText } from './index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const corpus = [
  readFileSync(path.join(root, 'test/fixtures/powermta-seed.conf'), 'utf8'),
  readFileSync(path.join(root, 'config/vmta.conf'), 'utf8'),
];

/** Small deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = '<>/"#\\ \t\n\r*[]{}=:,;.0123456789abcdefxyz-_\u0000\u00e9\uFEFF';

function mutate(text: string, r: () => number): string {
  const chars = [...text];
  const edits = 1 + Math.floor(r() * 8);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(r() * (chars.length + 1));
    const op = r();
    if (op < 0.4) chars.splice(at, 1);
    else if (op < 0.8) chars.splice(at, 0, ALPHABET[Math.floor(r() * ALPHABET.length)]!);
    else chars.splice(at, Math.floor(r() * 40));
  }
  return chars.join('');
}

function onlyConfigErrors(text: string): void {
  try {
    loadConfigText(text, 'fuzz.conf', '/nonexistent-dir');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError for input ${JSON.stringify(text.slice(0, 200))}: ${String(err)}`);
    expect(err.errors.length).toBeGreaterThan(0);
    for (const e of err.errors) expect(e.line).toBeGreaterThanOrEqual(0);
  }
}

describe('garbage in gives the project\'s own config error, never a crash', () => {
  it('survives every truncation of the example files', () => {
    for (const text of corpus) for (let n = 0; n <= text.length; n += 7) onlyConfigErrors(text.slice(0, n));
  });

  it('survives 3,000 random mutations of the example files', () => {
    const r = rng(20261123);
    for (let i = 0; i < 3000; i++) onlyConfigErrors(mutate(corpus[i % corpus.length]!, r));
  });

  it('survives random bytes', () => {
    const r = rng(42);
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(r() * 400) }, () => Math.floor(r() * 256)));
      onlyConfigErrors(bytes.toString('utf8'));
    }
  });
});

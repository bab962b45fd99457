import { describe, expect, it } from 'vitest';
import { zstdLine } from './status.js';

describe('show status: whether listeners write zstd bodies', () => {
  it.each([
    [{ allowed: true, notReading: [] }, 'zstd bodies: every alive delivery process reads them (listeners set to zstd write zstd)'],
    [{ allowed: false, notReading: [] }, 'zstd bodies: no delivery process alive to read them (listeners write deflate)'],
    [{ allowed: false, notReading: ['h:1:ab (0.1.0)', 'h:2:cd'] }, 'zstd bodies: listeners write deflate: h:1:ab (0.1.0), h:2:cd do not read zstd'],
  ])('%j', (zstdReaders, line) => {
    expect(zstdLine({ zstdReaders })).toBe(line);
  });
});

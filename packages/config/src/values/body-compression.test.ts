import { describe, expect, it } from 'vitest';
import { checkConfigText, configSchema, formatDiagnostic, loadConfigText, summarize } from '../index.js';

const check = (text: string) => {
  const r = checkConfigText(text, 'vmta.conf');
  return { errors: r.errors.map(formatDiagnostic), value: r.config?.global.settings['body-compression'] };
};

describe('body-compression (what the listener stores bodies as)', () => {
  it.each([
    ['body-compression zstd', 'zstd'],
    ['body-compression deflate', 'deflate'],
    ['body-compression none', 'none'],
    ['body-compression ZSTD   # any case, a comment', 'zstd'],
    ['body-compression ""', null],
    ['host-name mta.example.com', undefined],
  ])('reads "%s" as %s', (line, value) => {
    expect(check(`${line}\n`)).toEqual({ errors: [], value });
  });

  it.each([
    ['an unknown coding', 'host-name mta.example.com\nbody-compression brotli\n', 'vmta.conf:2: body-compression: "brotli" is not a BODY-COMPRESSION (expected deflate, zstd or none)'],
    ['two words', 'body-compression zstd deflate\n', 'vmta.conf:1: body-compression: "zstd deflate" is not a BODY-COMPRESSION: expected a single value but found spaces (expected deflate, zstd or none)'],
    ['a place other than the top level', '<domain *>\n  body-compression zstd\n</domain>\n', 'vmta.conf:2: "body-compression" is not allowed in <domain *> (it belongs in the top level)'],
    ['a misspelling', 'body-compresion zstd\n', 'vmta.conf:1: unknown directive "body-compresion" at top level (did you mean "body-compression"?)'],
  ])('refuses %s with file and line', (_name, text, error) => {
    expect(check(text).errors).toEqual([error]);
  });

  it('is in the schema with its default (zstd) and the rolling-upgrade rule in its description', () => {
    const entry = (configSchema.$defs.global.properties as Record<string, { 'x-default'?: string; description?: string }>)['body-compression'];
    expect(entry?.['x-default']).toBe('zstd');
    expect(entry?.description).toMatch(/only while every delivery process alive says it reads zstd/);
  });

  it('is shown by vmta check: zstd by default, with the fallback it has', () => {
    expect(summarize(loadConfigText('host-name mta.example.com\n', 'vmta.conf'))).toMatch(/bodies stored {4}zstd \(deflate while a delivery process that does not read zstd is alive\)$/m);
    expect(summarize(loadConfigText('body-compression deflate\n', 'vmta.conf'))).toMatch(/bodies stored {4}deflate$/m);
  });
});

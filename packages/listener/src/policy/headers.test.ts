import { describe, expect, it } from 'vitest';
import { countHeaders, encodeHeader, getHeader, getHeaders, getRawHeaders, hasHeader, parseHeader, removeHeader, removeHeaders, splitHeader } from './headers.js';

const CRLF = '\r\n';
const message = [
  'Received: from a by b; Tue, 1 Jul 2003 10:52:37 +0000',
  'X-Virtual-MTA: mta1',
  'Subject: a long',
  '\tfolded subject',
  'x-virtual-mta : mta2',
  '  continued',
  'From: Ann <ann@example.com>',
  '',
  'X-Virtual-MTA: in the body',
  '',
].join(CRLF);

describe('splitHeader', () => {
  it.each([
    ['a CRLF message', 'A: 1\r\nB: 2\r\n\r\nbody\r\n', 'A: 1\r\nB: 2\r\n\r\n'],
    ['a bare-LF message', 'A: 1\nB: 2\n\nbody\n', 'A: 1\nB: 2\n\n'],
    ['a message without headers', '\r\nbody\r\n', '\r\n'],
    ['a message without a body', 'A: 1\r\nB: 2\r\n', 'A: 1\r\nB: 2\r\n'],
    ['a message whose body has more empty lines', 'A: 1\r\n\r\nx\r\n\r\ny', 'A: 1\r\n\r\n'],
    ['an empty message', '', ''],
  ])('splits %s at the first empty line', (_what, text, header) => {
    const buf = Buffer.from(text, 'latin1');
    const split = splitHeader(buf);
    expect(split.header).toBe(header);
    expect(split.bodyOffset).toBe(header.length);
  });

  it('keeps every byte, including invalid UTF-8, through a round trip', () => {
    const buf = Buffer.concat([Buffer.from('Subject: caf'), Buffer.from([0xc3, 0xa9, 0xff]), Buffer.from('\r\n\r\n\xff body', 'latin1')]);
    const { header, bodyOffset } = splitHeader(buf);
    expect(Buffer.concat([encodeHeader(header), buf.subarray(bodyOffset)]).equals(buf)).toBe(true);
  });
});

describe('header fields', () => {
  const { header } = splitHeader(Buffer.from(message, 'latin1'));

  it.each([
    ['X-Virtual-MTA', 'mta1'],
    ['x-virtual-mta', 'mta1'],
    ['SUBJECT', 'a long\tfolded subject'],
    ['From', 'Ann <ann@example.com>'],
    ['Missing', undefined],
  ])('reads the first %s field unfolded as %j', (name, value) => {
    expect(getHeader(header, name)).toBe(value);
  });

  it('reads every field of a name in order, including one with white space before the colon', () => {
    expect(getHeaders(header, 'X-Virtual-MTA')).toEqual(['mta1', 'mta2  continued']);
  });

  it.each([
    ['X-VIRTUAL-MTA', true],
    ['Received', true],
    ['Date', false],
    ['', false],
  ])('tells whether %j is present: %s', (name, present) => {
    expect(hasHeader(header, name)).toBe(present);
  });

  it('removes every occurrence of a field with its continuation lines and leaves the rest as it was', () => {
    expect(removeHeader(header, 'x-virtual-mta')).toBe(
      [
        'Received: from a by b; Tue, 1 Jul 2003 10:52:37 +0000',
        'Subject: a long',
        '\tfolded subject',
        'From: Ann <ann@example.com>',
        '',
        '',
      ].join(CRLF),
    );
  });

  it('removes a folded field without taking the next field along', () => {
    expect(removeHeader(header, 'Subject')).toContain('x-virtual-mta : mta2\r\n  continued\r\nFrom:');
    expect(removeHeader(header, 'Subject')).not.toContain('folded');
  });

  it('returns the block unchanged when the field is absent', () => {
    expect(removeHeader(header, 'Date')).toBe(header);
  });

  it('never looks past the empty line into the body', () => {
    const buf = Buffer.from(message, 'latin1');
    const { header: h, bodyOffset } = splitHeader(buf);
    const out = Buffer.concat([encodeHeader(removeHeader(h, 'X-Virtual-MTA')), buf.subarray(bodyOffset)]).toString('latin1');
    expect(out.endsWith('\r\n\r\nX-Virtual-MTA: in the body\r\n')).toBe(true);
    expect(getHeaders(h, 'X-Virtual-MTA')).not.toContain('in the body');
  });

  it.each([
    ['a header block that starts with a continuation line', ' stray\r\nA: 1\r\n\r\n', 'A', '1'],
    ['a line without a colon', 'garbage line\r\nA: 1\r\n\r\n', 'A', '1'],
    ['bare LF line ends', 'A: 1\n  more\nB: 2\n\n', 'A', '1  more'],
    ['a last line without a line end', 'A: 1\r\nB: 2', 'B', '2'],
  ])('copes with %s', (_what, block, name, value) => {
    expect(getHeader(block, name)).toBe(value);
    expect(removeHeader(block, name)).not.toMatch(new RegExp(`^${name}:`, 'm'));
  });
});

describe('a header block parsed once', () => {
  const { header } = splitHeader(Buffer.from(message, 'latin1'));
  const parsed = parseHeader(header);

  it.each(['X-Virtual-MTA', 'Subject', 'From', 'Received', 'Date', 'Missing'])('answers every look-up of %s as the text does', (name) => {
    expect(getHeader(parsed, name)).toBe(getHeader(header, name));
    expect(getHeaders(parsed, name)).toEqual(getHeaders(header, name));
    expect(getRawHeaders(parsed, name)).toEqual(getRawHeaders(header, name));
    expect(hasHeader(parsed, name)).toBe(hasHeader(header, name));
    expect(removeHeader(parsed, name)).toBe(removeHeader(header, name));
  });

  it('keeps every byte of the block in its fields', () => {
    expect(parsed.fields.map((f) => f.raw).join('')).toBe(header);
  });

  it('counts the fields of a name and removes several names in one pass', () => {
    expect(countHeaders(parsed, 'x-virtual-mta')).toBe(2);
    expect(countHeaders(parsed, 'Received')).toBe(1);
    expect(removeHeaders(parsed, ['X-Virtual-MTA', 'subject'])).toBe(removeHeader(removeHeader(header, 'X-Virtual-MTA'), 'Subject'));
  });
});

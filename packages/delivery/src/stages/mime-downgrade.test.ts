import { describe, expect, it } from 'vitest';
import { bodyHas8bit, downgradeTo7bit, encodeQuotedPrintable, fitForNextHop, hasLongLine } from './mime-downgrade.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const down = (s: string): string => downgradeTo7bit(b(s)).toString('latin1');

describe('encodeQuotedPrintable', () => {
  it.each([
    ['plain ASCII stays', 'hello world', 'hello world'],
    ['8-bit bytes and "=" are encoded', Buffer.from('café = ok', 'utf8').toString('latin1'), 'caf=C3=A9 =3D ok'],
    ['trailing space and tab are encoded', 'a \r\nb\t', 'a=20\r\nb=09'],
    ['NUL is encoded', 'a\x00b', 'a=00b'],
    ['a long line gets soft breaks, none over 76 chars', 'x'.repeat(100), `${'x'.repeat(75)}=\r\n${'x'.repeat(25)}`],
  ])('%s', (_what, input, expected) => {
    expect(encodeQuotedPrintable(input)).toBe(expected);
  });
});

describe('bodyHas8bit', () => {
  it.each([
    ['8-bit in the body', 'Subject: x\r\n\r\nü', true],
    ['8-bit in the headers only', 'Subject: ü\r\n\r\nplain', false],
    ['no header section at all', '\r\nü', true],
    ['no body (no blank line)', 'Subject: ü', false],
  ])('%s', (_what, text, expected) => {
    expect(bodyHas8bit(b(text))).toBe(expected);
  });
});

describe('downgradeTo7bit', () => {
  it('leaves a 7-bit body alone (the same Buffer), even under 8-bit headers', () => {
    const m = b('Subject: café\r\n\r\nplain\r\n');
    expect(downgradeTo7bit(m)).toBe(m);
    expect(bodyHas8bit(m)).toBe(false);
  });

  it('encodes a single 8bit part and says so', () => {
    const out = down('Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncafé\r\n');
    expect(out).toBe('Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n');
  });

  it('makes a message without MIME headers a quoted-printable text', () => {
    expect(down('Subject: x\r\n\r\ncafé\r\n')).toBe('Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\ncaf=C3=A9\r\n');
  });

  it('replaces a folded Content-Transfer-Encoding header', () => {
    expect(down('Content-Transfer-Encoding:\r\n 8bit\r\nX: y\r\n\r\né')).toBe('Content-Transfer-Encoding: quoted-printable\r\nX: y\r\nMIME-Version: 1.0\r\n\r\n=C3=A9');
  });

  it('walks a multipart body: only its 8-bit parts change, preamble, delimiters and epilogue stay', () => {
    const msg = [
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      'preamble',
      '--b1',
      'Content-Type: text/plain',
      '',
      'ascii part',
      '--b1 ',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      '<p>ü</p>',
      '--b1',
      'Content-Type: message/rfc822',
      '',
      'Subject: inner',
      '',
      'ö',
      '--b1--',
      'epilogue',
      '',
    ].join('\r\n');
    const out = down(msg);
    const latin1 = (x: string): string => Buffer.from(x, 'utf8').toString('latin1');
    const expected = latin1(msg)
      .replace('Content-Transfer-Encoding: 8bit', 'Content-Transfer-Encoding: quoted-printable')
      .replace(latin1('<p>ü</p>'), '<p>=C3=BC</p>')
      .replace(latin1('Subject: inner\r\n\r\nö'), 'Subject: inner\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C3=B6');
    expect(out).toBe(expected);
    expect(out).toContain('preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nascii part\r\n--b1 \r\n');
    expect(out.endsWith('--b1--\r\nepilogue\r\n')).toBe(true);
    expect(bodyHas8bit(Buffer.from(out, 'latin1'))).toBe(false);
  });

  it('leaves a base64 part holding 8-bit bytes (broken) as it is', () => {
    const m = 'MIME-Version: 1.0\r\nContent-Transfer-Encoding: base64\r\n\r\nü\r\n';
    expect(down(m)).toBe(Buffer.from(m, 'utf8').toString('latin1'));
  });
});

describe('fitForNextHop: no line over 998 octets (RFC 5322 §2.1.1)', () => {
  const fit = (s: string, eightBitOk = true): string => fitForNextHop(Buffer.from(s, 'latin1'), eightBitOk).toString('latin1');
  const longest = (s: string): number => Math.max(...s.split('\r\n').map((l) => l.length));
  const unQp = (s: string): string => s.replace(/=\r\n/g, '');

  it('finds a line of 999 octets, not one of 998 (the CRLF not counted, a bare LF ends a line too)', () => {
    expect(hasLongLine(Buffer.from(`a\r\n${'x'.repeat(998)}\r\nb`))).toBe(false);
    expect(hasLongLine(Buffer.from(`a\n${'x'.repeat(998)}\nb`))).toBe(false);
    expect(hasLongLine(Buffer.from(`a\r\n${'x'.repeat(999)}\r\nb`))).toBe(true);
    // It searches 1,000 octets at a time: lines that end at the edge of that reach, and the last line.
    expect(hasLongLine(Buffer.from(`${'x'.repeat(999)}\n`))).toBe(true);
    expect(hasLongLine(Buffer.from(`${'x'.repeat(996)}\r\nabcd\r\n${'y'.repeat(993)}\n`))).toBe(false);
    expect(hasLongLine(Buffer.from(`a\r\n${'x'.repeat(998)}\r`))).toBe(false);
    expect(hasLongLine(Buffer.from(`a\r\n${'x'.repeat(999)}`))).toBe(true);
    expect(hasLongLine(Buffer.from(`${'x\r\n'.repeat(400)}${'x'.repeat(1000)}\r\n${'x\r\n'.repeat(400)}`))).toBe(true);
  });

  it('leaves a message without long lines alone (the same Buffer), 8-bit parts included when the next hop offers 8BITMIME', () => {
    const m = Buffer.from('Subject: x\r\n\r\ncafé\r\n');
    expect(fitForNextHop(m, true)).toBe(m);
  });

  it('encodes a text part with a long line quoted-printable, and keeps its 8-bit sibling 8-bit with 8BITMIME', () => {
    const msg = ['Content-Type: multipart/mixed; boundary=b', 'Content-Transfer-Encoding: 8bit', '', '--b', 'Content-Transfer-Encoding: 8bit', '', 'caf\xe9', '--b', '', 'z'.repeat(1200), '--b--', ''].join('\r\n');
    const out = fit(msg);
    expect(longest(out)).toBeLessThanOrEqual(998);
    expect(out).toContain('Content-Transfer-Encoding: 8bit\r\n\r\n--b\r\nContent-Transfer-Encoding: 8bit\r\n\r\ncaf\xe9\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n');
    expect(unQp(out)).toContain(`${'z'.repeat(1200)}\r\n--b--`);
    // Without 8BITMIME both parts are encoded and the container says 7bit.
    const seven = fit(msg, false);
    expect(seven).toMatch(/^Content-Type: multipart\/mixed; boundary=b\r\nContent-Transfer-Encoding: 7bit\r\n/);
    expect(seven).toContain('caf=E9');
  });

  it('gives a quoted-printable line soft breaks, never inside an =XX, and re-wraps a base64 line', () => {
    const qpLine = 'ab=3D'.repeat(300);
    const qp = fit(`Content-Transfer-Encoding: quoted-printable\r\n\r\n${qpLine}\r\n`);
    expect(longest(qp)).toBeLessThanOrEqual(76);
    expect(unQp(qp)).toBe(`Content-Transfer-Encoding: quoted-printable\r\n\r\n${qpLine}\r\n`);
    const data = Buffer.alloc(1000, 7).toString('base64');
    const b64 = fit(`Content-Transfer-Encoding: base64\r\n\r\n${data}\r\n`);
    expect(longest(b64)).toBe(76);
    expect(Buffer.from(b64.split('\r\n\r\n')[1]!, 'base64').equals(Buffer.alloc(1000, 7))).toBe(true);
  });

  it('breaks a long preamble line or a part in another encoding as Postfix does (CRLF and a space)', () => {
    const out = fit(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'p'.repeat(1000)}\r\n--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n${'u'.repeat(2000)}\r\n--b--\r\n`);
    expect(out).toContain(`\r\n\r\n${'p'.repeat(998)}\r\n pp\r\n--b\r\n`);
    expect(out).toContain(`${'u'.repeat(998)}\r\n ${'u'.repeat(997)}\r\n ${'u'.repeat(5)}\r\n--b--`);
  });

  it('folds a long header line at white space, also in a part, so unfolding gives the value back', () => {
    const value = Array.from({ length: 300 }, (_, i) => `w${i}`).join('  ');
    const out = fit(`Subject: ${value}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Part: ${value}\r\n\r\nbody\r\n--b--\r\n`);
    expect(longest(out)).toBeLessThanOrEqual(998);
    expect(out.replace(/\r\n(?=[ \t])/g, '')).toBe(`Subject: ${value}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX-Part: ${value}\r\n\r\nbody\r\n--b--\r\n`);
    expect(out.split('\r\n').every((l) => /[^ \t]/.test(l) || l === '')).toBe(true);
  });
});

describe('fitForNextHop: no NUL is sent (RFC 6152 §2: 8BITMIME allows no NUL)', () => {
  const fit = (s: string, eightBitOk = true): string => fitForNextHop(Buffer.from(s, 'latin1'), eightBitOk).toString('latin1');

  it.each([
    ['a NUL in the body of a message without MIME headers makes it quoted-printable', 'Subject: x\r\n\r\na\x00b\r\n', 'Subject: x\r\nContent-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1.0\r\n\r\na=00b\r\n'],
    ['a NUL in a header is dropped, the body left alone', 'Subject: a\x00b\r\nX: \x00\r\n\r\nplain\r\n', 'Subject: ab\r\nX: \r\n\r\nplain\r\n'],
    ['only the part holding a NUL is encoded', 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nclean é\r\n--b\r\nContent-Transfer-Encoding: binary\r\n\r\nx\x00\r\n--b--\r\n', 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nclean é\r\n--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=00\r\n--b--\r\n'],
    ['a quoted-printable part gets =00 in place', 'Content-Transfer-Encoding: quoted-printable\r\n\r\na=3D\x00\r\n', 'Content-Transfer-Encoding: quoted-printable\r\n\r\na=3D=00\r\n'],
    ['a base64 part loses the NUL (not in its alphabet, a decoder skips it)', 'Content-Transfer-Encoding: base64\r\n\r\nYWJj\x00\r\n', 'Content-Transfer-Encoding: base64\r\n\r\nYWJj\r\n'],
    ['a NUL in a preamble or an epilogue is dropped', 'Content-Type: multipart/mixed; boundary=b\r\n\r\npre\x00\r\n--b\r\n\r\nok\r\n--b--\r\nepi\x00\r\n', 'Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\r\nok\r\n--b--\r\nepi\r\n'],
  ])('%s', (_what, input, expected) => {
    expect(fit(input)).toBe(expected);
    expect(fit(input, false)).not.toContain('\x00');
  });

  it('leaves a message without NUL, 8-bit or long lines as the same Buffer', () => {
    const m = Buffer.from('Subject: x\r\n\r\nplain\r\n');
    expect(fitForNextHop(m, false)).toBe(m);
  });
});

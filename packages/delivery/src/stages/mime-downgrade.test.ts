import { describe, expect, it } from 'vitest';
import { bodyHas8bit, downgradeTo7bit, encodeQuotedPrintable } from './mime-downgrade.js';

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

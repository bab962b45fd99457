import { hasPasswordUsers, loadConfigText, sourcePolicy } from '@vmta/config';
import { describe, expect, it } from 'vitest';
import { ehloFeatures } from './ehlo-features.js';

const FEATURES = ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'AUTH PLAIN LOGIN CRAM-MD5', 'STARTTLS', 'SIZE'];
const policy = (text: string) => sourcePolicy(loadConfigText(`<source 0/0>\n${text}\n</source>\n`), '192.0.2.1').settings;

describe('ehloFeatures', () => {
  it.each<[string, string, boolean, string[]]>([
    ['defaults in the clear', '', false, ['AUTH CRAM-MD5', 'SIZE 26214400']],
    ['defaults over TLS', '', true, ['AUTH PLAIN LOGIN CRAM-MD5', 'SIZE 26214400']],
    ['plain auth allowed in the clear', 'allow-unencrypted-plain-auth yes', false, ['AUTH PLAIN LOGIN CRAM-MD5', 'SIZE 26214400']],
    ['TLS required before AUTH', 'require-starttls-before-auth yes', false, ['SIZE 26214400']],
    ['AUTH off', 'allow-auth no', true, ['SIZE 26214400']],
    ['a size limit', 'max-message-size 10M', true, ['AUTH PLAIN LOGIN CRAM-MD5', 'SIZE 10485760']],
    ['no size limit', 'max-message-size unlimited', true, ['AUTH PLAIN LOGIN CRAM-MD5', 'SIZE']],
  ])('advertises the right AUTH and SIZE lines for %s', (_name, directives, secure, expected) => {
    const out = ehloFeatures(FEATURES, { secure, policy: policy(directives) });
    expect(out.filter((f) => f.startsWith('AUTH') || f.startsWith('SIZE'))).toEqual(expected);
    expect(out).toContain('STARTTLS');
  });

  it('advertises no AUTH when the configuration has no <smtp-user> with a password (none could succeed)', () => {
    expect(ehloFeatures(FEATURES, { secure: true, policy: policy(''), hasUsers: false })).toEqual(['PIPELINING', '8BITMIME', 'SMTPUTF8', 'STARTTLS', 'SIZE 26214400']);
    expect(hasPasswordUsers(loadConfigText('smtp-listener 127.0.0.1:25\n'))).toBe(false);
    expect(hasPasswordUsers(loadConfigText('<smtp-user a>\n  password x\n</smtp-user>\n'))).toBe(true);
  });
});

import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { smtpTlsOptions, tlsMinVersionOf, tlsPolicyOf, type TlsPolicy } from './tls-policy.js';

describe('tlsPolicyOf', () => {
  it.each([
    // use-starttls, require-starttls, policy
    [true, false, 'opportunistic'],
    [false, false, 'disabled'],
    [true, true, 'required'],
    [false, true, 'required'],
  ] as const)('use-starttls %s with require-starttls %s is %s', (use, require, policy) => {
    expect(tlsPolicyOf({ 'use-starttls': use, 'require-starttls': require })).toBe(policy);
  });

  it.each([
    [true, false],
    [false, false],
    [true, true],
    [false, true],
  ] as const)('smtp-tls-verify-certificate makes use-starttls %s / require-starttls %s required-verified', (use, require) => {
    expect(tlsPolicyOf({ 'use-starttls': use, 'require-starttls': require, 'smtp-tls-verify-certificate': true })).toBe('required-verified');
  });
});

describe('tlsMinVersionOf', () => {
  it.each([
    [false, false, 'TLSv1.2'],
    [false, true, 'TLSv1.1'],
    [true, false, 'TLSv1'],
    [true, true, 'TLSv1'],
  ] as const)('smtp-tls-allow-tlsv1 %s, smtp-tls-allow-tlsv1.1 %s: minimum %s', (v1, v11, min) => {
    expect(tlsMinVersionOf({ 'smtp-tls-allow-tlsv1': v1, 'smtp-tls-allow-tlsv1.1': v11 })).toBe(min);
  });
});

describe('smtpTlsOptions', () => {
  it.each([
    // policy, ignoreTLS, requireTLS, opportunisticTLS, minVersion
    ['disabled', true, false, false, 'TLSv1.2'],
    ['opportunistic', false, false, true, 'TLSv1.2'],
    ['required', false, true, false, 'TLSv1.2'],
    ['required-verified', false, true, false, 'TLSv1.2'],
  ] as const)('maps %s to ignoreTLS %s, requireTLS %s, opportunisticTLS %s, minVersion %s', (policy, ignoreTLS, requireTLS, opportunisticTLS, minVersion) => {
    const o = smtpTlsOptions(policy);
    expect(o).toMatchObject({ secure: false, ignoreTLS, requireTLS, opportunisticTLS });
    expect(o.tls.minVersion).toBe(minVersion);
  });

  it('verifies certificates only under required-verified, and passes the MX name for SNI', () => {
    for (const policy of ['disabled', 'opportunistic', 'required'] satisfies TlsPolicy[]) {
      const o = smtpTlsOptions(policy, { servername: 'mx1.example.test' });
      expect(o.tls).toMatchObject({ rejectUnauthorized: false, servername: 'mx1.example.test' });
    }
    expect(smtpTlsOptions('required-verified', { servername: 'mx1.example.test', ca: 'PEM' }).tls).toMatchObject({
      rejectUnauthorized: true,
      servername: 'mx1.example.test',
      ca: 'PEM',
    });
  });

  it('weakens the ciphers (SECLEVEL=0) only when TLS below 1.2 is allowed', () => {
    expect(smtpTlsOptions('opportunistic').tls.ciphers).toBeUndefined();
    expect(smtpTlsOptions('opportunistic', { minVersion: 'TLSv1' }).tls).toMatchObject({ minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
    expect(smtpTlsOptions('required', { minVersion: 'TLSv1.1' }).tls).toMatchObject({ minVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  });

  it('gives TLS options that node accepts', () => {
    for (const policy of ['disabled', 'opportunistic', 'required', 'required-verified'] satisfies TlsPolicy[]) {
      expect(() => tls.createSecureContext(smtpTlsOptions(policy).tls)).not.toThrow();
      expect(() => tls.createSecureContext(smtpTlsOptions(policy, { minVersion: 'TLSv1' }).tls)).not.toThrow();
    }
  });
});

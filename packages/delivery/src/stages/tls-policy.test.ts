import tls from 'node:tls';
import { describe, expect, it } from 'vitest';
import { smtpTlsOptions, tlsPolicyOf, type TlsPolicy } from './tls-policy.js';

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
});

describe('smtpTlsOptions', () => {
  it.each([
    // policy, ignoreTLS, requireTLS, opportunisticTLS, minVersion
    ['disabled', true, false, false, undefined],
    ['opportunistic', false, false, true, 'TLSv1'],
    ['required', false, true, false, 'TLSv1.2'],
  ] as const)('maps %s to ignoreTLS %s, requireTLS %s, opportunisticTLS %s, minVersion %s', (policy, ignoreTLS, requireTLS, opportunisticTLS, minVersion) => {
    const o = smtpTlsOptions(policy);
    expect(o).toMatchObject({ secure: false, ignoreTLS, requireTLS, opportunisticTLS });
    expect(o.tls.minVersion).toBe(minVersion);
  });

  it('never verifies certificates and passes the MX name for SNI', () => {
    for (const policy of ['disabled', 'opportunistic', 'required'] satisfies TlsPolicy[]) {
      const o = smtpTlsOptions(policy, { servername: 'mx1.example.test' });
      expect(o.tls).toMatchObject({ rejectUnauthorized: false, servername: 'mx1.example.test' });
    }
  });

  it('gives TLS options that node accepts', () => {
    for (const policy of ['disabled', 'opportunistic', 'required'] satisfies TlsPolicy[]) {
      expect(() => tls.createSecureContext(smtpTlsOptions(policy).tls)).not.toThrow();
    }
  });
});

/** Development certificates: `vmta start --dev-certs` creates a missing listener certificate (self-signed). */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { VmtaConfig } from '@vmta/config';
import { generate } from 'selfsigned';

export async function ensureDevCertificates(config: VmtaConfig, baseDir: string): Promise<string[]> {
  const created: string[] = [];
  const files = new Set(config.listeners.flatMap((l) => (l.tlsCertificate ? [l.tlsCertificate.file] : [])));
  for (const file of files) {
    const abs = path.resolve(baseDir, file);
    if (existsSync(abs)) continue;
    const hostName = config.global.settings['host-name'] ?? 'localhost';
    const pems = await generate([{ name: 'commonName', value: hostName }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 365 * 86_400_000),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: hostName }, { type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    });
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, `${pems.cert}${pems.private}`, { mode: 0o600 });
    created.push(abs);
  }
  return created;
}

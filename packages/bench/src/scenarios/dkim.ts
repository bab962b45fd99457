/**
 * Scenario "dkim": the cost of signing, one core, in process. DkimSigner.sign() on a 4 KB message
 * (a new message id each time, so no signature comes from the cache), for: no signing
 * (dkim-sign no), RSA 2048, Ed25519, and both at once (dual).
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { domainPolicy, loadConfigText } from '@vmta/config';
import { DkimSigner } from '@vmta/delivery';
import { tempDir, type Context } from './common.js';

export interface DkimVariantResult {
  variant: 'unsigned' | 'rsa-2048' | 'ed25519' | 'dual';
  messages: number;
  msgPerSec: number;
  usPerMsg: number;
}

export interface DkimResult {
  messageBytes: number;
  variants: DkimVariantResult[];
}

const BODY = `${'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n'.repeat(50)}`;
const MESSAGE = Buffer.from(
  `From: news@bench.test\r\nTo: to@sink.bench.test\r\nSubject: bench\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <x@bench.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n${BODY}`,
);

export async function runDkim(ctx: Context, opts: { quick: boolean }): Promise<DkimResult> {
  const tmp = tempDir('dkim');
  try {
    const pem = (kind: 'rsa' | 'ed25519') => {
      const pair = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ed25519');
      const file = path.join(tmp.dir, `${kind}.pem`);
      writeFileSync(file, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      return file;
    };
    const rsa = pem('rsa');
    const ed = pem('ed25519');
    const vmta = (name: string, keys: string[]) => [`<virtual-mta ${name}>`, ...keys.map((k) => `  domain-key s,bench.test,${k}`), '</virtual-mta>'];
    const config = loadConfigText(
      [...vmta('none', []), ...vmta('rsa', [rsa]), ...vmta('ed', [ed]), ...vmta('dual', [rsa, ed]), '<domain *>', '  dkim-sign yes', '</domain>'].join('\n'),
    );
    const n = opts.quick ? 300 : 3_000;
    const variants: DkimVariantResult[] = [];
    for (const [variant, name] of [['unsigned', 'none'], ['rsa-2048', 'rsa'], ['ed25519', 'ed'], ['dual', 'dual']] as const) {
      const signer = new DkimSigner({ cacheSize: 1 });
      const policy = domainPolicy(config, 'sink.bench.test', name).settings;
      const one = (i: number) => signer.sign({ id: `${variant}-${i}`, body: MESSAGE, receivedAt: Date.now() }, name, policy, config);
      for (let i = 0; i < 50; i++) await one(-i - 1); // warm-up
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await one(i);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      variants.push({ variant, messages: n, msgPerSec: Math.round((n / ms) * 1000), usPerMsg: Math.round((ms * 1000) / n) });
      ctx.log(`dkim ${variant}: ${variants.at(-1)!.msgPerSec} msg/s`);
    }
    return { messageBytes: MESSAGE.length, variants };
  } finally {
    tmp.remove();
  }
}

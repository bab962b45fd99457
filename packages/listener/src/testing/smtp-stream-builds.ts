/** smtp-server's SMTPStream class from its ESM and its CommonJS build (both carry our patch), for tests of the parser. */
import { createRequire } from 'node:module';
import path from 'node:path';

export async function smtpStreamBuilds<T>(): Promise<Record<'esm' | 'cjs', T>> {
  const require = createRequire(import.meta.url);
  const cjsFile = path.join(path.dirname(require.resolve('smtp-server')), 'smtp-stream.js');
  const esmFile = cjsFile.replace(`${path.sep}cjs${path.sep}`, `${path.sep}esm${path.sep}`);
  return {
    esm: ((await import(esmFile)) as { SMTPStream: T }).SMTPStream,
    cjs: (require(cjsFile) as { SMTPStream: T }).SMTPStream,
  };
}

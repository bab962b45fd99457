/** Message bodies are stored once per message, deflated when that saves at least a tenth. */
import { deflateRawSync, inflateRawSync, constants } from 'node:zlib';

export type BodyEncoding = 'raw' | 'deflate';

export function encodeBody(body: Buffer, minBytes = 1024): { data: Buffer; encoding: BodyEncoding } {
  if (body.length >= minBytes) {
    const packed = deflateRawSync(body, { level: 3, strategy: constants.Z_DEFAULT_STRATEGY });
    if (packed.length <= body.length * 0.9) return { data: packed, encoding: 'deflate' };
  }
  return { data: body, encoding: 'raw' };
}

export function decodeBody(data: Buffer, encoding: BodyEncoding): Buffer {
  return encoding === 'deflate' ? inflateRawSync(data) : data;
}

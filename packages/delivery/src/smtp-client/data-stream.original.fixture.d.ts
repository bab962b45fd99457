import { Transform } from 'node:stream';

/** nodemailer 10.6.0's DataStream before our patch (see data-stream.original.fixture.js). */
export default class OriginalDataStream extends Transform {
  inByteCount: number;
  outByteCount: number;
  lastByte: number | false;
}

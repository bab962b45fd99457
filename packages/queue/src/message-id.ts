import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A queue id: sortable by time (ms, base32), then 60 random bits. 22 characters. */
export function newMessageId(now = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(8);
  let tail = '';
  let acc = rnd.readBigUInt64BE();
  for (let i = 0; i < 12; i++) {
    tail += ALPHABET[Number(acc & 31n)]!;
    acc >>= 5n;
  }
  return time + tail;
}

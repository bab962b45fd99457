/**
 * Message bodies. smtp-source's payload is lines of 'X' (it deflates about 25:1),
 * which flatters a store that compresses; the "text" body is pseudo-random words
 * from a fixed vocabulary, closer to real mail (it deflates about 2.5:1 to 3:1).
 */

/** Like smtp-source -l: numbered lines of 'X', `size` payload bytes. */
export function sourceLikePayload(size: number): string {
  const lines: string[] = [];
  let left = size;
  for (let i = 1; left > 0; i++) {
    const line = `${i}${'X'.repeat(78)}`.slice(0, Math.max(1, left - 2));
    lines.push(line);
    left -= line.length + 2;
  }
  return `${lines.join('\r\n')}\r\n`;
}

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were ' +
  'we when your can said there use an each which she do how their if will up other about out many then them these so some her would ' +
  'make like him into time has look two more write go see number no way could people my than first water been call who oil its now ' +
  'find long down day did get come made may part offer order account newsletter discount shipping unsubscribe preferences privacy'
).split(' ');

/** Deterministic pseudo-random text (a fixed seed, so every run stores the same bytes). */
export function textPayload(size: number, seed = 42): string {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
  let out = '';
  let line = '';
  while (out.length + line.length < size) {
    const w = WORDS[Math.floor(next() * WORDS.length)]!;
    if (line.length + w.length + 1 > 76) {
      out += `${line}\r\n`;
      line = '';
    }
    line += line ? ` ${w}` : w;
  }
  return `${out}${line}\r\n`;
}

export function messageWithHeaders(payload: string, from: string, to: string, id: string): string {
  return [`From: <${from}>`, `To: <${to}>`, `Subject: bench ${id}`, `Message-ID: <${id}@client.bench.test>`, 'Date: Mon, 1 Jan 2024 00:00:00 +0000', '', payload].join('\r\n');
}

/** The test receiver's connection record, which the kill tests' §6.1 check goes by. */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startReceiver } from './test-smtp-receiver.js';

async function talk(port: number, lines: string[], quit: boolean): Promise<void> {
  const s = net.connect(port, '127.0.0.10');
  let buf = '';
  s.on('data', (b) => (buf += b.toString()));
  const waitFor = (re: RegExp) => expect.poll(() => re.test(buf), { timeout: 5000, interval: 5 }).toBe(true);
  await waitFor(/^220 /m);
  for (const line of lines) {
    const before = buf.length;
    s.write(`${line}\r\n`);
    if (line !== '.' && /^(DATA|EHLO|MAIL|RCPT)/.test(line) === false) continue;
    await expect.poll(() => buf.length > before && /\r\n$/.test(buf), { timeout: 5000, interval: 5 }).toBe(true);
  }
  if (quit) {
    s.write('QUIT\r\n');
    await waitFor(/^221 /m);
  }
  s.destroy();
}

describe('test receiver sessions', () => {
  it('records the connection of each message, whether it is open and whether the client said QUIT', async () => {
    const r = await startReceiver({ host: '127.0.0.10', startTls: false });
    try {
      const tx = ['EHLO a.test', 'MAIL FROM:<a@a.test>', 'RCPT TO:<b@b.test>', 'DATA', 'Subject: x', '', 'hi', '.'];
      await talk(r.port, tx, true);
      await talk(r.port, tx, false);
      await expect.poll(() => r.openSessions().length, { timeout: 5000 }).toBe(0);
      expect(r.messages).toHaveLength(2);
      const [first, second] = r.messages.map((m) => r.sessions.get(m.sessionId));
      expect(first).toEqual({ open: false, quit: true });
      expect(second).toEqual({ open: false, quit: false });
    } finally {
      await r.close();
    }
  });
});

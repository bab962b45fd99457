// Receiver host of the netns harness: counts messages by Subject "ha N" (with the queue id), their source address,
// and the connections open at once per source address. One JSON line per event on stdout.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../packages/delivery/package.json', import.meta.url));
const { SMTPServer } = require('smtp-server');
const [host, port] = process.argv.slice(2);
const open = new Map();
const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  logger: false,
  onConnect(session, cb) {
    const ip = session.remoteAddress;
    open.set(ip, (open.get(ip) ?? 0) + 1);
    console.log(JSON.stringify({ connect: ip, open: open.get(ip), at: Date.now() }));
    cb();
  },
  onClose(session) {
    open.set(session.remoteAddress, (open.get(session.remoteAddress) ?? 1) - 1);
  },
  onData(stream, session, cb) {
    let text = '';
    stream.on('data', (d) => (text += d));
    stream.on('end', () => {
      const n = /^Subject: ha (\d+)/m.exec(text)?.[1];
      // The listener's queue id, from its Received field ("... id QUEUEID for <...>; date").
      const id = /^Received:[^]*?\sid\s+([^\s;]+)/m.exec(text)?.[1];
      console.log(JSON.stringify({ n: Number(n), id, from: session.remoteAddress, at: Date.now() }));
      cb();
    });
  },
});
server.listen(Number(port), host, () => console.log(JSON.stringify({ up: true })));

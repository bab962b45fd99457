// Load host of the netns harness: messages 0..count-1, every `gapMs`, alternating between the
// listeners (address or address:port, 2525 when left out), each on its own connection; message n names VMTA mta1 or mta2 (n % 2). One JSON line
// per message: its number, the listener, when its session started (`at`, ms), the reply code
// to the final dot or the first refusal (4xx/5xx) before it, and `step`, the reply it was (3 RCPT,
// 5 the dot); code 0: no reply (the session closed or 15 s passed without one). With a 4th argument `until-stdin-ends`, `count` is only a cap:
// no session starts after standard input closes (the test decides when the load has done its job).
import net from 'node:net';
const [listenersArg, countArg, gapArg, mode] = process.argv.slice(2);
const listeners = listenersArg.split(',');
const count = Number(countArg);
const gap = Number(gapArg);
let stopped = false;
if (mode === 'until-stdin-ends') {
  process.stdin.on('end', () => (stopped = true));
  process.stdin.resume();
}

function session(host, n) {
  return new Promise((resolve) => {
    const [address, port] = host.split(':');
    const s = net.connect({ host: address, port: Number(port ?? 2525) });
    let buf = '';
    let step = 0;
    const vmta = `mta${(n % 2) + 1}`;
    const steps = [
      'EHLO sender.ha.test',
      'MAIL FROM:<s@sender.ha.test>',
      `RCPT TO:<r${n}@dest.ha.test>`,
      'DATA',
      `Subject: ha ${n}\r\nX-Virtual-MTA: ${vmta}\r\n\r\nmessage ${n}\r\n.`,
      'QUIT',
    ];
    let final = 0;
    let settled = false;
    const done = (code, at = step) => {
      if (settled) return;
      settled = true;
      s.destroy();
      resolve({ code, step: at });
    };
    s.setTimeout(15000, () => done(final));
    s.on('error', () => done(final));
    s.on('close', () => done(final));
    s.on('data', (d) => {
      buf += d;
      let m;
      // Reply i answers: 0 the greeting, 1 EHLO, 2 MAIL, 3 RCPT, 4 DATA (354), 5 the dot, 6 QUIT.
      while ((m = /^(\d{3}) [^\r\n]*\r\n/m.exec(buf))) {
        const code = Number(m[1]);
        buf = buf.slice(m.index + m[0].length);
        if (step === 5) final = code;
        // A refusal at any step is the session's answer (a 451 to RCPT while Redis fails over is a
        // reply, not a hang): it is recorded, with `step` telling where (3 RCPT, 5 the dot).
        if (code >= 400) return done(code, step);
        if (step === 6) return done(final, 5);
        s.write(`${steps[step]}\r\n`);
        step++;
      }
    });
  });
}

const all = [];
for (let n = 0; n < count && !stopped; n++) {
  const host = listeners[n % listeners.length];
  const at = Date.now();
  all.push(
    session(host, n).then(({ code, step }) => {
      console.log(JSON.stringify({ n, host, at, code, step }));
    }),
  );
  await new Promise((r) => setTimeout(r, gap));
}
await Promise.all(all);
console.log(JSON.stringify({ done: true }));

import { execFileSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, netnsSkipReason, type Network } from './netns.js';

const reason = netnsSkipReason();
if (reason) console.warn(`netns tests skipped: ${reason}`);

const SERVER = `require('node:net').createServer((s) => s.end(process.argv[1] + ' saw ' + s.remoteAddress)).listen(2500, process.argv[1], () => console.log('up'))`;
const CLIENT = `const s = require('node:net').connect({ host: process.argv[1], port: 2500, localAddress: process.argv[2] }); let t = ''; s.on('data', (d) => (t += d)); s.on('end', () => console.log(t)); s.on('error', (e) => console.log(e.code))`;

function output(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.trim());
    });
    child.once('exit', () => resolve(text.trim()));
  });
}

describe.skipIf(reason !== undefined)('network namespaces as hosts', () => {
  let net: Network;
  let server: ChildProcess;

  beforeAll(() => {
    net = createNetwork({ hosts: { a: ['10.200.0.11'], b: ['10.200.0.21', '10.200.0.22'] } });
  });
  afterAll(() => {
    server?.kill('SIGKILL');
    net?.dispose();
  });

  it('hosts reach each other by their addresses, from the source address asked for', async () => {
    server = net.hosts.a!.spawn(process.execPath, ['-e', SERVER, '10.200.0.11'], { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(await output(server)).toBe('up');
    for (const source of ['10.200.0.21', '10.200.0.22']) {
      const client = net.hosts.b!.spawn(process.execPath, ['-e', CLIENT, '10.200.0.11', source], { stdio: ['ignore', 'pipe', 'inherit'] });
      expect(await output(client)).toBe(`10.200.0.11 saw ${source}`);
    }
  });

  it('kill -9 of a process inside a host kills that process (the pid is its own, not ip netns exec)', async () => {
    server.kill('SIGKILL');
    await new Promise((r) => server.once('exit', r));
    const client = net.hosts.b!.spawn(process.execPath, ['-e', CLIENT, '10.200.0.11', '10.200.0.21'], { stdio: ['ignore', 'pipe', 'inherit'] });
    expect(await output(client)).toBe('ECONNREFUSED');
  });

  it('adds nothing to the machine: no 10.200 address or route outside the namespaces, and a host knows only its /24', () => {
    expect(execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' })).not.toContain('10.200.0.');
    expect(execFileSync('ip', ['route'], { encoding: 'utf8' })).not.toContain('10.200.0.');
    expect(net.hosts.a!.run('ip', ['route']).trim()).toBe('10.200.0.0/24 dev eth0 proto kernel scope link src 10.200.0.11');
  });

  it('dispose deletes every namespace it made', () => {
    const names = Object.values(net.hosts).map((h) => h.ns);
    net.dispose();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of names) expect(left).not.toContain(ns);
    expect(left).not.toContain(`vmtaha-${process.pid}-`);
  });
});

/** An SMTP client connected to `port`, greeted and past EHLO as client<n>.example; undefined when the server is gone. */
import { RawSmtp } from '@vmta/listener/testing';

export async function greetedClient(port: number, n: number): Promise<RawSmtp | undefined> {
  try {
    const c = await RawSmtp.connect(port);
    await c.read();
    await c.command(`EHLO client${n}.example`);
    return c;
  } catch {
    return undefined;
  }
}

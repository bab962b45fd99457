import pino from 'pino';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { describe, expect, it } from 'vitest';
import { skipDroppedLevels, smtpServerLogger } from './server-logger.js';

type Wrapper = Record<'debug' | 'info' | 'warn' | 'error', (data: object, message: string) => void>;

function serverWith(level: string): { server: SMTPServer; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
  const server = new SMTPServer({ disabledCommands: ['STARTTLS'], logger: smtpServerLogger(log) as unknown as SMTPServerOptions['logger'] });
  skipDroppedLevels(server, log);
  return { server, lines };
}

/** Fields whose copy throws: smtp-server's wrapper copies the fields of every call before our logger decides. */
const untouchable = (): object =>
  Object.defineProperty({}, 'field', {
    enumerable: true,
    get() {
      throw new Error('the fields of a dropped line were copied');
    },
  });

describe('skipDroppedLevels', () => {
  it('makes the levels our logger drops cost nothing and keeps warn and error', () => {
    const { server, lines } = serverWith('info');
    const wrapper = (server as unknown as { logger: Wrapper }).logger;
    expect(() => wrapper.info(untouchable(), 'info line')).not.toThrow();
    expect(() => wrapper.debug(untouchable(), 'debug line')).not.toThrow();
    wrapper.warn({ tnx: 'x' }, 'warn line');
    wrapper.error({ err: { code: 'EACCES' } }, 'error line');
    expect(lines.map((l) => [l.level, l.msg, l.component])).toEqual([
      [40, 'warn line', 'smtp-server'],
      [50, 'error line', 'smtp-server'],
    ]);
  });

  it("drops a client's reset before smtp-server's wrapper copies its fields, and keeps other errors", () => {
    const { server, lines } = serverWith('info');
    const wrapper = (server as unknown as { logger: Wrapper }).logger;
    const reset = Object.assign(untouchable(), { err: { code: 'ECONNRESET' } });
    expect(() => wrapper.error(reset, 'reset')).not.toThrow();
    wrapper.error({ err: { code: 'EMFILE' } }, 'too many open files');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([[50, 'too many open files']]);
  });

  it('keeps every line of smtp-server when the logger runs at debug', () => {
    const { server, lines } = serverWith('debug');
    const wrapper = (server as unknown as { logger: Wrapper }).logger;
    wrapper.info({ tnx: 'x' }, 'info line');
    wrapper.error({ err: { code: 'ECONNRESET' } }, 'reset');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'info line'],
      [20, 'reset'],
    ]);
  });
});

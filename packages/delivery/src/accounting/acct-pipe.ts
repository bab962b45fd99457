/**
 * A piped accounting file, PowerMTA's `<acct-file |/path/to/program args>`: the program is started with
 * `sh -c` and gets the CSV records on its standard input (a header line before the first record of each
 * type it is sent), the way bounce and FBL handlers are fed. Records are acked once the pipe took them;
 * when the program exits it is started again at the next batch, and a batch it could not take is not
 * acked, so it is sent again. Rotation settings (max-size, move-interval, delete-after) mean nothing here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { AcctFileLimits } from './acct-file.js';
import type { CsvRecord } from './record-format.js';

const CRLF = '\r\n';

/** True for an `<acct-file>` name that is a pipe to a program. */
export function isPipeName(name: string): boolean {
  return name.trimStart().startsWith('|');
}

export class AcctPipe {
  private child: ChildProcess | undefined;
  /** Record types whose header line this program has been sent. */
  private headers = new Map<string, string>();

  constructor(
    /** The command line after the "|". */
    readonly command: string,
    public limits: AcctFileLimits,
    private readonly log?: Logger,
  ) {}

  async append(records: readonly CsvRecord[]): Promise<void> {
    if (records.length === 0) return;
    const child = this.running();
    let chunk = '';
    for (const rec of records) {
      if (this.headers.get(rec.type) !== rec.header) chunk += rec.header + CRLF;
      this.headers.set(rec.type, rec.header);
      chunk += rec.line + CRLF;
    }
    try {
      await new Promise<void>((resolve, reject) => {
        const stdin = child.stdin!;
        if (stdin.destroyed || !stdin.writable) return reject(new Error(`accounting pipe ${this.command}: the program is not running`));
        stdin.write(chunk, 'utf8', (err) => (err ? reject(err) : resolve()));
      });
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  /** Nothing is rotated; the program is started at the next batch when it exited. */
  async tick(): Promise<void> {}

  /** Closes the program's input (it sees end of file) and forgets it. */
  close(): void {
    this.stop();
  }

  private running(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null && !this.child.stdin?.destroyed) return this.child;
    const child = spawn('/bin/sh', ['-c', this.command], { stdio: ['pipe', 'inherit', 'inherit'] });
    child.stdin.on('error', () => undefined); // EPIPE after the program exited: the write callback reports it
    child.on('error', (err) => this.log?.error({ event: 'acct-pipe-error', command: this.command, err: err.message }, 'accounting pipe program failed'));
    child.on('exit', (code, signal) => {
      this.log?.warn({ event: 'acct-pipe-exit', command: this.command, code, signal }, 'accounting pipe program exited; started again at the next record');
      if (this.child === child) this.child = undefined;
    });
    this.headers = new Map();
    this.child = child;
    this.log?.info({ event: 'acct-pipe-started', command: this.command, pid: child.pid }, 'accounting pipe program started');
    return child;
  }

  private stop(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin?.end();
  }
}

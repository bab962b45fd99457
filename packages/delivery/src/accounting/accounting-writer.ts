/**
 * AccountingWriter: moves the records of the accounting stream (every process
 * XADDs r/d/b/t records to `Keys.accounting()`) into the `<acct-file>` CSV files
 * of this host.
 *
 * One consumer group per `<acct-file>` path as written (`acct:<path>`), shared by
 * all hosts: each record reaches exactly one host's file of that path, the one
 * whose writer read it, the way each PowerMTA server writes the records of what
 * it handled. The full accounting is the union of the hosts' files (each file
 * may be appended by several processes of one host: O_APPEND, header per type).
 * Records are not copied to every host: that would multiply them by the hosts.
 *
 * Consumers are named `<hostname>:<pid>` and removed from the group on a clean
 * close when they hold nothing. A group of a removed `<acct-file>` is not
 * destroyed (other hosts may still have it): it keeps the stream from being
 * trimmed below its position until the MAXLEN cap of the writers applies;
 * `XGROUP DESTROY <stream> acct:<path>` once no host has that file any more.
 *
 * A name starting with "|" is a program that gets the records on its input (acct-pipe.ts).
 */
import path from 'node:path';
import type { Stanza, VmtaConfig } from '@vmta/config';
import { pino } from 'pino';
import { AcctFile, type AcctFileLimits } from './acct-file.js';
import { AcctPipe, isPipeName } from './acct-pipe.js';
import { GroupConsumer } from './group-consumer.js';
import { planFile, type FilePlan } from './record-format.js';
import { deleteAfterMs } from './rotation-policy.js';
import { StanzaConsumers, type StanzaConsumer } from './stanza-consumers.js';
import { streamMembers, type StreamServiceOptions } from './stream-service.js';

/** `blockMs` is also the period of rotation checks; `batchSize` defaults to 500. */
export interface StartAccountingOptions extends StreamServiceOptions {
  /** Wait after a failed write or Redis error (ms). Default 1000. */
  retryDelayMs?: number;
  /** Relative `<acct-file>` paths are resolved against this; default the directory of the config file. */
  baseDir?: string;
}

export interface RunningAccounting {
  reload(config: VmtaConfig): void;
  close(): Promise<void>;
}

/** What one `<acct-file>` stanza says: the records and fields to write, rotation, and the file. */
interface FileSettings {
  plan: FilePlan;
  limits: AcctFileLimits;
  file: string;
}

/** Consumer group of an `<acct-file>`: one per path as written, shared by every host. */
export function accountingGroup(name: string): string {
  return `acct:${name}`;
}

function limitsOf(stanza: Stanza<'acct-file'>): AcctFileLimits {
  const s = stanza.settings;
  const deleteAfter = deleteAfterMs(s['delete-after']);
  return {
    ...(s['move-interval'] != null ? { moveIntervalMs: s['move-interval'] } : {}),
    ...(s['max-size'] != null ? { maxSize: s['max-size'] } : {}),
    ...(deleteAfter !== undefined ? { deleteAfterMs: deleteAfter } : {}),
  };
}

export async function startAccounting(options: StartAccountingOptions): Promise<RunningAccounting> {
  const log = (options.logger ?? pino({ level: 'silent' })).child({ component: 'accounting' });
  const members = streamMembers(options, 500);
  const baseDirOf = (config: VmtaConfig): string => options.baseDir ?? path.dirname(path.resolve(config.file));

  const consumers = new StanzaConsumers<FileSettings, StanzaConsumer<FileSettings>>({
    start(name, { plan, limits, file }) {
      // `<acct-file |program>`: PowerMTA's piped accounting, the records go to the program's input.
      const pipe = isPipeName(name) ? new AcctPipe(name.trimStart().slice(1).trim(), limits, log.child({ file: name })) : undefined;
      const acctFile = pipe ?? new AcctFile(file, limits, (from, to) => log.info({ event: 'moved', file: from, to }, 'accounting file moved'));
      const c = new GroupConsumer({
        ...members.member(),
        group: accountingGroup(name),
        file: acctFile,
        plan,
        log: log.child({ file }),
        retryDelayMs: options.retryDelayMs ?? 1000,
      });
      log.info({ event: 'acct-file', file, group: accountingGroup(name), consumer: members.consumer }, 'writing accounting file');
      // A running file keeps its path; a reload changes what and how it writes.
      return { update: (s) => c.update(s.plan, s.limits), close: () => c.close().finally(() => pipe?.close()) };
    },
    stopFailed: (_name, err) => log.error({ event: 'error', err }, 'closing an accounting file failed'),
  });

  const apply = (config: VmtaConfig): void => {
    const wanted = new Map<string, FileSettings>();
    const unreadable = new Set<string>();
    for (const stanza of config.acctFiles) {
      const name = stanza.name;
      let limits: AcctFileLimits;
      try {
        limits = limitsOf(stanza);
      } catch (err) {
        // A running file of this name keeps its settings.
        unreadable.add(name);
        log.error({ event: 'bad-setting', file: name, err }, 'accounting file skipped: invalid delete-after');
        continue;
      }
      wanted.set(name, { plan: planFile(stanza.settings), limits, file: isPipeName(name) ? name : path.resolve(baseDirOf(config), name) });
    }
    for (const name of consumers.apply(wanted, unreadable).removed) {
      log.info({ event: 'acct-file-removed', file: name }, 'accounting file no longer configured');
    }
  };

  apply(options.config);

  return {
    reload: apply,
    close: () => consumers.close(),
  };
}

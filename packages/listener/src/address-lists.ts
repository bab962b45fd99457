/**
 * The `<address-list>`s of the configuration, compiled for RCPT lookups, with the lines of their
 * `address-file`s; and the addresses of <feedback-loop-processor>/<bounce-processor> (their lines
 * and the address-files of their nested <address-list>s) the same way. Files are read when the configuration is set and read again when they change
 * (size, mtime or inode, checked every `pollMs`), without a restart; a file that cannot be read
 * counts as empty until it can (logged once per change of state).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  compileAddressList,
  parseAddressEntry,
  processorFor,
  processorSources,
  type AddressEntry,
  type CompiledAddressList,
  type ProcessorKind,
  type VmtaConfig,
} from '@vmta/config';
import type { Logger } from 'pino';

interface FileState {
  path: string;
  signature: string;
  entries: AddressEntry[];
  domains: string[];
}

interface ListState {
  name: string;
  /** A processor's addresses rather than a suppression list. */
  kind?: ProcessorKind;
  entries: AddressEntry[];
  domains: string[];
  files: FileState[];
  compiled: CompiledAddressList;
}

/** The entries of an address-file: one per line; blank lines and # comments skipped; `@domain` = a domain. */
export function parseAddressFile(text: string, onBad: (line: number, content: string) => void): { entries: AddressEntry[]; domains: string[] } {
  const entries: AddressEntry[] = [];
  const domains: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = (raw.startsWith('/') ? raw : raw.replace(/\s#.*$|^#.*$/, '')).trim();
    if (line === '') return;
    if (line.startsWith('@') && !line.slice(1).includes('@')) return void domains.push(line.slice(1).toLowerCase());
    try {
      entries.push(parseAddressEntry(line));
    } catch {
      onBad(i + 1, line);
    }
  });
  return { entries, domains };
}

export class AddressLists {
  private lists = new Map<string, ListState>();
  private processors: ListState[] = [];
  private config: VmtaConfig | undefined;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private polling = false;

  constructor(
    private readonly log: Logger,
    private readonly pollMs = 1000,
  ) {}

  /** Compiles the lists of `config` and reads their files; resolves once every file was read. */
  async setConfig(config: VmtaConfig): Promise<void> {
    const generation = ++this.generation;
    const base = path.dirname(path.resolve(config.file));
    const state = (name: string, entries: AddressEntry[], domains: string[], files: readonly string[], kind?: ProcessorKind): ListState => ({
      name,
      ...(kind ? { kind } : {}),
      entries,
      domains,
      files: files.map((f) => ({ path: path.resolve(base, f), signature: '', entries: [], domains: [] })),
      compiled: compileAddressList(name, entries, domains),
    });
    const next = new Map<string, ListState>();
    for (const [key, stanza] of Object.entries(config.addressLists)) {
      next.set(key, state(stanza.name, stanza.settings.address ?? [], stanza.settings.domain ?? [], stanza.settings['address-file'] ?? []));
    }
    const processors = processorSources(config).map((p) => state(p.kind, p.entries, p.domains, p.files, p.kind));
    await Promise.all([...next.values(), ...processors].map((l) => this.refresh(l)));
    if (generation !== this.generation) return;
    this.lists = next;
    this.processors = processors;
    this.config = config;
    if (this.timer === undefined && this.pollMs > 0) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  /** The compiled lists named (unknown names skipped: `vmta check` refuses them). */
  named(names: readonly string[] | null | undefined): CompiledAddressList[] {
    if (!names) return [];
    const out: CompiledAddressList[] = [];
    for (const n of names) {
      const l = this.lists.get(n.toLowerCase());
      if (l) out.push(l.compiled);
    }
    return out;
  }

  /** The processor that takes mail for `address` (files included), or undefined for ordinary mail. */
  processorFor(config: VmtaConfig, address: string): ProcessorKind | undefined {
    // Until setConfig has read this configuration's files: its lines only.
    if (config !== this.config) return processorFor(config, address);
    return processorFor(config, address, this.processors.map((p) => ({ kind: p.kind!, list: p.compiled })));
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all([...this.lists.values(), ...this.processors].map((l) => this.refresh(l)));
    } finally {
      this.polling = false;
    }
  }

  /** Reads the list's files that changed; recompiles the list when one did. */
  private async refresh(list: ListState): Promise<void> {
    let changed = false;
    for (const f of list.files) {
      const signature = await stat(f.path).then((s) => `${s.ino}:${s.size}:${s.mtimeMs}`, (err: NodeJS.ErrnoException) => `error:${err.code ?? 'unknown'}`);
      if (signature === f.signature) continue;
      changed = true;
      f.signature = signature;
      if (signature.startsWith('error:')) {
        f.entries = [];
        f.domains = [];
        this.log.warn({ event: 'address-file-unreadable', list: list.name, file: f.path, error: signature.slice(6) }, 'address-file cannot be read: it counts as empty');
        continue;
      }
      const text = await readFile(f.path, 'utf8').catch(() => '');
      const parsed = parseAddressFile(text, (line, content) =>
        this.log.warn({ event: 'address-file-bad-line', list: list.name, file: f.path, line, content: content.slice(0, 80) }, 'address-file line ignored'),
      );
      f.entries = parsed.entries;
      f.domains = parsed.domains;
      this.log.info({ event: 'address-file-loaded', list: list.name, file: f.path, entries: parsed.entries.length + parsed.domains.length }, 'address-file loaded');
    }
    if (!changed) return;
    const entries = [...list.entries, ...list.files.flatMap((f) => f.entries)];
    const domains = [...list.domains, ...list.files.flatMap((f) => f.domains)];
    list.compiled = compileAddressList(list.name, entries, domains);
  }
}

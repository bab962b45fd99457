/**
 * Reads configuration text into a flat stream of events (stanza open/close,
 * directive), expanding `include` in place. Knows the file syntax only, not
 * what any directive means.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import type { Diagnostic, Origin } from './errors.js';

export type ReadEvent =
  | { kind: 'open'; name: string; arg: string; origin: Origin }
  | { kind: 'close'; name: string; origin: Origin; /** A name repeated in the closing tag, as in `</domain-key-list NAME>`. */ arg?: string }
  | {
      kind: 'directive';
      name: string;
      raw: string;
      origin: Origin;
      /** The line as written, without its comment (<bounce-category-patterns> lines are not NAME VALUE). */
      line?: string;
      /** When the value is a list continued on the following lines (a line ending in ","): the last line of it. */
      lastLine?: number;
    };

/** The one word of file syntax that is not a directive. */
const INCLUDE = 'include';
const MAX_INCLUDE_DEPTH = 16;
const GLOB_CHARS = /[*?[\]{}]/;

export interface ReadResult {
  events: ReadEvent[];
  files: string[];
  diagnostics: Diagnostic[];
}

/** The positions of the `#` that are not inside double quotes. */
function commentStarts(line: string): number[] {
  const starts: number[] = [];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted) {
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === '#' && !quoted) {
      starts.push(i);
    }
  }
  return starts;
}

/** A piped accounting stanza tag: its value is a shell command, whose `#` (`--tag '#1'`, `--tag=#1`) is not a comment. */
const PIPED_ACCT_TAG = /^\s*<\s*acct-file\s+\|/i;

/**
 * Strips a `#` comment that is not inside double quotes (§3.1: "#" and what follows it to the end of the line).
 * One exception: in a piped `<acct-file |COMMAND>` tag, a `#` before the tag's closing ">" belongs to the
 * command; the comment starts at the first `#` after a ">" that can close the tag
 * (`<acct-file |/usr/bin/handler --tag #1> # note` keeps `--tag #1`).
 */
export function stripComment(line: string): string {
  const starts = commentStarts(line);
  if (starts.length === 0) return line;
  if (PIPED_ACCT_TAG.test(line)) {
    const closed = starts.find((i) => line.slice(0, i).trimEnd().endsWith('>'));
    if (closed !== undefined) return line.slice(0, closed);
    if (line.trimEnd().endsWith('>')) return line;
  }
  return line.slice(0, starts[0]);
}

// The tag ends at the line's last ">": a piped `<acct-file |prog > out.csv>` holds shell redirections.
const OPEN = /^<\s*([A-Za-z][\w-]*)(?:\s+(.*?))?\s*>$/;
/** `</domain-key-list NAME>`: the guide's own example repeats the name in the closing tag (§3.3.19). */
const CLOSE = /^<\/\s*([A-Za-z][\w-]*)(?:\s+([^>]*?))?\s*>$/;
const DIRECTIVE = /^(\S+)(?:\s+(.*))?$/;

/**
 * A list continued on the next line: the directive's value ends with "," (which no complete value
 * does) and the next line looks like the rest of a list: its first word ends with "," or it is a
 * single word (`co.th, co.uk, de` after `domain-macro tld com, com.br,`). A line like `move-interval 5m`
 * is never taken as a continuation: the value before it keeps its trailing comma and its error.
 */
export function continuesList(previousValue: string, line: string): boolean {
  if (!previousValue.endsWith(',') || line.startsWith('<')) return false;
  const words = line.split(/\s+/);
  return words.length === 1 || words[0]!.endsWith(',');
}

/** Lexes the text of one file; `include` lines come back as directives named "include". */
export function lexText(text: string, file: string, diagnostics: Diagnostic[]): ReadEvent[] {
  const events: ReadEvent[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  lines.forEach((rawLine, index) => {
    const origin = { file, line: index + 1 };
    const line = stripComment(rawLine).trim();
    if (line === '') return;
    const previous = events[events.length - 1];
    if (previous?.kind === 'directive' && continuesList(previous.raw, line)) {
      // Diagnostics of the value name the directive's own line (where its name is written).
      previous.raw = `${previous.raw} ${line}`;
      if (previous.line !== undefined) previous.line = `${previous.line} ${line}`;
      previous.lastLine = index + 1;
      return;
    }
    if (line.startsWith('<')) {
      const close = CLOSE.exec(line);
      if (close) {
        events.push({ kind: 'close', name: close[1]!.toLowerCase(), origin, ...(close[2] ? { arg: close[2].trim() } : {}) });
        return;
      }
      const open = OPEN.exec(line);
      if (open) {
        events.push({ kind: 'open', name: open[1]!.toLowerCase(), arg: (open[2] ?? '').trim(), origin });
        return;
      }
      diagnostics.push({
        severity: 'error',
        code: 'CONFIG_SYNTAX',
        ...origin,
        message: `malformed stanza tag ${JSON.stringify(truncate(line))} (expected <name value> or </name>)`,
      });
      return;
    }
    const m = DIRECTIVE.exec(line);
    if (!m) return;
    events.push({ kind: 'directive', name: m[1]!.toLowerCase(), raw: (m[2] ?? '').trim(), origin, line });
  });
  return events;
}

export function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/** Reads a file and everything it includes. `displayName` is how diagnostics name it. */
export function readConfigFile(file: string, displayName = file): ReadResult {
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const events = readOne(path.resolve(file), displayName, [], diagnostics, files, undefined);
  return { events, files, diagnostics };
}

/** Reads configuration given as text (used by tests and `vmta check -`); includes resolve against baseDir. */
export function readConfigText(text: string, displayName: string, baseDir = process.cwd()): ReadResult {
  const diagnostics: Diagnostic[] = [];
  const files: string[] = [];
  const events = expand(lexText(text, displayName, diagnostics), path.join(baseDir, displayName), displayName, [], diagnostics, files);
  return { events, files, diagnostics };
}

function readOne(
  absPath: string,
  displayName: string,
  chain: string[],
  diagnostics: Diagnostic[],
  files: string[],
  includedAt: Origin | undefined,
): ReadEvent[] {
  let text: string;
  try {
    text = readFileSync(absPath, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    diagnostics.push({
      severity: 'error',
      code: 'CONFIG_INCLUDE',
      file: includedAt?.file ?? displayName,
      line: includedAt?.line ?? 0,
      message: `cannot read ${displayName}: ${reason}`,
    });
    return [];
  }
  files.push(absPath);
  return expand(lexText(text, displayName, diagnostics), absPath, displayName, [...chain, absPath], diagnostics, files);
}

function expand(
  events: ReadEvent[],
  absPath: string,
  displayName: string,
  chain: string[],
  diagnostics: Diagnostic[],
  files: string[],
): ReadEvent[] {
  const out: ReadEvent[] = [];
  for (const ev of events) {
    if (ev.kind !== 'directive' || ev.name !== INCLUDE) {
      out.push(ev);
      continue;
    }
    const err = (message: string) =>
      diagnostics.push({ severity: 'error', code: 'CONFIG_INCLUDE', ...ev.origin, message });
    const target = ev.raw.replace(/^"(.*)"$/, '$1');
    if (target === '') {
      err('include needs a file name or pattern');
      continue;
    }
    if (chain.length >= MAX_INCLUDE_DEPTH) {
      err(`include ${target}: includes nested deeper than ${MAX_INCLUDE_DEPTH} levels`);
      continue;
    }
    const dir = path.dirname(absPath);
    const displayDir = path.dirname(displayName);
    const matches = GLOB_CHARS.test(target)
      ? globSync(target.replace(/\\/g, '/'), { cwd: dir, absolute: true, onlyFiles: true }).sort()
      : [path.resolve(dir, target)];
    if (matches.length === 0) {
      diagnostics.push({
        severity: 'warning',
        code: 'CONFIG_INCLUDE',
        ...ev.origin,
        message: `include ${target}: no file matches`,
      });
    }
    for (const match of matches) {
      const shown = path.isAbsolute(target) ? match : path.join(displayDir, path.relative(dir, match));
      if (chain.includes(match)) {
        err(`include ${target}: ${shown} includes itself`);
        continue;
      }
      const kind = fileKind(match);
      if (kind !== 'file') {
        err(`include ${target}: ${shown} is ${kind}`);
        continue;
      }
      out.push(...readOne(match, shown, chain, diagnostics, files, ev.origin));
    }
  }
  return out;
}

/**
 * What an include names: a regular file (or nothing: readOne reports it), else what it is. A device or a
 * FIFO is refused: reading /dev/zero or a FIFO nobody writes to never ends.
 */
function fileKind(p: string): 'file' | 'a directory' | 'not a regular file (a device, FIFO or socket)' {
  try {
    const st = statSync(p);
    if (st.isDirectory()) return 'a directory';
    return st.isFile() ? 'file' : 'not a regular file (a device, FIFO or socket)';
  } catch {
    return 'file';
  }
}

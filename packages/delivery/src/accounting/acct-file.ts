/**
 * One accounting file on this host: appends CSV records (a header line before
 * the first record of each type in the file), fsyncs, moves the file away at
 * `max-size` / `move-interval` and deletes moved files after `delete-after`.
 *
 * The file is opened per batch (O_APPEND) and its inode compared with the last
 * one seen: when another process moved it, the headers already in the new file
 * are read back from it instead of being assumed.
 */
import { createReadStream, existsSync } from 'node:fs';
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { CsvRecord } from './record-format.js';
import { isRotatedName, mustMoveForAge, mustMoveForSize, rotatedPath, type RotationLimits } from './rotation-policy.js';

export interface AcctFileLimits extends RotationLimits {
  deleteAfterMs?: number;
}

const CRLF = '\r\n';
const DELETE_CHECK_MS = 60_000;

export class AcctFile {
  private ino: number | undefined;
  /** Header text already in the file, per record type. */
  private headers = new Map<string, string>();
  /** When the current file (inode `ageIno`) was started, for `move-interval`. */
  private ageIno: number | undefined;
  private openedAtMs = 0;
  private lastDeleteCheckMs = 0;

  constructor(
    readonly file: string,
    public limits: AcctFileLimits,
    private readonly onMoved: (from: string, to: string) => void = () => {},
  ) {}

  /** Append the records (fsynced when this resolves). Throws on I/O errors: nothing may then be acked. */
  async append(records: readonly CsvRecord[], nowMs = Date.now()): Promise<void> {
    if (records.length === 0) return;
    let fh = await this.openCurrent(nowMs);
    try {
      let size = (await fh.stat()).size;
      let chunk = '';
      let chunkBytes = 0;
      for (const rec of records) {
        let text = this.textOf(rec);
        let bytes = Buffer.byteLength(text);
        if (mustMoveForSize(size + chunkBytes, bytes, this.limits)) {
          await this.flush(fh, chunk);
          await fh.close();
          await this.move(new Date(nowMs));
          fh = await this.openCurrent(nowMs);
          size = (await fh.stat()).size;
          chunk = '';
          chunkBytes = 0;
          text = this.textOf(rec);
          bytes = Buffer.byteLength(text);
        }
        chunk += text;
        chunkBytes += bytes;
        this.headers.set(rec.type, rec.header);
      }
      await this.flush(fh, chunk);
    } catch (err) {
      this.ino = undefined; // read the headers back from the file next time
      throw err;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  /** Time-based work: `move-interval` and `delete-after`. Cheap enough to call every few seconds. */
  async tick(nowMs = Date.now()): Promise<void> {
    const st = await stat(this.file).catch(() => undefined);
    if (st !== undefined) {
      this.noteAge(st.ino, st.birthtimeMs, nowMs);
      if (mustMoveForAge(st.size, this.openedAtMs, nowMs, this.limits)) await this.move(new Date(nowMs));
    }
    if (this.limits.deleteAfterMs !== undefined && nowMs - this.lastDeleteCheckMs >= DELETE_CHECK_MS) {
      this.lastDeleteCheckMs = nowMs;
      await this.deleteOld(nowMs);
    }
  }

  /** Delete moved copies of this file whose last write is older than `delete-after`. */
  async deleteOld(nowMs = Date.now()): Promise<string[]> {
    const keepMs = this.limits.deleteAfterMs;
    if (keepMs === undefined) return [];
    const dir = path.dirname(this.file);
    const names = await readdir(dir).catch(() => [] as string[]);
    const deleted: string[] = [];
    for (const name of names.filter((n) => isRotatedName(this.file, n))) {
      const full = path.join(dir, name);
      const st = await stat(full).catch(() => undefined);
      if (st !== undefined && nowMs - st.mtimeMs >= keepMs) {
        await unlink(full).catch(() => {});
        deleted.push(full);
      }
    }
    return deleted;
  }

  private textOf(rec: CsvRecord): string {
    return (this.headers.get(rec.type) === rec.header ? '' : rec.header + CRLF) + rec.line + CRLF;
  }

  private async openCurrent(nowMs: number) {
    const fh = await open(this.file, 'a');
    try {
      const st = await fh.stat();
      if (st.ino !== this.ino) {
        this.headers = st.size > 0 ? await readHeaders(this.file) : new Map();
        this.ino = st.ino;
      }
      this.noteAge(st.ino, st.birthtimeMs, nowMs);
      return fh;
    } catch (err) {
      await fh.close().catch(() => {});
      throw err;
    }
  }

  private noteAge(ino: number, birthtimeMs: number, nowMs: number): void {
    if (ino === this.ageIno) return;
    this.ageIno = ino;
    this.openedAtMs = birthtimeMs > 0 ? Math.min(birthtimeMs, nowMs) : nowMs;
  }

  private async flush(fh: Awaited<ReturnType<typeof open>>, chunk: string): Promise<void> {
    if (chunk === '') return;
    await fh.appendFile(chunk, 'utf8');
    await fh.sync();
  }

  /** Move the file to `<name>-<yyyy-mm-dd-hhmmss>.csv` next to it; the next append starts a new one. */
  private async move(at: Date): Promise<void> {
    let target = rotatedPath(this.file, at);
    for (let attempt = 1; existsSync(target); attempt++) target = rotatedPath(this.file, at, attempt);
    try {
      await rename(this.file, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return; // already moved by another process
    }
    this.ino = undefined;
    this.headers = new Map();
    this.lastDeleteCheckMs = 0;
    this.onMoved(this.file, target);
  }
}

/**
 * Headers present in an existing file: a header line (first field `type`)
 * belongs to the record type of the line that follows it.
 */
async function readHeaders(file: string): Promise<Map<string, string>> {
  const headers = new Map<string, string>();
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let pending: string | undefined;
  for await (const line of lines) {
    if (line.startsWith('type,') || line === 'type') {
      pending = line;
    } else if (pending !== undefined) {
      const type = /^("?)([^,"]*)\1(,|$)/.exec(line)?.[2];
      if (type !== undefined) headers.set(type, pending);
      pending = undefined;
    }
  }
  return headers;
}

import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PersistenceError, RestoreError, UnsafeStateFileError } from '../shared/errors.js';
import type { StampedRecord } from '../shared/records.js';
import { FolderLock } from './folder-lock.js';
import {
  checkStateFile,
  createPrivateFile,
  createPrivateFileWith,
  openStateFile,
  readStateFile,
  syncFolder,
  writeAll,
} from './private-file.js';
import { JOB_RECORD_TYPES, RECORD_TYPES } from './record-types.js';
import { checkSnapshot, type PlanSnapshot, snapshotJson } from './snapshot.js';
import { JOURNAL_FORMAT, type JournalHeader, type Store, type StoredPlan } from './store.js';

export const JOURNAL = 'journal.jsonl';
/** Records after which a plan writes nothing more. */
const PLAN_ENDS: ReadonlySet<string> = new Set(['plan-completed', 'plan-failed', 'plan-canceled']);
const SNAPSHOT = 'snapshot.json';
/**
 * The journal is only ever appended to (or cut back to its last whole record), so each write is
 * made durable as it is written (`O_DSYNC`: the kernel syncs the data, and the file's size and
 * blocks, before the write returns) instead of by a write and then an `fsync`: one trip to the
 * disk's thread pool per flush instead of two. That is as safe as `fsync` for these writes, since
 * what `fsync` adds (times, permissions) is not needed to read the records back; the one thing
 * neither covers, the folder's entry for a new journal, is synced once when the journal is opened
 * (`syncFolder`). Where `O_DSYNC` does not exist, each write is followed by `fdatasync`.
 */
const SYNCED_WRITES: number | undefined = constants.O_DSYNC;

/**
 * A journal on disk: one JSON value per line, the header first, then the records in `seq` order.
 * The folder is private (0700), every file in it 0600, none opened through a symbolic link, and
 * one process owns it at a time (`owner.lock`, see `FolderLock`).
 *
 * `flush` writes every buffered line with one synced write (see `SYNCED_WRITES`), however many
 * passes asked for it. A flush counts as durable only when every byte was written and synced; a failed or short
 * write (a full disk, EIO) is cut off again, so the file only ever holds whole records, and its
 * lines stay buffered for the next flush: nothing is lost and nothing is half written.
 */
export class FileStore implements Store {
  readonly path: string;
  readonly snapshotPath: string;
  private buffer: string[] = [];
  private tail: Promise<void> = Promise.resolve();
  /** True until the header of a new journal is on disk. */
  private starting = false;
  /** Bytes of the journal that hold whole records, all durable; null until read or written. */
  private wholeBytes: number | null = null;
  /** Whether the file may hold more than `wholeBytes` (until checked before the next write). */
  private mayHaveTornTail = true;
  private readonly lock: FolderLock;
  /** Ownership is taken once: a store that gave it up (or lost it) never takes it back by writing. */
  private everOwned = false;
  /**
   * The journal, open from one flush to the next while flushes follow each other: opening and
   * closing it for every flush took two more round trips to the disk's thread pool than the
   * write and the sync. Closed when a turn of the event loop passes without another flush (so
   * a plan that waits, or is dropped, holds no descriptor), once the plan's last record is
   * written, after a failed write, and by `relinquish`.
   */
  private file: FileHandle | null = null;
  /** A write is under way; counts writes done, so that an idle close knows if one came since. */
  private writing = false;
  private written = 0;
  /** The buffer holds the plan's last record (after it, the journal is closed). */
  private ended = false;
  /** Flushes called and not yet settled. */
  private flushesUnderWay = 0;
  /** The folder's entry for the journal is durable (synced once per store). */
  private folderSynced = false;
  /** The snapshot being written, if any (beside the flushes); `relinquish` waits for it. */
  private snapshotUnderWay: Promise<void> | null = null;

  constructor(readonly dir: string) {
    this.path = join(dir, JOURNAL);
    this.snapshotPath = join(dir, SNAPSHOT);
    this.lock = new FolderLock(dir);
  }

  /** The lock file naming the folder's owner. */
  get lockPath(): string {
    return this.lock.path;
  }

  async acquire(): Promise<void> {
    await this.lock.acquire();
    this.everOwned = true;
  }

  /** Waits for the flushes and the snapshot under way, then gives the folder up. */
  async relinquish(): Promise<void> {
    await this.tail.catch(() => {});
    await this.snapshotUnderWay?.catch(() => {});
    await this.closeJournal();
    await this.lock.release();
  }

  begin(header: JournalHeader): void {
    this.starting = true;
    this.buffer.push(JSON.stringify(header));
  }

  append(records: readonly StampedRecord[]): void {
    for (const record of records) {
      this.buffer.push(serialize(record));
      if (PLAN_ENDS.has(record.type)) this.ended = true;
    }
  }

  flush(): Promise<void> {
    // Flushes run one after another; each writes what was buffered when it started. With none
    // under way the write starts now, its system call issued before this returns, so that the
    // disk works while the caller goes on (acting on the previous flush's commit, say).
    const idle = this.flushesUnderWay === 0;
    this.flushesUnderWay++;
    const write = () =>
      this.write().finally(() => {
        this.flushesUnderWay--;
      });
    this.tail = idle ? write() : this.tail.catch(() => {}).then(write);
    return this.tail;
  }

  /**
   * Throws unless this store may write in its folder: it still holds it (no wait while the lock
   * file is as this store placed it), or, never having held it, takes it now.
   */
  private async mayWrite(): Promise<void> {
    if (this.lock.stillPlaced()) return;
    if (this.lock.owner) await this.lock.confirm();
    else if (this.everOwned) throw new Error('this store gave the folder up; it writes no more');
    else await this.acquire();
  }

  private async write(): Promise<void> {
    if (this.buffer.length === 0) return;
    const lines = this.buffer;
    const ends = this.ended;
    this.buffer = [];
    this.ended = false;
    this.writing = true;
    let file: FileHandle | null = null;
    try {
      await this.mayWrite();
      file = this.file ??= await this.openJournal();
      const whole = this.wholeBytes!;
      // A torn tail (a crash, or a failed write whose cut failed too) goes before writing on.
      if (this.mayHaveTornTail && (await file.stat()).size !== whole) await file.truncate(whole);
      this.mayHaveTornTail = false;
      const data = Buffer.from(`${lines.join('\n')}\n`);
      await writeAll(file, data, whole);
      if (SYNCED_WRITES === undefined) await file.datasync();
      this.wholeBytes = whole + data.length;
      if (ends) await this.closeJournal();
      else this.closeWhenIdle();
    } catch (error) {
      this.mayHaveTornTail = true;
      if (file && this.wholeBytes !== null) {
        // Whatever part of the lines reached the file is cut off: the journal ends on a whole record.
        await file
          .truncate(this.wholeBytes)
          .then(() => file!.sync())
          .catch(() => {});
      }
      // The next flush opens the journal again, with every check an opening makes.
      await this.closeJournal();
      this.buffer = lines.concat(this.buffer);
      this.ended ||= ends;
      throw this.failure(error);
    } finally {
      this.writing = false;
      this.written++;
    }
  }

  private closeWhenIdle(): void {
    const written = this.written + 1; // this write's, counted as it ends
    setImmediate(() => {
      if (this.written === written && !this.writing && this.buffer.length === 0)
        void this.closeJournal();
    });
  }

  private async closeJournal(): Promise<void> {
    const file = this.file;
    this.file = null;
    await file?.close().catch(() => {});
  }

  private async openJournal(): Promise<FileHandle> {
    let file: FileHandle;
    if (this.starting) {
      // A new plan never writes into another plan's journal.
      file = await createPrivateFile(this.path, SYNCED_WRITES);
      this.starting = false;
      this.wholeBytes = 0;
    } else {
      file = await openStateFile(this.path, true, SYNCED_WRITES);
    }
    try {
      if (this.wholeBytes === null) this.wholeBytes = wholeLinesBytes(await file.readFile('utf8'));
      if (!this.folderSynced) {
        await syncFolder(this.dir);
        this.folderSynced = true;
      }
    } catch (error) {
      await file.close();
      throw error;
    }
    return file;
  }

  private failure(error: unknown): PersistenceError {
    if (error instanceof PersistenceError) return error;
    if ((error as { code?: string }).code === 'EEXIST') {
      return new PersistenceError(
        this.path,
        new Error(
          'a journal is already there; resume it with resumeOrchestrator, or use another folder',
        ),
      );
    }
    if (error instanceof UnsafeStateFileError) return new PersistenceError(error.path, error);
    return new PersistenceError(this.path, error);
  }

  /**
   * Written beside the journal as a temporary file, synced, then renamed over the old one; a
   * failed write removes the temporary file and keeps the old snapshot. A store that owned the
   * folder writes one only while it still does (as for the journal's writes).
   */
  writeSnapshot(snapshot: PlanSnapshot): Promise<void> {
    const writing = this.replaceSnapshot(snapshot);
    this.snapshotUnderWay = writing;
    const done = () => {
      if (this.snapshotUnderWay === writing) this.snapshotUnderWay = null;
    };
    writing.then(done, done);
    return writing;
  }

  private async replaceSnapshot(snapshot: PlanSnapshot): Promise<void> {
    const temporary = `${this.snapshotPath}.tmp`;
    // Checked first: a store that lost the folder touches nothing in it, not even a temporary file.
    await this.mayWrite().catch((error: unknown) => {
      throw new PersistenceError(this.snapshotPath, error);
    });
    try {
      // A temporary file left by a crash goes; a link there is refused.
      if ((await checkStateFile(temporary)) === 'file') await unlink(temporary);
      await createPrivateFileWith(temporary, snapshotJson(snapshot));
      await rename(temporary, this.snapshotPath);
    } catch (error) {
      if (!(error instanceof UnsafeStateFileError)) await unlink(temporary).catch(() => {});
      throw new PersistenceError(
        error instanceof UnsafeStateFileError ? error.path : this.snapshotPath,
        error,
      );
    }
  }

  async load(): Promise<StoredPlan> {
    const snapshot = await readSnapshot(this.snapshotPath);
    const { stored, wholeBytes } = await readJournalFile(this.path, snapshot);
    // Writing goes on after the last whole record: a torn last line is cut off first.
    this.wholeBytes = wholeBytes;
    this.mayHaveTornTail = true;
    return { ...stored, snapshot };
  }
}

/** Bytes up to the end of the last whole line. */
function wholeLinesBytes(text: string): number {
  return Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
}

async function readSnapshot(path: string): Promise<PlanSnapshot | null> {
  let text: string;
  try {
    text = await readStateFile(path);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw new RestoreError(
      path,
      null,
      error instanceof UnsafeStateFileError ? error.message : String(error),
    );
  }
  try {
    return checkSnapshot(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof RestoreError) throw error;
    throw new RestoreError(path, null, 'the snapshot is not valid JSON');
  }
}

/** One journal line; a record that is not JSON data is a `PersistenceError` naming it. */
export function serialize(record: StampedRecord): string {
  try {
    return JSON.stringify(record);
  } catch (error) {
    const jobId = 'jobId' in record ? ` of job "${record.jobId}"` : '';
    throw new PersistenceError(`record ${record.seq} (${record.type}${jobId})`, error);
  }
}

/**
 * Reads a journal. A torn last line (a crash in the middle of a write) is dropped with a
 * warning; any other damage is a `RestoreError` naming the file, the line and the problem.
 */
export async function readJournal(path: string): Promise<StoredPlan> {
  return (await readJournalFile(path, null)).stored;
}

/**
 * Reads the records of a journal after a snapshot. Line n holds record n, so the lines the
 * snapshot covers are not parsed at all (most of a restore's reading time) once the line at the
 * snapshot's seq is found to be that record; otherwise every line is read and checked.
 * `wholeBytes` is where the whole records end (a torn last line starts there).
 */
async function readJournalFile(
  path: string,
  snapshot: PlanSnapshot | null,
): Promise<{ stored: StoredPlan; wholeBytes: number }> {
  let text: string;
  try {
    text = await readStateFile(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new RestoreError(
      path,
      null,
      code === 'ENOENT'
        ? 'the journal does not exist'
        : error instanceof UnsafeStateFileError
          ? error.message
          : String(error),
    );
  }
  if (text.trim() === '') throw new RestoreError(path, null, 'the journal is empty');
  const lines = text.split('\n');
  // The last line is whole only with its newline: every write ends with one.
  const torn = lines.pop()!;
  const warnings: string[] = [];
  const parse = (index: number): unknown => {
    try {
      return JSON.parse(lines[index]!);
    } catch {
      return undefined;
    }
  };
  if (lines.length === 0) throw new RestoreError(path, 1, 'the first line is not a journal header');
  const header = checkHeader(parse(0), path);
  const known = new Set(header.input.jobs.map((job) => job.id));
  const records: StampedRecord[] = [];
  let lastSeq = 0;
  const after = snapshot?.seq ?? 0;
  if (after > 0 && after < lines.length && (parse(after) as StampedRecord)?.seq === after) {
    lastSeq = after;
    for (const id of snapshot!.state.context.order) known.add(id);
  }
  for (let i = lastSeq + 1; i < lines.length; i++) {
    const lineNumber = i + 1;
    const record = checkRecord(parse(i), path, lineNumber);
    const expected = lastSeq + 1;
    if (record.seq !== expected) {
      throw new RestoreError(
        path,
        lineNumber,
        `record seq ${record.seq} where ${expected} was expected`,
      );
    }
    if (record.type === 'job-added') known.add(record.jobId);
    // Only an ignored result may name a job the plan never had (that is why it was ignored).
    const jobId = (record as { jobId?: unknown }).jobId;
    if (typeof jobId === 'string' && !known.has(jobId) && record.type !== 'result-ignored') {
      throw new RestoreError(
        path,
        lineNumber,
        `record ${record.type} names job "${jobId}", which the plan does not have`,
      );
    }
    lastSeq = record.seq;
    if (record.seq > after) records.push(record);
  }
  if (torn !== '') {
    warnings.push(
      `${path}:${lines.length + 1}: dropped a torn last line (the process stopped while writing it)`,
    );
  }
  const wholeBytes = Buffer.byteLength(text) - Buffer.byteLength(torn);
  return { stored: { header, snapshot: null, records, warnings }, wholeBytes };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The header names its format, its plan and the plan's jobs; anything else is not a journal. */
export function checkHeader(value: unknown, path: string): JournalHeader {
  if (!isObject(value) || !('format' in value)) {
    throw new RestoreError(path, 1, 'the first line is not a journal header');
  }
  if (value.format !== JOURNAL_FORMAT) {
    throw new RestoreError(
      path,
      1,
      `unknown format version ${JSON.stringify(value.format)} (this version reads ${JOURNAL_FORMAT})`,
    );
  }
  if (typeof value.planId !== 'string') {
    throw new RestoreError(path, 1, 'the journal header has no planId (a string)');
  }
  const input = value.input;
  if (!isObject(input) || !Array.isArray(input.jobs)) {
    throw new RestoreError(path, 1, 'the journal header has no input.jobs (a list of the jobs)');
  }
  const bad = input.jobs.findIndex((job) => !isObject(job) || typeof job.id !== 'string');
  if (bad >= 0) {
    throw new RestoreError(
      path,
      1,
      `the journal header's input.jobs[${bad}] is not a job with an id`,
    );
  }
  return value as unknown as JournalHeader;
}

/** A record is an object with an integer `seq` and a `type` this version knows. */
export function checkRecord(value: unknown, path: string, line: number): StampedRecord {
  if (value === undefined) throw new RestoreError(path, line, 'the line is not valid JSON');
  if (!isObject(value)) {
    throw new RestoreError(
      path,
      line,
      `the line is not a record (an object with a seq and a type): ${JSON.stringify(value).slice(0, 80)}`,
    );
  }
  if (!Number.isInteger(value.seq)) {
    throw new RestoreError(
      path,
      line,
      `the record has no integer seq (got ${JSON.stringify(value.seq)})`,
    );
  }
  if (typeof value.type !== 'string' || !RECORD_TYPES.has(value.type)) {
    throw new RestoreError(
      path,
      line,
      `unknown record type ${JSON.stringify(value.type)}; this version does not write it`,
    );
  }
  if (JOB_RECORD_TYPES.has(value.type) && typeof value.jobId !== 'string') {
    throw new RestoreError(path, line, `record ${value.type} has no jobId (a string)`);
  }
  return value as unknown as StampedRecord;
}
